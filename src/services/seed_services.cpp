#include "services/seed_services.hpp"

#include "engine/registry.hpp"
#include "services/fraud_service.hpp"
#include "services/inventory_service.hpp"
#include "services/order_review.hpp"
#include "services/order_service.hpp"
#include "services/payment_service.hpp"
#include "services/shipping_service.hpp"

namespace orderd::services {

void register_seed_services(Registry& registry, Simulation sim) {
  registry.add<InventoryRequest, InventoryResponse>(
      "InventoryService", "CheckInventory",
      [sim](Context& ctx, InventoryRequest r) { return check_inventory(ctx, std::move(r), sim); });
  registry.add<PaymentRequest, PaymentResponse>(
      "PaymentService", "AuthorizePayment",
      [sim](Context& ctx, PaymentRequest r) { return authorize_payment(ctx, std::move(r), sim); });
  registry.add<VoidRequest, VoidResponse>(
      "PaymentService", "VoidPayment",
      [sim](Context& ctx, VoidRequest r) { return void_payment(ctx, std::move(r), sim); });
  registry.add<FraudRequest, FraudResponse>(
      "FraudService", "CheckFraud",
      [sim](Context& ctx, FraudRequest r) { return check_fraud(ctx, std::move(r), sim); });
  registry.add<ShippingRequest, ShippingResponse>(
      "ShippingService", "CalculateShipping", [sim](Context& ctx, ShippingRequest r) {
        return calculate_shipping(ctx, std::move(r), sim);
      });
  registry.add("OrderService", "ProcessOrder", &process_order);
  registry.add("OrderServiceSlow", "ProcessOrder", &process_order_sequentially);
  register_order_review(registry);
  // The seed tutorial's services stay callable from outside, as the tutorial's curls call them.
  for (const char* service : {"InventoryService", "PaymentService", "FraudService",
                              "ShippingService", "OrderService", "OrderServiceSlow", "OrderReview"})
    registry.expose(service);
}

}  // namespace orderd::services
