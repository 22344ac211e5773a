// The order saga and the stock handlers over the real engine and SQLite store: outcomes, the
// payment ledger, stock conservation, cancels, expiry, and a crash at every commit.
#include <gtest/gtest.h>

#include <regex>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "commerce/requests.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "support/engine_harness.hpp"

namespace orderd::commerce {
namespace {

using testing::EngineHarness;

constexpr std::int64_t kStock = 10;  // product 1: 6 in main, 4 in backup

CatalogSpec small_catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}, {"backup", "Backup", 2}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 6}, {"backup", 4}}});
  // 7,000.00: scores 75, above the fraud threshold of 70.
  spec.products.push_back({{2, "GOLD", "Gold", 700000, "USD", 0, 0}, {{"main", 5}}});
  return spec;
}

class OrderSagaTest : public ::testing::Test {
 protected:
  explicit OrderSagaTest(ShopOptions options = fast_payments()) : shop(options) {
    shop.register_services(harness.registry);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      if (shop.catalog.empty()) {
        seeding = true;
        engine.write_rows(seed_rows(shop, small_catalog(), 0), [this] { seeding = false; });
      }
    };
  }
  static ShopOptions fast_payments() {
    ShopOptions options;
    options.payment_timeout_ms = 50;
    return options;
  }
  void SetUp() override {
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return !seeding; }));
  }

  Order place(PlaceOrder request) {
    auto outcome = harness.call("Orders", "place", json::dump(boost::json::value_from(request)));
    EXPECT_TRUE(outcome.ok) << outcome.body;
    return boost::json::value_to<Order>(boost::json::parse(outcome.body));
  }
  static PlaceOrder basket(std::int64_t product, std::int64_t quantity,
                           std::string method = "mock") {
    PlaceOrder r;
    r.user_id = 100;
    r.items = {{product, quantity}};
    r.payment_method = std::move(method);
    return r;
  }
  std::int64_t payments(const std::string& order_id, const std::string& type,
                        const std::string& status = "succeeded") {
    return harness.query_int(
        "SELECT count(*) FROM rows WHERE tbl = 'payment_records' AND CAST(key AS TEXT) LIKE "
        "'order:" +
        order_id + "/%' AND CAST(value AS TEXT) LIKE '%\"type\":\"" + type +
        "\"%' AND CAST(value AS TEXT) LIKE '%\"status\":\"" + status + "\"%'");
  }
  // S2 for product 1 with nothing restocked: every unit is available, held or sold.
  void expect_conserved(const StockLedger& ledger) {
    const ProductLevels* levels = ledger.levels(1);
    ASSERT_NE(levels, nullptr);
    EXPECT_EQ(levels->available() + levels->reserved() + levels->sold, kStock);
    for (const auto& w : levels->warehouses) {
      EXPECT_GE(w.reserved, 0);
      EXPECT_LE(w.reserved, w.on_hand);
    }
  }
  // The durable rows rebuild exactly the ledger in memory.
  void expect_rows_match_memory() {
    Shop reloaded{ShopOptions{}};
    harness.crash();
    harness.before_recover = [&](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      reloaded.load(store);
    };
    harness.start();
    for (ProductId id : {1, 2}) {
      ASSERT_NE(reloaded.stock.ledger().levels(id), nullptr);
      EXPECT_EQ(reloaded.stock.ledger().levels(id)->available(),
                shop.stock.ledger().levels(id)->available());
      EXPECT_EQ(reloaded.stock.ledger().levels(id)->sold, shop.stock.ledger().levels(id)->sold);
    }
  }

  EngineHarness harness;
  Shop shop;
  bool seeding = false;  // the catalog's rows are on their way to the store
};

