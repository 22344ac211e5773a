// The stock ledger without I/O: allocation by warehouse priority, all-or-nothing baskets, each
// reservation ended once, and the invariants S1-S4 under thousands of random operations.
#include "commerce/stock/stock_ledger.hpp"

#include <gtest/gtest.h>

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <random>

#include "commerce/stock/stock_rows.hpp"

namespace orderd::commerce {
namespace {

StockLedger two_warehouses() {
  StockLedger ledger;
  ledger.add_warehouse("main");
  ledger.add_warehouse("backup");
  return ledger;
}

const StockLedger::Held& held(const std::variant<StockLedger::Held, Error>& r) {
  if (const auto* e = std::get_if<Error>(&r)) ADD_FAILURE() << e->message;
  static const StockLedger::Held none;
  const auto* h = std::get_if<StockLedger::Held>(&r);
  return h ? *h : none;
}

TEST(StockLedger, TakesTheBestPriorityWarehouseWithEnoughElseSplits) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "backup", 10));
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 3));
  EXPECT_EQ(held(ledger.reserve("r1", {{1, 2}})).allocations,
            (std::vector<Allocation>{{1, "main", 2}}));
  // main has 1 left: 5 fit whole only in backup.
  EXPECT_EQ(held(ledger.reserve("r2", {{1, 5}})).allocations,
            (std::vector<Allocation>{{1, "backup", 5}}));
  // 6 fit in no single warehouse (1 and 5 left): split in priority order.
  EXPECT_EQ(held(ledger.reserve("r3", {{1, 6}})).allocations,
            (std::vector<Allocation>{{1, "main", 1}, {1, "backup", 5}}));
  EXPECT_EQ(ledger.levels(1)->available(), 0);
  EXPECT_EQ(ledger.levels(1)->reserved(), 13);
}

TEST(StockLedger, ABasketIsHeldWholeOrNotAtAll) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 5));
  ASSERT_FALSE(ledger.set_on_hand(2, "main", 1));
  auto refused = ledger.reserve("r1", {{1, 3}, {2, 2}});
  ASSERT_TRUE(std::holds_alternative<Error>(refused));
  const Error& e = std::get<Error>(refused);
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.reason, "out_of_stock");
  EXPECT_EQ(e.details, R"({"product_id":2,"requested":2,"available":1})");
  EXPECT_EQ(ledger.levels(1)->reserved(), 0);  // product 1 was not held either
  EXPECT_EQ(ledger.open_reservations(), 0u);
  auto unknown = ledger.reserve("r2", {{99, 1}});
  EXPECT_EQ(std::get<Error>(unknown).reason, "out_of_stock");
}

TEST(StockLedger, RepeatedProductsAreSummed) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 3));
  EXPECT_TRUE(std::holds_alternative<Error>(ledger.reserve("r1", {{1, 2}, {1, 2}})));
  EXPECT_EQ(held(ledger.reserve("r2", {{1, 1}, {1, 2}})).allocations,
            (std::vector<Allocation>{{1, "main", 3}}));
}

TEST(MergeBasket, KeepsFirstAppearanceOrderAndSumsQuantities) {
  EXPECT_EQ(merge_basket({}), std::vector<BasketItem>{});
  EXPECT_EQ(merge_basket({{3, 1}, {1, 2}, {3, 4}, {2, 1}, {1, 5}}),
            (std::vector<BasketItem>{{3, 5}, {1, 7}, {2, 1}}));
  EXPECT_FALSE(merge_basket({{1, INT64_MAX}, {2, 1}, {1, 1}}));  // a sum overflows
}

// Issue 14: each line was compared with every merged line before it. Two million distinct
// products made that minutes of work (past the test's timeout); with an index, a moment.
TEST(MergeBasket, TakesTimeLinearInTheLines) {
  constexpr ProductId kProducts = 2'000'000;
  std::vector<BasketItem> basket;
  basket.reserve(kProducts + kProducts / 2);
  for (ProductId p = kProducts; p >= 1; --p) basket.push_back({p, 1});
  for (ProductId p = 1; p <= kProducts; p += 2) basket.push_back({p, 2});
  auto merged = merge_basket(basket);
  ASSERT_TRUE(merged);
  ASSERT_EQ(merged->size(), static_cast<std::size_t>(kProducts));
  for (std::size_t i = 0; i < merged->size(); ++i) {
    const ProductId p = kProducts - static_cast<ProductId>(i);
    ASSERT_EQ((*merged)[i].product_id, p);
    ASSERT_EQ((*merged)[i].quantity, p % 2 == 1 ? 3 : 1);
  }
}

