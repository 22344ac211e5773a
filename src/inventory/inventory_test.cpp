// The inventory without I/O: each operation and each refusal, all-or-nothing holds, overflow
// attacks near 2^63, the expiry index, loading, batches, and I1-I8 against a reference model under
// thousands of random operations.
#include "inventory/inventory.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>

namespace orderd::inventory {
namespace {

ResourceKey key(std::string_view text) {
  auto k = ResourceKey::parse(text);
  EXPECT_TRUE(k) << text;
  return k ? *k : ResourceKey();
}

Hold hold(std::string id, std::vector<HoldLine> lines, std::string owner = "user:1",
          std::int64_t expires_at_ms = 0) {
  return Hold{std::move(id), std::move(owner), expires_at_ms, std::move(lines)};
}

std::string reason(const std::optional<Error>& e) {
  return e ? e->reason : "ok";
}
std::string reason(const std::variant<Hold, Error>& r) {
  return std::holds_alternative<Error>(r) ? std::get<Error>(r).reason : "ok";
}

void expect_sound(const Inventory& inv) {
  auto broken = inv.check_all();
  EXPECT_FALSE(broken) << *broken;
}

// Two seats and a room, stocked.
Inventory travel() {
  Inventory inv;
  EXPECT_FALSE(inv.set_on_hand(key("seat/UA100/2024-12-15"), 3));
  EXPECT_FALSE(inv.set_on_hand(key("seat/UA200/2024-12-15"), 2));
  EXPECT_FALSE(inv.set_on_hand(key("room/hilton-nyc/2024-12-15"), 1));
  return inv;
}

TEST(ResourceKey, IsKindSlashId) {
  auto k = key("stock/42@east");
  EXPECT_EQ(k.kind(), "stock");
  EXPECT_EQ(k.id(), "42@east");
  EXPECT_EQ(key("seat/UA100/2024-12-15").id(), "UA100/2024-12-15");  // the id may hold '/'
  EXPECT_EQ(ResourceKey::of("room", "hilton-nyc/2024-12-15")->text(), "room/hilton-nyc/2024-12-15");
  for (std::string_view bad :
       std::vector<std::string_view>{"", "stock", "stock/", "/42", "Stock/42", "9x/1", "st ock/1",
                                     "stock/4\n2", std::string_view("stock/\0", 7)})
    EXPECT_FALSE(ResourceKey::parse(bad)) << bad;
  EXPECT_TRUE(ResourceKey().empty());
}

TEST(KindTable, DescribesKindsAsData) {
  Inventory inv;
  inv.kinds().describe("seat", {"Seat", "one seat on one flight"});
  ASSERT_NE(inv.kinds().find("seat"), nullptr);
  EXPECT_EQ(inv.kinds().find("seat")->label, "Seat");
  EXPECT_EQ(inv.kinds().find("room"), nullptr);
  // An undescribed kind is counted all the same.
  EXPECT_FALSE(inv.set_on_hand(key("room/x/2024-12-15"), 1));
  EXPECT_FALSE(inv.hold(hold("h", {{key("room/x/2024-12-15"), 1}})));
}

TEST(Inventory, SetsAndRestocksLevels) {
  Inventory inv;
  const auto k = key("stock/1@main");
  EXPECT_EQ(inv.levels(k), nullptr);
  ASSERT_FALSE(inv.set_on_hand(k, 5));
  ASSERT_FALSE(inv.restock(k, 3));
  EXPECT_EQ(*inv.levels(k), (Levels{8, 0, 0}));
  ASSERT_FALSE(inv.hold(hold("h", {{k, 6}})));
  EXPECT_EQ(inv.levels(k)->available(), 2);
  const auto refused = inv.set_on_hand(k, 5);
  EXPECT_EQ(reason(refused), "stock_reserved");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->details, R"({"resource":"stock/1@main","reserved":6})");
  EXPECT_EQ(inv.levels(k)->on_hand, 8);
  EXPECT_FALSE(inv.set_on_hand(k, 6));  // down to what is reserved
  EXPECT_EQ(reason(inv.set_on_hand(k, -1)), "invalid_quantity");
  EXPECT_EQ(reason(inv.restock(k, 0)), "invalid_quantity");
  EXPECT_EQ(reason(inv.set_on_hand(ResourceKey(), 1)), "invalid_resource");
  EXPECT_EQ(reason(inv.restock(ResourceKey(), 1)), "invalid_resource");
  EXPECT_EQ(inv.resource_count(), 1u);
  expect_sound(inv);
}

TEST(Inventory, RefusesEachBadHoldWithItsReason) {
  auto inv = travel();
  const auto ua100 = key("seat/UA100/2024-12-15");
  const auto ua200 = key("seat/UA200/2024-12-15");
  EXPECT_EQ(reason(inv.hold(hold("", {{ua100, 1}}))), "invalid_hold");
  EXPECT_EQ(reason(inv.hold(hold("h", {}))), "invalid_hold");
  EXPECT_EQ(reason(inv.hold(hold("h", {{ua100, 1}}, "trip:1", -5))), "invalid_expiry");
  EXPECT_EQ(reason(inv.hold(hold("h", {{ua100, 0}}))), "invalid_quantity");
  EXPECT_EQ(reason(inv.hold(hold("h", {{ua100, -1}}))), "invalid_quantity");
  EXPECT_EQ(reason(inv.hold(hold("h", {{ua100, 1}, {ResourceKey(), 1}}))), "invalid_resource");
  EXPECT_EQ(reason(inv.hold(hold("h", {{ua100, 1}, {ua100, 1}}))), "duplicate_resource");
  const auto unknown = inv.hold(hold("h", {{key("seat/XX1/2024-12-15"), 1}}));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown->reason, "unknown_resource");
  const auto short_ = inv.hold(hold("h", {{ua100, 1}, {ua200, 3}}));
  ASSERT_TRUE(short_);
  EXPECT_EQ(short_->code, ErrorCode::kConflict);
  EXPECT_EQ(short_->reason, "out_of_stock");
  EXPECT_EQ(short_->details, R"({"resource":"seat/UA200/2024-12-15","requested":3,"available":2})");
  ASSERT_FALSE(inv.hold(hold("h", {{ua100, 1}})));
  EXPECT_EQ(reason(inv.hold(hold("h", {{ua200, 1}}))), "hold_exists");
  EXPECT_EQ(inv.holds().size(), 1u);
  expect_sound(inv);
}