TEST_F(OrderSagaTest, AConfirmedOrderSellsItsUnitsAndIsCapturedOnce) {
  Order order = place(basket(1, 8));
  EXPECT_EQ(order.status, OrderStatus::kConfirmed);
  EXPECT_EQ(order.payment_status, PaymentStatus::kCaptured);
  EXPECT_EQ(order.total_amount, 12000);
  ASSERT_EQ(order.items.size(), 1u);
  // 8 units: none of the warehouses has them all, so both give (best priority first).
  std::vector<Allocation> expected{{1, "main", 6}, {1, "backup", 2}};
  EXPECT_EQ(order.items[0].allocations, expected);
  EXPECT_EQ(shop.stock.ledger().levels(1)->sold, 8);
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 0);
  EXPECT_EQ(payments(order.id, "authorize"), 1);
  EXPECT_EQ(payments(order.id, "capture"), 1);
  // Settled: the ledger's memory keeps only payments in flight (its rows keep everything).
  EXPECT_EQ(shop.payments.ledger().size(), 0u);
  EXPECT_EQ(payments(order.id, "void"), 0);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'held_reservations'"), 0);
  expect_conserved(shop.stock.ledger());
  // The view, written by hand, is JSON with the API's members.
  auto view = boost::json::parse(order_view_json(order)).as_object();
  EXPECT_EQ(view.at("status"), "confirmed");
  EXPECT_EQ(view.at("total_amount"), 12000);
  EXPECT_EQ(view.at("items").at(0).at("warehouse"), nullptr);  // split over two
  EXPECT_EQ(view.at("items").at(0).at("allocations").as_array().size(), 2u);
  EXPECT_EQ(view.at("failure_code"), nullptr);
  EXPECT_EQ(view.at("risk_score"), 6);  // 5 + 120.00 / 100
  EXPECT_EQ(view.size(), 18u);
  expect_rows_match_memory();
}

TEST_F(OrderSagaTest, OutOfStockFailsBeforeAnyPaymentAndHoldsNothing) {
  Order order = place(basket(1, kStock + 1));
  EXPECT_EQ(order.status, OrderStatus::kFailed);
  EXPECT_EQ(order.failure_code, "out_of_stock");
  EXPECT_EQ(order.failure().code, ErrorCode::kConflict);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'payment_records'"), 0);
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
}

TEST_F(OrderSagaTest, ADeclinedPaymentReleasesTheStock) {
  Order order = place(basket(1, 3, "mock_declined"));
  EXPECT_EQ(order.status, OrderStatus::kFailed);
  EXPECT_EQ(order.failure_code, "payment_declined");
  EXPECT_EQ(order.payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(payments(order.id, "authorize", "declined"), 1);
  EXPECT_EQ(payments(order.id, "void"), 0);  // nothing was authorized
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
  expect_conserved(shop.stock.ledger());
}

TEST_F(OrderSagaTest, AFraudRejectionVoidsTheAuthorization) {
  Order order = place(basket(2, 1));
  EXPECT_EQ(order.status, OrderStatus::kFailed);
  EXPECT_EQ(order.failure_code, "fraud_rejected");
  EXPECT_EQ(order.risk_score, 75);
  EXPECT_EQ(order.payment_status, PaymentStatus::kVoided);
  EXPECT_EQ(payments(order.id, "authorize"), 1);
  EXPECT_EQ(payments(order.id, "void"), 1);
  EXPECT_EQ(payments(order.id, "capture"), 0);
  EXPECT_EQ(shop.stock.ledger().levels(2)->available(), 5);
}

TEST_F(OrderSagaTest, AFlakyGatewayIsRetriedUntilItAnswers) {
  Order order = place(basket(1, 1, "mock_flaky"));
  EXPECT_EQ(order.status, OrderStatus::kConfirmed);
  EXPECT_EQ(payments(order.id, "authorize"), 1);
  EXPECT_EQ(payments(order.id, "capture"), 1);
}

TEST_F(OrderSagaTest, CancellingAConfirmedOrderRefundsAndReturnsItsUnits) {
  Order order = place(basket(1, 4));
  ASSERT_EQ(order.status, OrderStatus::kConfirmed);
  ASSERT_EQ(shop.payments.ledger().size(), 0u);  // forgotten: the refund reads it back
  InvokeRequest cancel{"OrderCancel", "cancel", "{\"reason\":\"changed my mind\"}"};
  cancel.object_key = order.id;
  std::optional<InvocationOutcome> done;
  harness.engine().invoke(cancel, [&](InvocationOutcome o) { done = std::move(o); });
  ASSERT_TRUE(harness.run_until([&] { return done.has_value(); }));
  ASSERT_TRUE(done->ok) << done->body;
  Order cancelled = boost::json::value_to<Order>(boost::json::parse(done->body));
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled.payment_status, PaymentStatus::kRefunded);
  EXPECT_EQ(cancelled.failure_reason, "changed my mind");
  EXPECT_GT(cancelled.version, order.version);
  EXPECT_EQ(payments(order.id, "refund"), 1);
  EXPECT_EQ(shop.stock.ledger().levels(1)->sold, 0);
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
  expect_conserved(shop.stock.ledger());

  // Again: the same order, nothing refunded twice.
  done.reset();
  harness.engine().invoke(cancel, [&](InvocationOutcome o) { done = std::move(o); });
  ASSERT_TRUE(harness.run_until([&] { return done.has_value(); }));
  EXPECT_TRUE(done->ok);
  EXPECT_EQ(payments(order.id, "refund"), 1);
  expect_rows_match_memory();
}

