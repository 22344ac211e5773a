#include "services/order_service.hpp"

#include <cstdio>
#include <optional>
#include <vector>

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
    std::optional<std::size_t> which;
    try {
      which = co_await std::move(next);
    } catch (const Cancelled&) {
      cancelled = true;  // compensate below: co_await is not allowed in a catch block
    }
    if (!which) break;
    switch (*which) {
      case 0:
        if (inventory_main.failed()) break;
        if (inventory_main.result().available) inventory_available = true;
        break;
      case 1:
        if (inventory_backup.failed()) break;
        if (inventory_backup.result().available) inventory_available = true;
        break;
      case 2:
        if (payment.failed()) break;
        payment_authorized = payment.result().authorized;
        transaction_id = payment.result().transactionId;
        break;
      case 3:
        if (fraud.failed()) break;
        fraud_risk = fraud.result().riskScore;
        break;
      case 4:
        if (!shipping_standard.failed()) shipping_options.push_back(shipping_standard.result());
        break;
      case 5:
        if (!shipping_economy.failed()) shipping_options.push_back(shipping_economy.result());
        break;
    }
  }

  std::string authorized_tx = payment_authorized ? transaction_id : std::string();
  if (cancelled) {
    // An operator cancelled the order. The cancel reached the payment call too, but it may have
    // been finishing already: settle it, then release the hold if it was authorized.
    try {
      PaymentResponse settled = co_await payment;
      if (settled.authorized) authorized_tx = settled.transactionId;
    } catch (const TerminalError&) {
    }
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