// A trip's basket: two flights and a night. The last line is short, so nothing is held: not
// the seats its first lines could have had, no expiry, no owner entry.
TEST(Inventory, ABasketWhoseLastLineIsShortChangesNothing) {
  auto inv = travel();
  const auto before_100 = *inv.levels(key("seat/UA100/2024-12-15"));
  const auto before_200 = *inv.levels(key("seat/UA200/2024-12-15"));
  const auto refused = inv.hold(hold("trip-001",
                                     {{key("seat/UA100/2024-12-15"), 2},
                                      {key("seat/UA200/2024-12-15"), 2},
                                      {key("room/hilton-nyc/2024-12-15"), 2}},
                                     "trip:trip-001", 1000));
  EXPECT_EQ(reason(refused), "out_of_stock");
  EXPECT_EQ(*inv.levels(key("seat/UA100/2024-12-15")), before_100);
  EXPECT_EQ(*inv.levels(key("seat/UA200/2024-12-15")), before_200);
  EXPECT_EQ(inv.levels(key("room/hilton-nyc/2024-12-15"))->reserved, 0);
  EXPECT_EQ(inv.find_hold("trip-001"), nullptr);
  EXPECT_TRUE(inv.holds_of("trip:trip-001").empty());
  EXPECT_FALSE(inv.next_expiry());
  expect_sound(inv);
}

