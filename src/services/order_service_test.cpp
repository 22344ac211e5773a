// The order workflows' decisions, with scripted stand-ins for inventory, payment and fraud so each
// branch (partial failure, compensation, best shipping) is reached on purpose.
#include "services/order_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "services/fraud_service.hpp"
#include "services/inventory_service.hpp"
#include "services/payment_service.hpp"
#include "services/shipping_service.hpp"
#include "support/engine_harness.hpp"

namespace orderd::services {
namespace {

// What the stand-ins answer; reset per test.
struct Script {
  std::map<std::string, int> warehouse;  // 1 available, 0 not, -1 terminal failure
  bool authorized = true;
  double risk = 10;
  int fraud_sleep_ms = 0;
  int voids = 0;
  std::string voided_tx;
};
Script script;

Task<InventoryResponse> scripted_inventory(Context&, InventoryRequest r) {
  int state = script.warehouse[r.warehouse];
  if (state < 0) throw TerminalError("warehouse " + r.warehouse + " is offline");
  co_return InventoryResponse{state == 1, r.warehouse, r.quantity};
}

Task<PaymentResponse> scripted_payment(Context& ctx, PaymentRequest) {
  co_return PaymentResponse{script.authorized,
                            script.authorized ? "tx_" + ctx.uuid().substr(0, 8) : ""};
}

Task<FraudResponse> scripted_fraud(Context& ctx, FraudRequest) {
  if (script.fraud_sleep_ms > 0) {
    auto nap = ctx.sleep(std::chrono::milliseconds(script.fraud_sleep_ms));
    co_await nap;
  }
  co_return FraudResponse{script.risk, script.risk > kFraudThreshold};
}

Task<VoidResponse> counting_void(Context& ctx, VoidRequest r) {
  ctx.run("void", [&r] {
    ++script.voids;
    script.voided_tx = r.transactionId;
    return true;
  });
  co_return VoidResponse{true, r.transactionId};
}

const std::string kOrder =
    R"({"userId":"user123","productId":"prod456","quantity":2,"amount":99.99,"weight":5.5,"destination":"New York"})";

class OrderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script = Script{};
    script.warehouse = {{"Main", 1}, {"Backup", 1}};
    Simulation instant{0, 0};
    auto& r = h.registry;
    r.add("InventoryService", "CheckInventory", &scripted_inventory);
    r.add("PaymentService", "AuthorizePayment", &scripted_payment);
    r.add("PaymentService", "VoidPayment", &counting_void);
    r.add("FraudService", "CheckFraud", &scripted_fraud);
    r.add<ShippingRequest, ShippingResponse>(
        "ShippingService", "CalculateShipping", [instant](Context& ctx, ShippingRequest req) {
          return calculate_shipping(ctx, std::move(req), instant);
        });
    r.add("OrderService", "ProcessOrder", &process_order);
    r.add("OrderServiceSlow", "ProcessOrder", &process_order_sequentially);
    h.start();
  }

  boost::json::object order(const std::string& service) {
    auto outcome = h.call(service, "ProcessOrder", kOrder);
    EXPECT_TRUE(outcome.ok) << outcome.body;
    return boost::json::parse(outcome.body).as_object();
  }

  testing::EngineHarness h;
};

TEST_F(OrderServiceTest, ConfirmsWithTheCheapestShipping) {
  auto result = order("OrderService");
  EXPECT_EQ(result["status"], "confirmed");
  EXPECT_EQ(result["orderId"].as_string().size(), 12u);
  EXPECT_EQ(result["orderId"].as_string().subview(0, 4), "ORD_");
  // 5.5 kg x 2.5 x 0.7 (Economy) beats 5.5 x 2.5 (Standard).
  EXPECT_EQ(result["details"], "Shipping: $9.62 via Economy (7 days)");
  EXPECT_FALSE(result.contains("voidedTransactionId"));
  EXPECT_EQ(script.voids, 0);
}

TEST_F(OrderServiceTest, FallsBackToTheBackupWarehouseWhenMainFails) {
  script.warehouse = {{"Main", -1}, {"Backup", 1}};
  EXPECT_EQ(order("OrderService")["status"], "confirmed");
}

TEST_F(OrderServiceTest, VoidsTheAuthorizationWhenNoWarehouseHasStock) {
  script.warehouse = {{"Main", 0}, {"Backup", -1}};
  auto result = order("OrderService");
  EXPECT_EQ(result["status"], "failed");
  EXPECT_EQ(result["details"], "Product not available in any warehouse");
  EXPECT_EQ(script.voids, 1);
  EXPECT_EQ(result["voidedTransactionId"].as_string(), script.voided_tx);
}

TEST_F(OrderServiceTest, HighFraudRiskFailsAndVoids) {
  script.risk = 80;
  auto result = order("OrderService");
  EXPECT_EQ(result["status"], "failed");
  EXPECT_EQ(result["details"], "High fraud risk: 80.0");
  EXPECT_EQ(script.voids, 1);
}

TEST_F(OrderServiceTest, DeclinedPaymentHasNothingToVoid) {
  script.authorized = false;
  auto result = order("OrderService");
  EXPECT_EQ(result["details"], "Payment authorization failed");
  EXPECT_EQ(script.voids, 0);
}

TEST_F(OrderServiceTest, SequentialOrderConfirmsWithStandardShipping) {
  auto result = order("OrderServiceSlow");
  EXPECT_EQ(result["status"], "confirmed");
  EXPECT_EQ(result["details"], "Shipping: $13.75 via Standard");
}

TEST_F(OrderServiceTest, SequentialOrderStopsEarlyAndVoidsAfterFraud) {
  script.warehouse["Main"] = 0;
  EXPECT_EQ(order("OrderServiceSlow")["details"], "Inventory not available");
  EXPECT_EQ(script.voids, 0);

  script.warehouse["Main"] = 1;
  script.risk = 90;
  auto result = order("OrderServiceSlow");
  EXPECT_EQ(result["details"], "High fraud risk");
  EXPECT_EQ(script.voids, 1);
  EXPECT_EQ(result["voidedTransactionId"].as_string(), script.voided_tx);
}

TEST_F(OrderServiceTest, CancelVoidsAnAuthorizedPayment) {
  script.fraud_sleep_ms = 60'000;  // the order waits on fraud when the cancel comes
  for (const char* service : {"OrderService", "OrderServiceSlow"}) {
    script.voids = 0;
    auto id = h.start_invocation(service, "ProcessOrder", kOrder);
    // Payment authorized, fraud still pending: the order holds money it must give back.
    ASSERT_TRUE(h.run_until([&] {
      auto d = h.engine().describe(id);
      if (!d) return false;
      for (const auto& child : d->children)
        if (child.handler == "AuthorizePayment" && store::is_finished(child.status)) return true;
      return false;
    }));
    ASSERT_EQ(h.engine().cancel(id), Engine::Control::kDone);
    auto outcome = h.await_outcome(id);
    EXPECT_EQ(outcome.code, 409) << service;
    EXPECT_EQ(outcome.body, "cancelled") << service;
    EXPECT_EQ(script.voids, 1) << service;
  }
}

}  // namespace
}  // namespace orderd::services
