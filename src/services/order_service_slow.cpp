#include <optional>

#include "services/fraud_service.hpp"
#include "services/inventory_service.hpp"
#include "services/order_service.hpp"
#include "services/payment_service.hpp"
#include "services/shipping_service.hpp"

namespace orderd::services {
namespace {

// Awaits a call, turning its terminal error into a value: co_await is not allowed in a catch
// block, and the order still has to void its payment before it fails.
// An operator's cancel is not a failed call: it is kept apart in `cancelled`.
template <class T>
Task<std::optional<T>> outcome_of(Future<T> future, std::optional<TerminalError>& error,
                                  bool& cancelled) {
  try {
    co_return co_await future;
  } catch (const Cancelled&) {
    cancelled = true;
  } catch (const TerminalError& e) {
    error = e;
  }
  co_return std::nullopt;
}

}  // namespace

// Every co_await below is on a named object: g++ 12 destroys temporaries of a co_await
// full-expression twice.
Task<OrderResult> process_order_sequentially(Context& ctx, OrderRequest request) {
  ctx.log().info("Processing order sequentially for user {}", request.userId);
  std::optional<TerminalError> error;
  bool cancelled = false;

  InventoryRequest inventory_request{request.productId, request.quantity, "Main"};
  auto inventory_call =
      ctx.call<InventoryResponse>("InventoryService", "CheckInventory", inventory_request);
  auto inventory_task = outcome_of(inventory_call, error, cancelled);
  std::optional<InventoryResponse> inventory = co_await std::move(inventory_task);
  if (cancelled) throw Cancelled();
  if (!inventory || !inventory->available) {
    auto failed = fail_order(ctx, "Inventory not available", "");
    co_return co_await std::move(failed);
  }

  PaymentRequest payment_request{request.amount, "USD", ""};
  auto payment_call =
      ctx.call<PaymentResponse>("PaymentService", "AuthorizePayment", payment_request);
  auto payment_task = outcome_of(payment_call, error, cancelled);
  std::optional<PaymentResponse> payment = co_await std::move(payment_task);
  if (cancelled) {
    // The cancel reached the payment call too, but it may have been finishing: settle it first.
    auto settle = outcome_of(payment_call, error, cancelled);
    std::optional<PaymentResponse> settled = co_await std::move(settle);
    auto voided =
        fail_order(ctx, "cancelled", settled && settled->authorized ? settled->transactionId : "");
    co_await std::move(voided);
    throw Cancelled();
  }
  if (!payment || !payment->authorized) {
    auto failed = fail_order(ctx, "Payment authorization failed", "");
    co_return co_await std::move(failed);
  }
  // From here on, a failing order voids the authorization first.
  const std::string tx = payment->transactionId;

  FraudRequest fraud_request{request.userId, request.amount, ""};
  auto fraud_call = ctx.call<FraudResponse>("FraudService", "CheckFraud", fraud_request);
  auto fraud_task = outcome_of(fraud_call, error, cancelled);
  std::optional<FraudResponse> fraud = co_await std::move(fraud_task);
  if (cancelled) {
    auto voided = fail_order(ctx, "cancelled", tx);
    co_await std::move(voided);
    throw Cancelled();
  }
  if (!fraud || fraud->flagged) {
    auto failed = fail_order(ctx, fraud ? "High fraud risk" : error->what(), tx);
    OrderResult result = co_await std::move(failed);
    if (error) throw *error;
    co_return result;
  }

  ShippingRequest shipping_request{request.weight, request.destination, "Standard"};
  auto shipping_call =
      ctx.call<ShippingResponse>("ShippingService", "CalculateShipping", shipping_request);
  auto shipping_task = outcome_of(shipping_call, error, cancelled);
  std::optional<ShippingResponse> shipping = co_await std::move(shipping_task);
  if (cancelled) {
    auto voided = fail_order(ctx, "cancelled", tx);
    co_await std::move(voided);
    throw Cancelled();
  }
  if (!shipping) {
    auto failed = fail_order(ctx, error->what(), tx);
    co_await std::move(failed);
    throw *error;
  }

  OrderResult result;
  result.orderId = "ORD_" + ctx.uuid().substr(0, 8);
  result.status = "confirmed";
  result.details = "Shipping: " + format_money(shipping->cost) + " via " + shipping->carrier;
  result.processingTimeMs = ctx.elapsed_ms();
  ctx.log().info("Order {} processed sequentially in {} ms", result.orderId,
                 result.processingTimeMs);
  co_return result;
}

}  // namespace orderd::services