TEST(Inventory, CommitSellsReleaseReturnsAndAHoldEndsOnce) {
  auto inv = travel();
  const auto ua100 = key("seat/UA100/2024-12-15");
  ASSERT_FALSE(inv.hold(hold("sold", {{ua100, 2}}, "order:ord_1", 500)));
  ASSERT_FALSE(inv.hold(hold("released", {{ua100, 1}}, "order:ord_2", 600)));
  EXPECT_EQ(*inv.levels(ua100), (Levels{3, 3, 0}));
  auto committed = inv.commit("sold");
  ASSERT_TRUE(std::holds_alternative<Hold>(committed));
  EXPECT_EQ(std::get<Hold>(committed).owner, "order:ord_1");
  EXPECT_EQ(*inv.levels(ua100), (Levels{1, 1, 2}));
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.release("released")));
  EXPECT_EQ(*inv.levels(ua100), (Levels{1, 0, 2}));
  // I4: ended once, either way.
  EXPECT_EQ(reason(inv.release("sold")), "hold_not_found");
  EXPECT_EQ(reason(inv.commit("released")), "hold_not_found");
  EXPECT_EQ(std::get<Error>(inv.commit("nothing")).code, ErrorCode::kNotFound);
  EXPECT_EQ(*inv.levels(ua100), (Levels{1, 0, 2}));
  EXPECT_FALSE(inv.next_expiry());
  // An ended id names nothing: a new hold may take it.
  EXPECT_FALSE(inv.hold(hold("sold", {{ua100, 1}})));
  expect_sound(inv);
}

TEST(Inventory, ReturnsAtMostWhatWasSold) {
  auto inv = travel();
  const auto ua100 = key("seat/UA100/2024-12-15");
  const auto ua200 = key("seat/UA200/2024-12-15");
  ASSERT_FALSE(inv.hold(hold("h", {{ua100, 2}, {ua200, 1}})));
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.commit("h")));
  // ua100 sold 2: 3 back is refused, and so is the whole return with it (I5, I3).
  const auto refused = inv.return_sold({{ua200, 1}, {ua100, 3}});
  EXPECT_EQ(reason(refused), "not_sold");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->details, R"({"resource":"seat/UA100/2024-12-15","returned":3,"sold":2})");
  EXPECT_EQ(*inv.levels(ua200), (Levels{1, 0, 1}));
  // Two lines of one resource are summed before the bound is checked.
  EXPECT_EQ(reason(inv.return_sold({{ua100, 2}, {ua100, 1}})), "not_sold");
  EXPECT_EQ(reason(inv.return_sold({{key("seat/XX/1"), 1}})), "unknown_resource");
  EXPECT_EQ(reason(inv.return_sold({{ua100, 0}})), "invalid_quantity");
  EXPECT_FALSE(inv.return_sold({{ua100, 2}, {ua200, 1}}));
  EXPECT_EQ(*inv.levels(ua100), (Levels{3, 0, 0}));
  EXPECT_EQ(*inv.levels(ua200), (Levels{2, 0, 0}));
  EXPECT_FALSE(inv.return_sold({}));  // nothing to return
  expect_sound(inv);
}