TEST_F(OrderSagaTest, ACancelKilledWhileRefundingIsFollowedByTheSameRefund) {
  Order order = place(basket(1, 2, "mock_flaky"));
  ASSERT_EQ(order.status, OrderStatus::kConfirmed);
  InvokeRequest cancel{"OrderCancel", "cancel", "{}"};
  cancel.object_key = order.id;
  std::optional<InvocationOutcome> first;
  InvokeResult started =
      harness.engine().invoke(cancel, [&](InvocationOutcome o) { first = std::move(o); });
  // The refund is out at the gateway (a flaky one: its first attempts never answer). An operator
  // kills the cancel now: no compensation runs, no refund is recorded, the order stays confirmed.
  // authorize and capture were asked before; the refund makes three.
  ASSERT_TRUE(harness.run_until([&] { return shop.payments.mock()->operations() == 3; }));
  ASSERT_EQ(harness.engine().kill(started.invocation_id), Engine::Control::kDone);
  ASSERT_TRUE(harness.run_until([&] { return first.has_value(); }));
  EXPECT_FALSE(first->ok);
  EXPECT_EQ(shop.orders.read_order(order.id)->status, OrderStatus::kConfirmed);

  // A second cancel refunds under the same gateway key: the money moves once.
  std::optional<InvocationOutcome> second;
  harness.engine().invoke(cancel, [&](InvocationOutcome o) { second = std::move(o); });
  ASSERT_TRUE(harness.run_until([&] { return second.has_value(); }));
  ASSERT_TRUE(second->ok) << second->body;
  EXPECT_EQ(boost::json::value_to<Order>(boost::json::parse(second->body)).status,
            OrderStatus::kCancelled);
  EXPECT_EQ(shop.payments.mock()->money("order:" + order.id).refunded, 1u);
  EXPECT_EQ(shop.payments.mock()->operations(), 3u);
  EXPECT_EQ(payments(order.id, "refund"), 1);
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
}

TEST_F(OrderSagaTest, AProductNamedTwiceIsOneItemAndCancelsWhole) {
  PlaceOrder request = basket(1, 1);
  request.items.push_back({1, 2});
  Order order = place(request);
  ASSERT_EQ(order.status, OrderStatus::kConfirmed);
  ASSERT_EQ(order.items.size(), 1u);
  EXPECT_EQ(order.items[0].quantity, 3);
  EXPECT_EQ(order.total_amount, 4500);
  InvokeRequest cancel{"OrderCancel", "cancel", "{}"};
  cancel.object_key = order.id;
  std::optional<InvocationOutcome> done;
  harness.engine().invoke(cancel, [&](InvocationOutcome o) { done = std::move(o); });
  ASSERT_TRUE(harness.run_until([&] { return done.has_value(); }));
  ASSERT_TRUE(done->ok) << done->body;
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
  EXPECT_EQ(payments(order.id, "refund"), 1);
}