TEST(StockLedger, AReservationEndsOnce) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 4));
  held(ledger.reserve("sold", {{1, 3}}));
  held(ledger.reserve("returned", {{1, 1}}));
  held(ledger.commit("sold"));
  held(ledger.release("returned"));
  EXPECT_EQ(std::get<Error>(ledger.release("sold")).code, ErrorCode::kNotFound);
  EXPECT_EQ(std::get<Error>(ledger.commit("returned")).code, ErrorCode::kNotFound);
  EXPECT_EQ(ledger.levels(1)->on_hand(), 1);
  EXPECT_EQ(ledger.levels(1)->reserved(), 0);
  EXPECT_EQ(ledger.levels(1)->sold, 3);
}

TEST(StockLedger, RefusesBadInputAndOnHandBelowWhatIsReserved) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 4));
  held(ledger.reserve("r1", {{1, 3}}));
  EXPECT_EQ(ledger.set_on_hand(1, "main", 2)->reason, "stock_reserved");
  EXPECT_EQ(ledger.levels(1)->on_hand(), 4);
  EXPECT_FALSE(ledger.set_on_hand(1, "main", 3));
  EXPECT_EQ(ledger.set_on_hand(1, "main", -1)->code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.restock(1, "main", 0)->code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(std::get<Error>(ledger.reserve("r2", {})).reason, "empty_basket");
  EXPECT_EQ(std::get<Error>(ledger.reserve("r2", {{1, 0}})).reason, "invalid_quantity");
  EXPECT_EQ(std::get<Error>(ledger.reserve("r1", {{1, 0}})).reason, "reservation_exists");
}

TEST(StockLedger, QuantitiesThatWouldOverflowAreRefusedAndChangeNothing) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", INT64_MAX - 1));
  EXPECT_EQ(ledger.restock(1, "main", 5)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.levels(1)->on_hand(), INT64_MAX - 1);
  // The product's total over its warehouses must fit too.
  EXPECT_EQ(ledger.set_on_hand(1, "backup", 5)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.restock(1, "backup", 5)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.levels(1)->on_hand(), INT64_MAX - 1);
  // Refused in a warehouse named for the first time: no level, no warehouse appears.
  const std::size_t warehouses = ledger.warehouses().size();
  const std::size_t levels = ledger.levels(1)->warehouses.size();
  EXPECT_EQ(ledger.restock(1, "north", 5)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.set_on_hand(1, "south", 5)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.warehouses().size(), warehouses);
  EXPECT_EQ(ledger.levels(1)->warehouses.size(), levels);
}

// Issue 16's attack: an operator sets on_hand near the limit after a sale, then the sale is
// returned (a cancelled, refunded order). The return used to add past 64 bits; it is refused
// whole, and nothing changes.
TEST(StockLedger, AReturnThatWouldOverflowOnHandIsRefusedAndChangesNothing) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 10));
  held(ledger.reserve("sale", {{1, 5}}));
  held(ledger.commit("sale"));
  ASSERT_FALSE(ledger.set_on_hand(1, "main", INT64_MAX - 2));
  const std::vector<Allocation> returned{{1, "main", 5}};
  EXPECT_EQ(ledger.return_sold(returned)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.levels(1)->on_hand(), INT64_MAX - 2);
  EXPECT_EQ(ledger.levels(1)->sold, 5);
  // Spread over warehouses, each part fits but the product's total would not.
  ASSERT_FALSE(ledger.set_on_hand(1, "main", INT64_MAX - 4));
  const std::vector<Allocation> spread{{1, "main", 2}, {1, "backup", 3}};
  EXPECT_EQ(ledger.return_sold(spread)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.levels(1)->on_hand(), INT64_MAX - 4);
  EXPECT_EQ(ledger.levels(1)->warehouses.size(), 1u);  // no level appeared for backup
  // Quantities whose sum overflows are refused before anything is read.
  const std::vector<Allocation> huge{{1, "main", INT64_MAX}, {1, "main", INT64_MAX}};
  EXPECT_EQ(ledger.return_sold(huge)->reason, "invalid_quantity");
  EXPECT_EQ(ledger.levels(1)->sold, 5);
  // Within the limit it goes through.
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 100));
  EXPECT_FALSE(ledger.return_sold(returned));
  EXPECT_EQ(ledger.levels(1)->on_hand(), 105);
  EXPECT_EQ(ledger.levels(1)->sold, 0);
}

TEST(StockLedger, ANewWarehouseJoinsInPriorityOrder) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.restock(1, "backup", 5));
  ASSERT_FALSE(ledger.restock(1, "overflow", 5));  // unknown until now: lowest priority
  ASSERT_FALSE(ledger.restock(1, "main", 1));
  const auto& levels = ledger.levels(1)->warehouses;
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0].warehouse, "main");
  EXPECT_EQ(levels[1].warehouse, "backup");
  EXPECT_EQ(levels[2].warehouse, "overflow");
}