// Issue 16's attacks near 2^63: each refused whole, nothing changed, no resource created.
TEST(Inventory, QuantitiesPastSixtyFourBitsAreRefusedWhole) {
  Inventory inv;
  const auto a = key("stock/1@main");
  const auto b = key("stock/2@main");
  ASSERT_FALSE(inv.set_on_hand(a, INT64_MAX - 1));
  EXPECT_EQ(reason(inv.restock(a, 2)), "invalid_quantity");
  EXPECT_EQ(inv.levels(a)->on_hand, INT64_MAX - 1);
  EXPECT_FALSE(inv.restock(a, 1));  // exactly the limit is fine
  EXPECT_EQ(inv.levels(a)->on_hand, INT64_MAX);

  // A sale, then an operator sets on_hand near the limit; the return would wrap on_hand.
  ASSERT_FALSE(inv.set_on_hand(b, 10));
  ASSERT_FALSE(inv.set_on_hand(a, 10));
  ASSERT_FALSE(inv.hold(hold("sale", {{a, 5}, {b, 5}})));
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.commit("sale")));
  ASSERT_FALSE(inv.set_on_hand(b, INT64_MAX - 2));
  // The first line alone would fit: still nothing is returned.
  EXPECT_EQ(reason(inv.return_sold({{a, 5}, {b, 5}})), "invalid_quantity");
  EXPECT_EQ(*inv.levels(a), (Levels{5, 0, 5}));
  EXPECT_EQ(*inv.levels(b), (Levels{INT64_MAX - 2, 0, 5}));
  // Lines whose sum overflows, before anything is read.
  EXPECT_EQ(reason(inv.return_sold({{a, INT64_MAX}, {a, INT64_MAX}})), "invalid_quantity");
  EXPECT_EQ(*inv.levels(a), (Levels{5, 0, 5}));

  // sold near the limit (as loaded): a commit that would wrap it is refused, the hold stays.
  const auto c = key("stock/3@main");
  ASSERT_FALSE(inv.load_level(c, 10, INT64_MAX - 1));
  ASSERT_FALSE(inv.hold(hold("big", {{a, 1}, {c, 2}})));
  EXPECT_EQ(reason(inv.commit("big")), "invalid_quantity");
  EXPECT_NE(inv.find_hold("big"), nullptr);
  EXPECT_EQ(*inv.levels(a), (Levels{5, 1, 5}));
  EXPECT_EQ(*inv.levels(c), (Levels{10, 2, INT64_MAX - 1}));
  EXPECT_TRUE(std::holds_alternative<Hold>(inv.release("big")));

  // A refused restock of a new resource leaves no resource behind.
  const std::size_t resources = inv.resource_count();
  EXPECT_EQ(reason(inv.restock(key("stock/4@main"), 0)), "invalid_quantity");
  EXPECT_EQ(inv.resource_count(), resources);
  expect_sound(inv);
}

TEST(Inventory, ExpiresOldestFirstThenById) {
  auto inv = travel();
  const auto ua100 = key("seat/UA100/2024-12-15");
  const auto room = key("room/hilton-nyc/2024-12-15");
  ASSERT_FALSE(inv.hold(hold("b", {{ua100, 1}}, "user:1", 200)));
  ASSERT_FALSE(inv.hold(hold("a", {{ua100, 1}}, "user:2", 200)));
  ASSERT_FALSE(inv.hold(hold("c", {{ua100, 1}}, "user:3", 100)));
  ASSERT_FALSE(inv.hold(hold("never", {{room, 1}}, "order:ord_1", 0)));
  EXPECT_EQ(inv.next_expiry(), 100);
  EXPECT_EQ(inv.expired(99, 10), std::vector<std::string>{});
  EXPECT_EQ(inv.expired(100, 10), std::vector<std::string>{"c"});
  EXPECT_EQ(inv.expired(1000, 10), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(inv.expired(1000, 2), (std::vector<std::string>{"c", "a"}));  // bounded
  // An order takes "c" over: it never expires now.
  ASSERT_FALSE(inv.set_expiry("c", 0));
  EXPECT_EQ(inv.next_expiry(), 200);
  // Pushed later, and ended holds leave the index.
  ASSERT_FALSE(inv.set_expiry("a", 300));
  EXPECT_EQ(inv.expired(1000, 10), (std::vector<std::string>{"b", "a"}));
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.release("b")));
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.commit("a")));
  EXPECT_FALSE(inv.next_expiry());
  EXPECT_EQ(inv.expired(INT64_MAX, 10), std::vector<std::string>{});
  EXPECT_EQ(reason(inv.set_expiry("a", 5)), "hold_not_found");
  EXPECT_EQ(reason(inv.set_expiry("c", -1)), "invalid_expiry");
  expect_sound(inv);
}