TEST_F(OrderSagaTest, AnOrderThatFailedCannotBeCancelled) {
  Order order = place(basket(1, 1, "mock_declined"));
  InvokeRequest cancel{"OrderCancel", "cancel", "{}"};
  cancel.object_key = order.id;
  std::optional<InvocationOutcome> done;
  harness.engine().invoke(cancel, [&](InvocationOutcome o) { done = std::move(o); });
  ASSERT_TRUE(harness.run_until([&] { return done.has_value(); }));
  EXPECT_FALSE(done->ok);
  EXPECT_EQ(done->error.reason, "order_not_cancellable");
}

TEST_F(OrderSagaTest, AReservationExpiresOnceEvenAcrossARestart) {
  CreateReservation create{{{1, 5}}, kMinReservationTtlMs, "user:1"};
  auto outcome =
      harness.call("Reservations", "create", json::dump(boost::json::value_from(create)));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  auto held = boost::json::value_to<Reservation>(boost::json::parse(outcome.body));
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 5);
  harness.crash();  // the expiry is parked on its timer
  harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
    shop.attach(engine, scheduler);
    shop.load(store);
  };
  harness.start();
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 5);  // rebuilt from the rows
  ASSERT_TRUE(harness.run_until([&] { return shop.stock.ledger().levels(1)->reserved() == 0; }));
  auto stored = shop.stock.read_reservation(held.id);
  ASSERT_TRUE(harness.run_until([&] {
    stored = shop.stock.read_reservation(held.id);
    return stored && stored->status == "expired";
  }));
  expect_conserved(shop.stock.ledger());
}

TEST_F(OrderSagaTest, AnOrderTakesOverAReservationWhichThenNeverExpires) {
  CreateReservation create{{{1, 2}}, kMinReservationTtlMs, "user:100"};
  auto outcome =
      harness.call("Reservations", "create", json::dump(boost::json::value_from(create)));
  auto held = boost::json::value_to<Reservation>(boost::json::parse(outcome.body));
  PlaceOrder request = basket(1, 2);
  request.items.clear();
  request.reservation_id = held.id;
  PlaceOrder someone_else = request;
  someone_else.user_id = 101;
  // User 100's to buy: another user is told exactly what an unknown reservation tells, never
  // that someone else holds it.
  Order refused = place(someone_else);
  PlaceOrder unknown = someone_else;
  unknown.reservation_id = "res_unknown";
  Order refused_unknown = place(unknown);
  EXPECT_EQ(refused.failure_code, "reservation_not_held");
  EXPECT_EQ(refused.failure_reason,
            std::regex_replace(refused_unknown.failure_reason, std::regex("res_unknown"), held.id));
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 2);  // and still held
  Order order = place(request);
  EXPECT_EQ(order.status, OrderStatus::kConfirmed);
  EXPECT_EQ(order.reservation_id, held.id);
  EXPECT_EQ(shop.stock.ledger().levels(1)->sold, 2);
  // The expiry wakes and finds the reservation gone: nothing is released twice.
  ASSERT_TRUE(harness.run_until([&] { return harness.engine().in_flight() == 0; }));
  EXPECT_EQ(shop.stock.ledger().levels(1)->sold, 2);
  expect_conserved(shop.stock.ledger());
  // A second order on the same reservation fails: it is used.
  Order again = place(request);
  EXPECT_EQ(again.failure_code, "reservation_not_held");
}

