#include "services/order_service.hpp"

#include <cstdio>
#include <optional>
#include <vector>

#include "engine/compensations.hpp"
#include "services/fraud_service.hpp"
#include "services/inventory_service.hpp"
#include "services/payment_service.hpp"
#include "services/shipping_service.hpp"

namespace orderd::services {

Task<OrderResult> fail_order(Context& ctx, std::string details, std::string authorized_tx) {
  OrderResult result;
  result.status = "failed";
  result.details = std::move(details);
  if (!authorized_tx.empty()) {
    VoidRequest void_request{authorized_tx};
    auto voided = ctx.call<VoidResponse>("PaymentService", "VoidPayment", void_request);
    co_await voided;
    result.voidedTransactionId = std::move(authorized_tx);
  }
  result.processingTimeMs = ctx.elapsed_ms();
  co_return result;
}

Task<OrderResult> process_order(Context& ctx, OrderRequest request) {
  ctx.log().info("Processing order in parallel for user {}", request.userId);

  // Fan-out: every check starts now.
  auto inventory_main =
      ctx.call<InventoryResponse>("InventoryService", "CheckInventory",
                                  InventoryRequest{request.productId, request.quantity, "Main"});
  auto inventory_backup =
      ctx.call<InventoryResponse>("InventoryService", "CheckInventory",
                                  InventoryRequest{request.productId, request.quantity, "Backup"});
  auto payment = ctx.call<PaymentResponse>("PaymentService", "AuthorizePayment",
                                           PaymentRequest{request.amount, "USD", ""});
  auto fraud = ctx.call<FraudResponse>("FraudService", "CheckFraud",
                                       FraudRequest{request.userId, request.amount, ""});
  auto shipping_standard =
      ctx.call<ShippingResponse>("ShippingService", "CalculateShipping",
                                 ShippingRequest{request.weight, request.destination, "Standard"});
  auto shipping_economy =
      ctx.call<ShippingResponse>("ShippingService", "CalculateShipping",
                                 ShippingRequest{request.weight, request.destination, "Economy"});

  // Fan-in, in completion order. A failed future is skipped: the order degrades gracefully.
  bool inventory_available = false;
  bool payment_authorized = false;
  std::string transaction_id;
  double fraud_risk = 0;
  std::vector<ShippingResponse> shipping_options;

  Waiter waiter = ctx.wait(inventory_main, inventory_backup, payment, fraud, shipping_standard,
                           shipping_economy);
  bool cancelled = false;
  for (;;) {
    auto next = waiter.next();
    auto settling = settle(std::move(next));
    // An operator's cancel is compensated below; any other failure (a journal mismatch after
    // a code change) fails the order as it is.
    Result<std::optional<Completed>> which = co_await std::move(settling);
    if (!which) {
      if (which.error().code != ErrorCode::kCancelled) throw TerminalError(which.error());
      cancelled = true;
      break;
    }
    if (!*which) break;
    const Completed& done = **which;
    if (done == inventory_main || done == inventory_backup) {
      const auto& check = done == inventory_main ? inventory_main : inventory_backup;
      if (!check.failed() && check.result().available) inventory_available = true;
    } else if (done == payment) {
      if (payment.failed()) continue;
      payment_authorized = payment.result().authorized;
      transaction_id = payment.result().transactionId;
    } else if (done == fraud) {
      if (!fraud.failed()) fraud_risk = fraud.result().riskScore;
    } else {
      const auto& quote = done == shipping_standard ? shipping_standard : shipping_economy;
      if (!quote.failed()) shipping_options.push_back(quote.result());
    }
  }

  std::string authorized_tx = payment_authorized ? transaction_id : std::string();
  if (cancelled) {
    // An operator cancelled the order. The cancel reached the payment call too, but it may have
    // been finishing already: settle it, then release the hold if it was authorized.
    auto settling = payment.settle();
    Result<PaymentResponse> settled = co_await settling;
    if (settled && settled->authorized) authorized_tx = settled->transactionId;
    Task<OrderResult> voided = fail_order(ctx, "cancelled", std::move(authorized_tx));
    co_await std::move(voided);
    throw Cancelled();
  }
  std::string failure;
  if (!inventory_available) {
    failure = "Product not available in any warehouse";
  } else if (!payment_authorized) {
    failure = "Payment authorization failed";
  } else if (fraud_risk > kFraudThreshold) {
    char details[64];
    std::snprintf(details, sizeof details, "High fraud risk: %.1f", fraud_risk);
    failure = details;
  } else if (shipping_options.empty()) {
    failure = "No shipping options available";
  }
  if (!failure.empty()) {
    Task<OrderResult> failed = fail_order(ctx, std::move(failure), std::move(authorized_tx));
    co_return co_await std::move(failed);
  }

  const ShippingResponse* best = &shipping_options.front();
  for (const auto& option : shipping_options)
    if (option.cost < best->cost) best = &option;

  OrderResult result;
  result.orderId = "ORD_" + ctx.uuid().substr(0, 8);
  result.status = "confirmed";
  result.details = "Shipping: " + format_money(best->cost) + " via " + best->carrier + " (" +
                   std::to_string(best->estimatedDays) + " days)";
  result.processingTimeMs = ctx.elapsed_ms();
  ctx.log().info("Order {} processed in parallel in {} ms", result.orderId,
                 result.processingTimeMs);
  co_return result;
}

}  // namespace orderd::services