TEST(Inventory, FindsAnOwnersHolds) {
  auto inv = travel();
  const auto ua100 = key("seat/UA100/2024-12-15");
  const auto ua200 = key("seat/UA200/2024-12-15");
  ASSERT_FALSE(inv.hold(hold("t2", {{ua100, 1}}, "trip:trip-001")));
  ASSERT_FALSE(inv.hold(hold("t1", {{ua200, 1}}, "trip:trip-001")));
  ASSERT_FALSE(inv.hold(hold("o1", {{ua100, 1}}, "order:ord_1")));
  auto trip = inv.holds_of("trip:trip-001");
  ASSERT_EQ(trip.size(), 2u);
  EXPECT_EQ(trip[0]->id, "t1");
  EXPECT_EQ(trip[1]->id, "t2");
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.release("t1")));
  ASSERT_EQ(inv.holds_of("trip:trip-001").size(), 1u);
  EXPECT_TRUE(inv.holds_of("user:9").empty());
  EXPECT_EQ(inv.holds().size(), 2u);
  expect_sound(inv);
}

// Loading: levels as the rows say, reserved made by the holds loaded (I7), and the expiry and
// owner indexes rebuilt.
TEST(Inventory, LoadsLevelsThenHolds) {
  Inventory inv;
  const auto k = key("stock/1@main");
  ASSERT_FALSE(inv.load_level(k, 10, 4));
  ASSERT_FALSE(inv.load_hold(hold("r1", {{k, 3}}, "user:1", 900)));
  ASSERT_FALSE(inv.load_hold(hold("r2", {{k, 2}}, "order:ord_1")));
  EXPECT_EQ(*inv.levels(k), (Levels{10, 5, 4}));
  EXPECT_EQ(inv.next_expiry(), 900);
  EXPECT_EQ(inv.holds_of("order:ord_1").size(), 1u);
  // A hold the level cannot carry is refused, not half-loaded.
  EXPECT_EQ(reason(inv.load_hold(hold("r3", {{k, 6}}))), "out_of_stock");
  EXPECT_EQ(reason(inv.load_level(k, 4, 0)), "stock_reserved");
  EXPECT_EQ(reason(inv.load_level(k, 5, -1)), "invalid_quantity");
  EXPECT_EQ(*inv.levels(k), (Levels{10, 5, 4}));
  expect_sound(inv);
  // Conservation counts from what was loaded: the sale goes from on_hand to sold.
  ASSERT_TRUE(std::holds_alternative<Hold>(inv.commit("r2")));
  EXPECT_EQ(*inv.levels(k), (Levels{8, 3, 6}));
  expect_sound(inv);
}

TEST(Inventory, DecidesABatchInOrderOneDecisionEach) {
  Inventory inv;
  const auto k = key("seat/UA100/2024-12-15");
  auto decisions = inv.decide(std::vector<Request>{
      SetOnHandRequest{k, 2},
      HoldRequest{hold("h1", {{k, 2}}, "trip:1", 50)},
      HoldRequest{hold("h2", {{k, 1}}, "trip:2")},  // refused: h1 has both seats
      SetExpiryRequest{"h1", 70},
      CommitRequest{"h1"},
      ReleaseRequest{"h1"},  // refused: ended
      RestockRequest{k, 1},
      ReturnSoldRequest{{{k, 1}}},
  });
  ASSERT_EQ(decisions.size(), 8u);
  EXPECT_TRUE(decisions[0].applied());
  EXPECT_TRUE(decisions[1].applied());
  EXPECT_EQ(reason(decisions[2].error), "out_of_stock");
  EXPECT_TRUE(decisions[3].applied());
  ASSERT_TRUE(decisions[4].ended);
  EXPECT_EQ(decisions[4].ended->expires_at_ms, 70);
  EXPECT_EQ(reason(decisions[5].error), "hold_not_found");
  EXPECT_FALSE(decisions[5].ended);
  EXPECT_TRUE(decisions[6].applied());
  EXPECT_TRUE(decisions[7].applied());
  EXPECT_EQ(*inv.levels(k), (Levels{2, 0, 1}));
  expect_sound(inv);
}