// Issue 14: the handlers are reached by raw calls too (the Restate ingress served them), so each
// checks what the API checks: the basket's size first, the TTL, the warehouses' number.
class ShopLimitsTest : public OrderSagaTest {
 protected:
  static ShopOptions limits() {
    ShopOptions options = fast_payments();
    options.max_basket_lines = 3;
    options.max_warehouses = 2;  // the catalog's main and backup
    return options;
  }
  ShopLimitsTest() : OrderSagaTest(limits()) {}

  InvocationOutcome call(const char* service, const char* handler, const boost::json::value& in) {
    return harness.call(service, handler, json::dump(in));
  }
  void expect_refused(const InvocationOutcome& outcome, ErrorCode code, const char* reason) {
    EXPECT_FALSE(outcome.ok) << outcome.body;
    EXPECT_EQ(outcome.error.code, code) << outcome.body;
    EXPECT_EQ(outcome.error.reason, reason) << outcome.body;
  }
  void expect_nothing_held() {
    EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 0);
    EXPECT_EQ(shop.stock.ledger().open_reservations(), 0u);
    EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl IN "
                                "('held_reservations', 'reservations', 'orders')"),
              0);
  }
};

TEST_F(ShopLimitsTest, ABasketOverTheCapIsRefusedBeforeItIsMerged) {
  // Four lines whose sum overflows: merged first, this was invalid_quantity (and a stored,
  // failed order); the size is looked at first.
  PlaceOrder order = basket(1, INT64_MAX);
  order.items.assign(4, {1, INT64_MAX});
  auto placed = call("Orders", "place", boost::json::value_from(order));
  expect_refused(placed, ErrorCode::kInvalidArgument, "too_many_items");
  EXPECT_EQ(placed.code, 400);
  EXPECT_NE(placed.error.message.find("at most 3"), std::string::npos) << placed.error.message;
  CreateReservation create{order.items, kMinReservationTtlMs, "user:1"};
  expect_refused(call("Reservations", "create", boost::json::value_from(create)),
                 ErrorCode::kInvalidArgument, "too_many_items");
  expect_nothing_held();
  // At the cap: taken, the lines merged.
  order.items.assign(3, {1, 1});
  EXPECT_EQ(place(order).items.at(0).quantity, 3);
}

TEST_F(ShopLimitsTest, AReservationTtlOutsideOneSecondToSevenDaysIsRefused) {
  const std::int64_t years = std::int64_t{3} * 365 * 24 * 3600 * 1000;
  for (std::int64_t ttl : {years, kMaxReservationTtlMs + 1, kMinReservationTtlMs - 1,
                           std::int64_t{0}, std::int64_t{-1}, INT64_MAX}) {
    SCOPED_TRACE(ttl);
    CreateReservation create{{{1, 1}}, ttl, "user:1"};
    auto outcome = call("Reservations", "create", boost::json::value_from(create));
    expect_refused(outcome, ErrorCode::kInvalidArgument, "invalid_ttl");
    EXPECT_EQ(outcome.code, 400);
  }
  expect_nothing_held();
  // The expiry's own timer has the same bounds (0: at once).
  for (std::int64_t ttl : {kMaxReservationTtlMs + 1, std::int64_t{-5}}) {
    ReservationRef expire{"res_x", ttl};
    expect_refused(call("Reservations", "expire", boost::json::value_from(expire)),
                   ErrorCode::kInvalidArgument, "invalid_ttl");
  }
}

TEST_F(ShopLimitsTest, AStockWriteNamingOneWarehouseTooManyWritesNothing) {
  const std::int64_t events = harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events'");
  SetStock north{1, "north", true, 5};
  auto outcome = call("Stock", "set", boost::json::value_from(north));
  expect_refused(outcome, ErrorCode::kUnprocessable, "too_many_warehouses");
  EXPECT_EQ(outcome.code, 422);
  EXPECT_EQ(shop.catalog.warehouses().size(), 2u);
  EXPECT_EQ(shop.stock.ledger().warehouses().size(), 2u);
  EXPECT_EQ(shop.stock.ledger().levels(1)->on_hand(), kStock);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'warehouses'"), 2);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events'"), events);
  SetStock main{1, "main", true, 5};  // a known one is written
  EXPECT_TRUE(call("Stock", "set", boost::json::value_from(main)).ok);
  EXPECT_EQ(shop.stock.ledger().levels(1)->on_hand(), kStock + 5);
}