// S1-S4 under random reserves, releases, commits, restocks and sets, over many seeds.
TEST(StockLedger, InvariantsHoldUnderRandomOperations) {
  for (std::uint32_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto ledger = two_warehouses();
    const std::vector<std::string> warehouses{"main", "backup"};
    std::map<ProductId, std::int64_t> added;  // initial + restocked - removed by sets
    for (ProductId p = 1; p <= 5; ++p)
      for (const auto& w : warehouses) {
        const std::int64_t n = pick(20);
        ASSERT_FALSE(ledger.set_on_hand(p, w, n));
        added[p] += n;
      }
    std::vector<std::string> open;
    for (int op = 0; op < 400; ++op) {
      const int kind = pick(10);
      if (kind < 5) {
        std::vector<BasketItem> basket;
        for (int i = 0, n = 1 + pick(3); i < n; ++i) basket.push_back({1 + pick(5), 1 + pick(6)});
        std::string id = "r" + std::to_string(op);
        if (std::holds_alternative<StockLedger::Held>(ledger.reserve(id, basket)))
          open.push_back(id);
      } else if (kind < 8 && !open.empty()) {
        const std::size_t i = static_cast<std::size_t>(pick(static_cast<int>(open.size())));
        auto ended = kind < 7 ? ledger.commit(open[i]) : ledger.release(open[i]);
        ASSERT_TRUE(std::holds_alternative<StockLedger::Held>(ended));
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (kind == 8) {
        const ProductId p = 1 + pick(5);
        const std::int64_t n = 1 + pick(5);
        ASSERT_FALSE(ledger.restock(p, warehouses[static_cast<std::size_t>(pick(2))], n));
        added[p] += n;
      } else {
        const ProductId p = 1 + pick(5);
        const auto& w = warehouses[static_cast<std::size_t>(pick(2))];
        const std::int64_t before = ledger.levels(p)->on_hand();
        const std::int64_t n = pick(15);
        if (!ledger.set_on_hand(p, w, n)) added[p] += ledger.levels(p)->on_hand() - before;
      }
      for (ProductId p = 1; p <= 5; ++p) {
        const ProductLevels& l = *ledger.levels(p);
        for (const auto& w : l.warehouses) {
          ASSERT_GE(w.reserved, 0);          // S1
          ASSERT_LE(w.reserved, w.on_hand);  // S1
        }
        ASSERT_EQ(l.available() + l.reserved() + l.sold, added[p]);  // S2
      }
    }
    EXPECT_EQ(ledger.open_reservations(), open.size());  // S4: each ended once
  }
}

// ---- Over the inventory (issue 16): the ledger's state is the inventory's, and its rows
// rebuild it exactly.

// A product's row as stored, and read back.
ProductLevels stored(const ProductLevels& levels) {
  return boost::json::value_to<ProductLevels>(boost::json::value_from(levels));
}

TEST(StockLedger, ReservationsAreHoldsOnStockResources) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 1));
  ASSERT_FALSE(ledger.set_on_hand(1, "backup", 5));
  held(ledger.reserve("r1", {{1, 3}}, "order:ord_1"));
  const auto mine = ledger.inventory().holds_of("order:ord_1");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0]->lines.at(0).resource.text(), "stock/1@backup");
  EXPECT_EQ(*ledger.inventory().levels(*StockLedger::resource_key(1, "backup")),
            (inventory::Levels{5, 3, 0}));
  EXPECT_EQ(*ledger.reservation("r1"), (std::vector<Allocation>{{1, "backup", 3}}));
  held(ledger.reserve("r2", {{1, 1}}, "user:7", 5000));
  EXPECT_EQ(ledger.inventory().next_expiry(), 5000);
  ASSERT_FALSE(ledger.set_expiry("r2", 0));  // an order took it over
  EXPECT_FALSE(ledger.inventory().next_expiry());
  held(ledger.commit("r1"));
  EXPECT_EQ(ledger.reservation("r1"), nullptr);
  EXPECT_EQ(ledger.levels(1)->warehouses[1].sold, 3);
  auto broken = ledger.inventory().check_all();
  EXPECT_FALSE(broken) << *broken;
}