// ---- The model test: a plain reference that says what each operation must do, and the
// inventory checked against it (and against I1-I8) after every one of thousands of operations.
struct Model {
  struct Level {
    std::int64_t on_hand = 0, reserved = 0, sold = 0;
  };
  std::map<std::string, Level> levels;
  std::map<std::string, Hold> holds;

  std::string hold(const Hold& h) {
    if (h.lines.empty()) return "invalid_hold";
    std::set<std::string> named;
    for (const auto& l : h.lines) {
      if (l.quantity < 1) return "invalid_quantity";
      if (!named.insert(l.resource.text()).second) return "duplicate_resource";
    }
    if (holds.count(h.id)) return "hold_exists";
    for (const auto& l : h.lines) {
      auto it = levels.find(l.resource.text());
      if (it == levels.end()) return "unknown_resource";
      if (it->second.on_hand - it->second.reserved < l.quantity) return "out_of_stock";
    }
    for (const auto& l : h.lines) levels[l.resource.text()].reserved += l.quantity;
    holds[h.id] = h;
    return "ok";
  }
  std::string end(const std::string& id, bool sold) {
    auto it = holds.find(id);
    if (it == holds.end()) return "hold_not_found";
    if (sold)
      for (const auto& l : it->second.lines)
        if (levels[l.resource.text()].sold > INT64_MAX - l.quantity) return "invalid_quantity";
    for (const auto& l : it->second.lines) {
      Level& v = levels[l.resource.text()];
      v.reserved -= l.quantity;
      if (sold) v.on_hand -= l.quantity, v.sold += l.quantity;
    }
    holds.erase(it);
    return "ok";
  }
  std::string return_sold(const std::vector<HoldLine>& lines) {
    std::map<std::string, __int128> sum;
    for (const auto& l : lines) {
      if (l.quantity < 1) return "invalid_quantity";
      if ((sum[l.resource.text()] += l.quantity) > INT64_MAX) return "invalid_quantity";
    }
    for (const auto& l : lines) {
      auto it = levels.find(l.resource.text());
      if (it == levels.end()) return "unknown_resource";
      if (it->second.sold < sum[l.resource.text()]) return "not_sold";
      if (it->second.on_hand + sum[l.resource.text()] > static_cast<__int128>(INT64_MAX))
        return "invalid_quantity";
    }
    for (const auto& l : lines) {
      levels[l.resource.text()].on_hand += l.quantity;
      levels[l.resource.text()].sold -= l.quantity;
    }
    return "ok";
  }
  std::string set_on_hand(const std::string& k, std::int64_t n) {
    if (n < 0) return "invalid_quantity";
    if (levels.count(k) && n < levels[k].reserved) return "stock_reserved";
    levels[k].on_hand = n;
    return "ok";
  }
  std::string restock(const std::string& k, std::int64_t n) {
    if (n < 1) return "invalid_quantity";
    const std::int64_t before = levels.count(k) ? levels[k].on_hand : 0;
    if (before > INT64_MAX - n) return "invalid_quantity";
    levels[k].on_hand = before + n;
    return "ok";
  }
  std::string set_expiry(const std::string& id, std::int64_t at) {
    if (at < 0) return "invalid_expiry";
    auto it = holds.find(id);
    if (it == holds.end()) return "hold_not_found";
    it->second.expires_at_ms = at;
    return "ok";
  }
  std::vector<std::string> expired(std::int64_t now, std::size_t limit) const {
    std::vector<std::pair<std::int64_t, std::string>> due;
    for (const auto& [id, h] : holds)
      if (h.expires_at_ms > 0 && h.expires_at_ms <= now) due.emplace_back(h.expires_at_ms, id);
    std::sort(due.begin(), due.end());
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < due.size() && i < limit; ++i) ids.push_back(due[i].second);
    return ids;
  }
};