TEST(ShopSeedTest, ACatalogWithMoreWarehousesThanTheCapIsRefusedWhole) {
  ShopOptions options;
  options.max_warehouses = 1;
  Shop shop(options);
  try {
    seed_rows(shop, small_catalog(), 0);
    FAIL() << "seeded two warehouses under a cap of one";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "catalog: 2 warehouses, more than --max-warehouses (1)");
  }
  EXPECT_TRUE(shop.catalog.empty());
  options.max_warehouses = 2;
  Shop wider(options);
  EXPECT_FALSE(seed_rows(wider, small_catalog(), 0).empty());
}

class SlowGatewayTest : public OrderSagaTest {
 protected:
  static ShopOptions slow() {
    ShopOptions options;
    options.gateway.latency_ms = 200;
    return options;
  }
  SlowGatewayTest() : OrderSagaTest(slow()) {}
};

TEST_F(SlowGatewayTest, CancellingARunningSagaVoidsAndReleases) {
  std::string id = harness.engine().invoke("Orders", "place",
                                           json::dump(boost::json::value_from(basket(1, 3))), {});
  // Cancel while the authorization is out.
  ASSERT_TRUE(harness.run_until([&] { return shop.stock.ledger().levels(1)->reserved() == 3; }));
  EXPECT_EQ(harness.engine().cancel(id), Engine::Control::kDone);
  InvocationOutcome outcome = harness.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  Order order = boost::json::value_to<Order>(boost::json::parse(outcome.body));
  EXPECT_EQ(order.status, OrderStatus::kCancelled);
  EXPECT_EQ(order.failure_code, "order_cancelled");
  EXPECT_EQ(order.payment_status, PaymentStatus::kVoided);
  EXPECT_EQ(payments(order.id, "authorize"), 1);
  EXPECT_EQ(payments(order.id, "void"), 1);
  EXPECT_EQ(payments(order.id, "capture"), 0);
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
}

TEST_F(SlowGatewayTest, AKilledOrderGivesItsUnitsBackAndEndsFailed) {
  std::string id = harness.engine().invoke("Orders", "place",
                                           json::dump(boost::json::value_from(basket(1, 3))), {});
  ASSERT_TRUE(harness.run_until([&] { return shop.stock.ledger().levels(1)->reserved() == 3; }));
  EXPECT_EQ(shop.reclaim.run(), 0u);  // its saga is running: it will end the hold itself
  // The authorization is out (decided, durable, sent): the operator kills the saga now.
  ASSERT_TRUE(harness.run_until([&] { return shop.payments.mock()->operations() == 1; }));
  EXPECT_EQ(harness.engine().kill(id), Engine::Control::kDone);
  InvocationOutcome outcome = harness.await_outcome(id);
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 3);  // no compensation ran
  EXPECT_EQ(shop.reclaim.run(), 1u);                        // R1: one reclaim for the order
  EXPECT_EQ(shop.reclaim.run(), 0u);                        // and only one
  const std::string order_id = order_id_for(id);
  ASSERT_TRUE(harness.run_until([&] {
    auto order = shop.orders.read_order(order_id);
    return order && order->status == OrderStatus::kFailed && shop.reclaim.running() == 0;
  }));
  const Order order = *shop.orders.read_order(order_id);
  EXPECT_EQ(order.failure_code, "order_killed");
  EXPECT_EQ(order.payment_status, PaymentStatus::kVoided);
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
  // The authorization that went out is voided at the gateway, once, and the ledger says so.
  const payments::MoneyCount money = shop.payments.mock()->money("order:" + order_id);
  EXPECT_EQ(money.authorized, 1u);
  EXPECT_EQ(money.voided, 1u);
  EXPECT_FALSE(shop.payments.mock()->held("order:" + order_id));
  EXPECT_EQ(payments(order_id, "void"), 1);
  EXPECT_EQ(shop.reclaim.run(), 0u);
  expect_rows_match_memory();
}

