// Quotas per principal on reservations (Q3, shop.hpp), over the real engine and SQLite store: a
// principal's open API reservations and the units in them, refused past either quota inside
// Reservations/create's journaled step (429 quota_reservations, quota_reserved_units), each
// reservation leaving the count once (release, expiry, an order taking it over), and the counts
// rebuilt from the rows after a restart.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <optional>

#include "commerce/requests.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "support/engine_harness.hpp"

namespace orderd::commerce {
namespace {

using testing::EngineHarness;

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 100}}});
  return spec;
}

ShopOptions quotas() {
  ShopOptions options;
  options.payment_timeout_ms = 50;
  options.max_reservations_per_caller = 3;
  options.max_reserved_units_per_caller = 10;
  return options;
}

constexpr std::int64_t kLongTtl = 3'600'000;

class ReservationQuotaTest : public ::testing::Test {
 protected:
  ReservationQuotaTest() : shop(quotas()) {
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

  // Reservations/create as the API starts it for `principal` (empty: authentication off).
  InvocationOutcome create_as(const std::string& principal, std::int64_t units,
                              std::int64_t ttl_ms = kLongTtl, bool exempt = false) {
    CreateReservation create{{{1, units}}, ttl_ms, "user:100", exempt};
    InvokeRequest request{"Reservations", "create", json::dump(boost::json::value_from(create))};
    request.principal = principal;
    std::optional<InvocationOutcome> outcome;
    harness.engine().invoke(std::move(request),
                            [&](InvocationOutcome o) { outcome = std::move(o); });
    EXPECT_TRUE(harness.run_until([&] { return outcome.has_value(); }));
    return outcome.value_or(InvocationOutcome{});
  }
  std::string reserved_by(const std::string& principal, std::int64_t units) {
    auto outcome = create_as(principal, units);
    EXPECT_TRUE(outcome.ok) << outcome.body;
    if (!outcome.ok) return {};
    return boost::json::value_to<Reservation>(boost::json::parse(outcome.body)).id;
  }
  void release(const std::string& id) {
    ReservationRef ref{id, 0};
    auto outcome =
        harness.call("Reservations", "release", json::dump(boost::json::value_from(ref)));
    EXPECT_TRUE(outcome.ok) << outcome.body;
  }
  static void expect_refused(const InvocationOutcome& outcome, const char* reason) {
    EXPECT_FALSE(outcome.ok) << outcome.body;
    EXPECT_EQ(outcome.code, 429) << outcome.body;
    EXPECT_EQ(outcome.error.code, ErrorCode::kResourceExhausted) << outcome.body;
    EXPECT_EQ(outcome.error.reason, reason) << outcome.body;
  }
  void expect_holding(const std::string& principal, std::size_t reservations, std::int64_t units) {
    EXPECT_EQ(shop.stock.holding_of(principal).reservations, reservations) << principal;
    EXPECT_EQ(shop.stock.holding_of(principal).units, units) << principal;
  }

  EngineHarness harness;
  Shop shop;
  bool seeding = false;
};

TEST_F(ReservationQuotaTest, AHoarderIsStoppedAtItsQuotaWhileOthersStillReserve) {
  std::vector<std::string> held;
  for (int i = 0; i < 3; ++i) held.push_back(reserved_by("alice", 2));
  expect_holding("alice", 3, 6);

  // The fourth: refused whole, nothing held for it.
  expect_refused(create_as("alice", 1), "quota_reservations");
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 6);
  EXPECT_EQ(shop.stock.ledger().open_reservations(), 3u);
  // Another customer reserves the same product.
  reserved_by("bob", 4);
  expect_holding("bob", 1, 4);
  // An admin's request (exempt) and an anonymous one (authentication off) have no quota.
  EXPECT_TRUE(create_as("alice", 20, kLongTtl, true).ok);
  EXPECT_TRUE(create_as("", 20).ok);
  EXPECT_EQ(shop.stock.holding_of("").reservations, 0u);  // anonymous ones are not counted

  // Releasing one makes room, once: the count went down by one, not more.
  release(held[0]);
  expect_holding("alice", 3, 24);  // two of hers (4) and the exempt one (20) are still held
  expect_refused(create_as("alice", 1), "quota_reservations");
}

TEST_F(ReservationQuotaTest, UnitsPastTheQuotaAreRefusedEvenInOneReservation) {
  expect_refused(create_as("alice", 11), "quota_reserved_units");
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 0);
  EXPECT_EQ(shop.stock.holders(), 0u);
  reserved_by("alice", 7);
  auto over = create_as("alice", 4);
  expect_refused(over, "quota_reserved_units");
  EXPECT_NE(over.error.details.find("\"reserved_units\":7"), std::string::npos)
      << over.error.details;
  reserved_by("alice", 3);  // exactly at the quota is within it
  expect_holding("alice", 2, 10);
}

TEST_F(ReservationQuotaTest, AnExpiredReservationLeavesTheCountAndTheEntryGoes) {
  auto outcome = create_as("alice", 5, kMinReservationTtlMs);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  expect_holding("alice", 1, 5);
  ASSERT_TRUE(harness.run_until([&] { return shop.stock.ledger().levels(1)->reserved() == 0; }));
  expect_holding("alice", 0, 0);
  EXPECT_EQ(shop.stock.holders(), 0u);  // memory bounded by what is held
}

TEST_F(ReservationQuotaTest, AnOrderTakingOverAReservationFreesItsQuotaOnce) {
  const std::string id = reserved_by("alice", 3);
  reserved_by("alice", 1);
  expect_holding("alice", 2, 4);
  PlaceOrder order;
  order.user_id = 100;
  order.payment_method = "mock";
  order.reservation_id = id;
  auto placed = harness.call("Orders", "place", json::dump(boost::json::value_from(order)));
  ASSERT_TRUE(placed.ok) << placed.body;
  EXPECT_EQ(boost::json::value_to<Order>(boost::json::parse(placed.body)).status,
            OrderStatus::kConfirmed);
  // Adopted, then committed: it left alice's holding at the adoption, and only then.
  expect_holding("alice", 1, 1);
  ASSERT_TRUE(harness.run_until([&] { return shop.stock.ledger().levels(1)->sold == 3; }));
  expect_holding("alice", 1, 1);
}

TEST_F(ReservationQuotaTest, TheCountsAreRebuiltFromTheRowsAfterARestart) {
  const std::string first = reserved_by("alice", 2);
  reserved_by("alice", 3);
  reserved_by("bob", 1);
  // The principal is in the row, not in the API's view.
  auto row = harness.engine().read_row(Stock::kHeld, first);
  ASSERT_TRUE(row.has_value());
  EXPECT_NE(row->find("\"principal\":\"alice\""), std::string::npos) << *row;
  EXPECT_FALSE(reservation_view(*shop.stock.held(first)).as_object().contains("principal"));

  harness.crash();
  harness.start();
  expect_holding("alice", 2, 5);
  expect_holding("bob", 1, 1);
  EXPECT_EQ(shop.stock.holders(), 2u);
  reserved_by("alice", 5);
  expect_refused(create_as("alice", 1), "quota_reservations");
  release(first);
  expect_holding("alice", 2, 8);
  expect_refused(create_as("alice", 3), "quota_reserved_units");
}

}  // namespace
}  // namespace orderd::commerce