TEST(Inventory, AgreesWithAReferenceModelUnderRandomOperations) {
  const std::vector<std::string> names{"stock/1@main", "stock/1@backup", "seat/UA100/2024-12-15",
                                       "room/h/2024-12-15", "stock/2@main"};
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t n) { return static_cast<std::int64_t>(rng() % n); };
    auto any_name = [&] { return names[static_cast<std::size_t>(pick(names.size()))]; };
    // Now and then a quantity near the limit, to walk the overflow paths.
    auto quantity = [&] {
      const auto r = pick(40);
      return r == 0 ? INT64_MAX - pick(4) : r == 1 ? -pick(2) : 1 + pick(6);
    };
    Inventory inv;
    Model model;
    std::vector<std::string> ids;  // ids ever used, so commits and releases hit ended ones too
    for (int op = 0; op < 3000; ++op) {
      std::string expected, got;
      const auto kind = pick(100);
      if (kind < 30) {
        Hold h;
        h.id = pick(4) == 0 && !ids.empty() ? ids[static_cast<std::size_t>(pick(ids.size()))]
                                            : "h" + std::to_string(op);
        h.owner = "owner:" + std::to_string(pick(4));
        h.expires_at_ms = pick(3) == 0 ? 0 : 1 + pick(1000);
        for (std::int64_t i = 0, n = pick(4); i < n; ++i)
          h.lines.push_back({key(any_name()), quantity()});
        ids.push_back(h.id);
        expected = model.hold(h);
        got = reason(inv.hold(h));
      } else if (kind < 50 && !ids.empty()) {
        const auto& id = ids[static_cast<std::size_t>(pick(ids.size()))];
        const bool sold = pick(2) == 0;
        expected = model.end(id, sold);
        got = reason(sold ? inv.commit(id) : inv.release(id));
      } else if (kind < 60) {
        std::vector<HoldLine> lines;
        for (std::int64_t i = 0, n = 1 + pick(3); i < n; ++i)
          lines.push_back({key(any_name()), pick(3) == 0 ? quantity() : 1 + pick(2)});
        expected = model.return_sold(lines);
        got = reason(inv.return_sold(lines));
      } else if (kind < 75) {
        const auto k = any_name();
        const std::int64_t n = pick(30) == 0 ? INT64_MAX - pick(3) : pick(25) - 1;
        expected = model.set_on_hand(k, n);
        got = reason(inv.set_on_hand(key(k), n));
      } else if (kind < 85) {
        const auto k = any_name();
        const std::int64_t n = quantity();
        expected = model.restock(k, n);
        got = reason(inv.restock(key(k), n));
      } else if (kind < 95 && !ids.empty()) {
        const auto& id = ids[static_cast<std::size_t>(pick(ids.size()))];
        const std::int64_t at = pick(10) == 0 ? -1 : pick(1000);
        expected = model.set_expiry(id, at);
        got = reason(inv.set_expiry(id, at));
      } else {
        const std::int64_t now = pick(1100);
        const std::size_t limit = static_cast<std::size_t>(1 + pick(5));
        ASSERT_EQ(inv.expired(now, limit), model.expired(now, limit)) << "op " << op;
        continue;
      }
      ASSERT_EQ(got, expected) << "op " << op;
      // The whole state, as the model has it.
      ASSERT_EQ(inv.resource_count(), model.levels.size()) << "op " << op;
      for (const auto& [k, v] : model.levels) {
        const Levels* l = inv.levels(key(k));
        ASSERT_NE(l, nullptr) << k;
        ASSERT_EQ(*l, (Levels{v.on_hand, v.reserved, v.sold})) << k << " op " << op;
      }
      ASSERT_EQ(inv.holds().size(), model.holds.size()) << "op " << op;
      for (const auto& [id, h] : model.holds) {
        const Hold* mine = inv.find_hold(id);
        ASSERT_NE(mine, nullptr) << id;
        ASSERT_EQ(*mine, h) << id;
      }
      auto broken = inv.check_all();
      ASSERT_FALSE(broken) << *broken << " op " << op;
    }
  }
}

}  // namespace
}  // namespace orderd::inventory