// A crash at every commit of a saga (the store keeps only its first k batches): after the
// restart the order ends, its stock is conserved and it is charged at most once.
TEST(OrderSagaCrashTest, EveryCrashPointEndsWithConservedStockAndOneCharge) {
  std::size_t crash_points = 0;
  for (std::size_t k = 1; k < 40; ++k) {
    SCOPED_TRACE("crash after batch " + std::to_string(k));
    EngineOptions options;
    options.max_writes_per_batch = 1;
    EngineHarness harness(options);
    ShopOptions shop_options;
    shop_options.payment_timeout_ms = 50;
    Shop shop(shop_options);
    shop.register_services(harness.registry);
    bool seeded = false;
    harness.before_recover = [&](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      if (shop.catalog.empty())
        engine.write_rows(seed_rows(shop, small_catalog(), 0), [&seeded] { seeded = true; });
    };
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return seeded; }));
    harness.crash();
    harness.start_crashing_after(k);
    PlaceOrder request;
    request.user_id = 1;
    request.items = {{1, 7}};
    request.payment_method = "mock";
    std::string id =
        harness.start_invocation("Orders", "place", json::dump(boost::json::value_from(request)));
    std::optional<InvocationOutcome> finished;
    harness.engine().attach(id, [&](InvocationOutcome o) { finished = std::move(o); });
    harness.run_until([&] { return finished.has_value() || harness.store_crashed(); });
    const bool crashed = harness.store_crashed();
    crash_points += crashed;
    harness.crash();
    harness.start();
    if (harness.query_int("SELECT count(*) FROM invocations WHERE id = '" + id + "'") == 0) {
      EXPECT_TRUE(crashed);  // its creation never committed: no order, nothing held
      EXPECT_EQ(shop.stock.ledger().levels(1)->available(), kStock);
      continue;
    }
    InvocationOutcome outcome = harness.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
    Order order = boost::json::value_to<Order>(boost::json::parse(outcome.body));
    EXPECT_EQ(order.status, OrderStatus::kConfirmed)
        << order.failure_code << ": " << order.failure_reason;
    const ProductLevels* levels = shop.stock.ledger().levels(1);
    EXPECT_EQ(levels->sold, 7);
    EXPECT_EQ(levels->reserved(), 0);
    EXPECT_EQ(levels->available() + levels->sold, kStock);
    EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'payment_records' AND "
                                "CAST(value AS TEXT) LIKE '%\"type\":\"capture\"%'"),
              1);
    EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'payment_records'"), 2);
    // Its events, each once, in version order (E1, E2): created, authorized, captured, confirmed.
    const std::string events =
        "SELECT count(*) FROM rows WHERE tbl = 'events' AND "
        "CAST(value AS TEXT) LIKE '%\"subject\":\"" +
        order.id + "\"%'";
    EXPECT_EQ(harness.query_int(events), 4);
    int version = 1;
    for (const char* type : {"created", "authorized", "captured", "confirmed"}) {
      EXPECT_EQ(harness.query_int(events + " AND CAST(value AS TEXT) LIKE '%\"type\":\"order." +
                                  type + "\"%\"version\":" + std::to_string(version++) + ",%'"),
                1)
          << type;
    }
    // The product's: two sets (the catalog), reserved, committed.
    EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events' AND "
                                "CAST(value AS TEXT) LIKE '%\"subject\":\"1\"%'"),
              4);
    if (!crashed) break;  // past the last commit: every crash point was visited
  }
  // The saga commits its creation, its steps and its outcome separately (one write per batch).
  EXPECT_GE(crash_points, 8u);
}

}  // namespace
}  // namespace orderd::commerce
