// The expiry of API reservations (X1, stock.hpp), attacked over the real engine and
// SQLite store: there is no invocation left to kill or purge, a restart between a reservation
// and its expiry still expires it at its time, many due at once end in TTL order in bounded
// batches, and a reservation an order adopted never expires.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <chrono>
#include <optional>
#include <sstream>
#include <thread>

#include "commerce/requests.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "store/records.hpp"
#include "support/engine_harness.hpp"

namespace orderd::commerce {
namespace {

using testing::EngineHarness;

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 1000}}});
  return spec;
}

constexpr std::size_t kBatch = 4;

ShopOptions options() {
  ShopOptions o;
  o.payment_timeout_ms = 50;
  o.expiry_batch = kBatch;
  return o;
}

class ReservationExpiryTest : public ::testing::Test {
 protected:
  ReservationExpiryTest() : shop(options()) {
    shop.register_services(harness.registry);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      if (shop.catalog.empty()) {
        seeding = true;
        engine.write_rows(seed_rows(shop, catalog(), 0), [this] { seeding = false; });
      }
    };
  }
  void SetUp() override {
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return !seeding; }));
  }

  Reservation reserve(std::int64_t units, std::int64_t ttl_ms) {
    CreateReservation create{{{1, units}}, ttl_ms, "user:100"};
    auto outcome =
        harness.call("Reservations", "create", json::dump(boost::json::value_from(create)));
    EXPECT_TRUE(outcome.ok) << outcome.body;
    if (!outcome.ok) return {};
    return boost::json::value_to<Reservation>(boost::json::parse(outcome.body));
  }
  std::int64_t reserved() { return shop.stock.ledger().levels(1)->reserved(); }
  std::string status_of(const std::string& id) {
    auto stored = shop.stock.read_reservation(id);
    return stored ? stored->status : "missing";
  }
  bool expired(const std::string& id) { return status_of(id) == "expired"; }
  std::vector<store::InvocationRecord> reservation_invocations() {
    store::ListQuery query;
    query.service = "Reservations";
    query.limit = 1000;
    return harness.engine().list(query);
  }
  // The reservations stock.released names, in the outbox's (commit) order.
  std::vector<std::string> released_in_order() {
    std::vector<std::string> ids;
    const std::string all = harness.query_text(
        "SELECT group_concat(value, char(10)) FROM (SELECT value FROM rows WHERE tbl = 'events' "
        "ORDER BY key)");
    std::istringstream lines(all);
    for (std::string line; std::getline(lines, line);) {
      auto event = boost::json::parse(line).as_object();
      if (event.at("type").as_string() != "stock.released") continue;
      ids.emplace_back(event.at("data").as_object().at("reference").as_string());
    }
    return ids;
  }
  // While the engine is down nothing can be awaited: the wall clock passes `when_ms`.
  static void wall_clock_past(std::int64_t when_ms) {
    while (std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() <= when_ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  EngineHarness harness;
  Shop shop;
  bool seeding = false;
};

TEST_F(ReservationExpiryTest, KillingTheExpiryCannotStrandAReservation) {
  const Reservation held = reserve(5, kMinReservationTtlMs);
  EXPECT_EQ(reserved(), 5);
  // The attack: kill or purge whatever carries the expiry. Nothing does: the only invocation
  // is the create, finished; no Reservations/expire was started.
  auto invocations = reservation_invocations();
  ASSERT_EQ(invocations.size(), 1u);
  EXPECT_EQ(invocations[0].handler, "create");
  EXPECT_EQ(harness.engine().purge(invocations[0].id), Engine::Control::kDone);
  ASSERT_TRUE(harness.run_until([&] { return reservation_invocations().empty(); }));

  // The units come back at its time, through the stock's timer.
  ASSERT_TRUE(harness.run_until([&] { return expired(held.id); }));
  EXPECT_GE(harness.scheduler().now_ms(), held.expires_at_ms);
  EXPECT_EQ(reserved(), 0);
  EXPECT_EQ(shop.stock.held(held.id), nullptr);
  EXPECT_EQ(shop.stock.ledger().levels(1)->available(), 1000);
  EXPECT_TRUE(reservation_invocations().empty());  // and none was started to do it
}

TEST_F(ReservationExpiryTest, ARestartBetweenCreationAndExpiryStillExpiresItAtItsTime) {
  const Reservation held = reserve(5, 1500);
  harness.crash();
  harness.start();
  EXPECT_EQ(reserved(), 5);  // rebuilt from the held rows, expiry included
  ASSERT_EQ(shop.stock.ledger().inventory().find_hold(held.id)->expires_at_ms, held.expires_at_ms);
  ASSERT_TRUE(harness.run_until([&] { return expired(held.id); }));
  EXPECT_GE(harness.scheduler().now_ms(), held.expires_at_ms);
  EXPECT_EQ(reserved(), 0);
  // Durable: another restart finds it expired, nothing held.
  harness.crash();
  harness.start();
  EXPECT_EQ(reserved(), 0);
  EXPECT_EQ(status_of(held.id), "expired");
}

TEST_F(ReservationExpiryTest, ManyDueAtOnceExpireInTtlOrderInBoundedBatches) {
  // Made in one order, due in the reverse one (each TTL 100 ms shorter than the one before).
  constexpr int kCount = 10;
  std::vector<Reservation> made;
  for (int i = 0; i < kCount; ++i) made.push_back(reserve(1, 3000 - 100 * i));
  std::vector<Reservation> by_expiry = made;
  std::sort(by_expiry.begin(), by_expiry.end(),
            [](const auto& a, const auto& b) { return a.expires_at_ms < b.expires_at_ms; });
  ASSERT_EQ(by_expiry.front().id, made.back().id);  // made fast enough for the order to hold
  // Down until every one is due, so the restart finds them all due at once.
  harness.crash();
  wall_clock_past(by_expiry.back().expires_at_ms);
  const std::size_t batches_before = shop.stock.expiry().batches();
  harness.start();
  ASSERT_TRUE(harness.run_until([&] { return reserved() == 0; }));
  // ceil(10 / 4) runs, each ending at most kBatch, and the rows say expired.
  EXPECT_EQ(shop.stock.expiry().batches() - batches_before, (kCount + kBatch - 1) / kBatch);
  ASSERT_TRUE(harness.run_until([&] { return released_in_order().size() == kCount; }));
  std::vector<std::string> expected;
  for (const auto& r : by_expiry) expected.push_back(r.id);
  EXPECT_EQ(released_in_order(), expected);
  for (const auto& r : made) EXPECT_EQ(status_of(r.id), "expired") << r.id;
}

TEST_F(ReservationExpiryTest, AReservationAnOrderAdoptedNeverExpires) {
  const Reservation adopted = reserve(3, kMinReservationTtlMs);
  {
    WriteSet writes;
    auto taken = shop.stock.adopt(adopted.id, "ord_x", harness.scheduler().now_ms(), writes);
    ASSERT_TRUE(std::holds_alternative<Reservation>(taken));
    bool durable = false;
    harness.engine().write_rows(writes.take(), [&] { durable = true; });
    ASSERT_TRUE(harness.run_until([&] { return durable; }));
  }
  // The hold itself no longer expires: its expiry is gone from the inventory.
  EXPECT_EQ(shop.stock.ledger().inventory().find_hold(adopted.id)->expires_at_ms, 0);
  // Another reservation made later expires: the adopted one's time has passed by then.
  const Reservation later = reserve(1, kMinReservationTtlMs);
  ASSERT_TRUE(harness.run_until([&] { return expired(later.id); }));
  EXPECT_GE(harness.scheduler().now_ms(), adopted.expires_at_ms);
  EXPECT_EQ(status_of(adopted.id), "held");
  EXPECT_EQ(reserved(), 3);
  // And across a restart (the held row says whose it is).
  harness.crash();
  harness.start();
  EXPECT_EQ(shop.stock.ledger().inventory().find_hold(adopted.id)->expires_at_ms, 0);
  const Reservation after = reserve(1, kMinReservationTtlMs);
  ASSERT_TRUE(harness.run_until([&] { return expired(after.id); }));
  EXPECT_NE(shop.stock.held(adopted.id), nullptr);
  EXPECT_EQ(reserved(), 3);
}

}  // namespace
}  // namespace orderd::commerce