// Sold where it was sold: a return goes back to its own warehouse, and a warehouse that sold
// nothing takes nothing back, though the product as a whole has sold enough (S5).
TEST(StockLedger, AReturnGoesBackOnlyWhereUnitsWereSold) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 5));
  ASSERT_FALSE(ledger.set_on_hand(1, "backup", 5));
  held(ledger.reserve("sale", {{1, 4}}));  // all from main
  held(ledger.commit("sale"));
  const std::vector<Allocation> elsewhere{{1, "backup", 4}};
  EXPECT_EQ(ledger.return_sold(elsewhere)->reason, "not_sold");
  EXPECT_EQ(ledger.levels(1)->on_hand(), 6);
  EXPECT_EQ(ledger.levels(1)->sold, 4);
  const std::vector<Allocation> where_sold{{1, "main", 4}};
  EXPECT_FALSE(ledger.return_sold(where_sold));
  EXPECT_EQ(ledger.levels(1)->warehouses[0].on_hand, 5);
}

// A restart: the product rows and the open reservations rebuild the same levels, the sales per
// warehouse included, so a refund after the restart returns each unit where it was sold.
TEST(StockLedger, ItsRowsRebuildItExactly) {
  auto ledger = two_warehouses();
  ASSERT_FALSE(ledger.set_on_hand(1, "main", 2));
  ASSERT_FALSE(ledger.set_on_hand(1, "backup", 10));
  const auto split = held(ledger.reserve("sale", {{1, 5}})).allocations;  // 2 main, 3 backup
  held(ledger.commit("sale"));
  const auto open = held(ledger.reserve("open", {{1, 4}}, "user:3")).allocations;
  ledger.next_version(1);

  auto reloaded = two_warehouses();
  reloaded.load_product(1, stored(*ledger.levels(1)));
  ASSERT_FALSE(reloaded.load_reservation("open", open, "user:3"));
  const ProductLevels& a = *ledger.levels(1);
  const ProductLevels& b = *reloaded.levels(1);
  ASSERT_EQ(b.warehouses.size(), a.warehouses.size());
  for (std::size_t i = 0; i < a.warehouses.size(); ++i) {
    EXPECT_EQ(b.warehouses[i].warehouse, a.warehouses[i].warehouse);
    EXPECT_EQ(b.warehouses[i].on_hand, a.warehouses[i].on_hand);
    EXPECT_EQ(b.warehouses[i].reserved, a.warehouses[i].reserved);
    EXPECT_EQ(b.warehouses[i].sold, a.warehouses[i].sold);
  }
  EXPECT_EQ(b.sold, 5);
  EXPECT_EQ(b.version, a.version);
  EXPECT_EQ(reloaded.inventory().holds_of("user:3").size(), 1u);
  EXPECT_FALSE(reloaded.return_sold(split));
  EXPECT_EQ(reloaded.levels(1)->sold, 0);
  auto broken = reloaded.inventory().check_all();
  EXPECT_FALSE(broken) << *broken;
}

// `reserved` comes from the reservations loaded, never from a product row: a row saying units
// are reserved with no reservation behind them leaves none reserved (nothing orphaned), and a
// reservation the row's level cannot carry is refused, not half-loaded.
TEST(StockLedger, LoadingTakesReservedFromTheReservations) {
  StockLedger ledger;
  ProductLevels row;
  row.warehouses = {{"main", 10, 7, 0}};
  ledger.load_product(1, row);
  EXPECT_EQ(ledger.levels(1)->reserved(), 0);
  EXPECT_EQ(ledger.levels(1)->available(), 10);
  const std::vector<Allocation> too_many{{1, "main", 11}};
  EXPECT_EQ(ledger.load_reservation("r", too_many)->reason, "out_of_stock");
  EXPECT_EQ(ledger.open_reservations(), 0u);
}

// A row written before per-warehouse sold: the product's sold counts in its first warehouse,
// so what it sold can still come back.
TEST(StockLedger, ALegacyRowKeepsItsSales) {
  auto ledger = two_warehouses();
  auto json =
      boost::json::value_from(ProductLevels{{{"backup", 4, 0, 0}, {"main", 1, 0, 0}}, 6, 2});
  for (auto& w : json.as_object()["warehouses"].as_array()) w.as_object().erase("sold");
  ledger.load_product(1, boost::json::value_to<ProductLevels>(json));
  EXPECT_EQ(ledger.levels(1)->sold, 6);
  EXPECT_EQ(ledger.levels(1)->warehouses[0].warehouse, "main");
  EXPECT_EQ(ledger.levels(1)->warehouses[0].sold, 6);
  EXPECT_EQ(ledger.levels(1)->version, 2);
  const std::vector<Allocation> back{{1, "main", 6}};
  EXPECT_FALSE(ledger.return_sold(back));
  EXPECT_EQ(ledger.levels(1)->on_hand(), 11);
}

}  // namespace
}  // namespace orderd::commerce
