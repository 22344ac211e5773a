// Domain rows written by transact steps commit with the step's journal entry, are not written
// again by a replay, and are never written by a step that failed; rows written outside any
// invocation, point reads and asynchronous scans.
#include <gtest/gtest.h>

#include <optional>

#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

struct Units {
  int units = 0;
};
Units tag_invoke(boost::json::value_to_tag<Units>, const boost::json::value& v) {
  return {static_cast<int>(v.as_object().at("units").as_int64())};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Units& u) {
  v = {{"units", u.units}};
}

const Table<Units> kStock("stock");
int decisions = 0;  // how often the transact step's function ran

// Takes one unit of the product in `in.value` (an in-memory ledger would decide here), writes
// the new level and an audit row in one step, then sleeps so a test can crash after the step.
Task<Text> take_one(Context& ctx, Text in) {
  const std::string product = in.value;
  int left = ctx.transact("take", [&](WriteSet& writes) {
    ++decisions;
    if (product == "none") throw TerminalError("out of stock", 409);
    kStock.put(writes, product, Units{9});
    writes.put("audit", product + "/1", "\"taken\"");
    return 9;
  });
  auto nap = ctx.sleep(200ms);
  co_await nap;
  co_return Text{std::to_string(left)};
}

Task<Text> write_elsewhere(Context& ctx, Text) {
  ctx.transact("bad", [](WriteSet& writes) {
    writes.put("nowhere", "k", "1");
    return 0;
  });
  co_return Text{"wrote"};
}

class DomainRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    decisions = 0;
    h.registry.add_table("stock");
    h.registry.add_table("audit");
    h.registry.add("Stock", "TakeOne", &take_one);
    h.registry.add("Stock", "WriteElsewhere", &write_elsewhere);
  }
  std::optional<Units> stock(const std::string& product) {
    auto stored = h.engine().read_row("stock", product);
    if (!stored) return std::nullopt;
    return kStock.decode(*stored);
  }
  EngineHarness h;
};

TEST_F(DomainRowsTest, RowsCommitWithTheStepAndAReplayDoesNotWriteThemAgain) {
  h.start();
  auto id = h.start_invocation("Stock", "TakeOne", text_input("p1"));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  // The step's record is durable, so its rows are too: same transaction.
  ASSERT_TRUE(stock("p1"));
  EXPECT_EQ(stock("p1")->units, 9);
  EXPECT_EQ(h.engine().read_row("audit", "p1/1").value_or(""), "\"taken\"");
  h.crash();

  // Change the row behind the engine's back: a replay that wrote again would overwrite it.
  h.execute(
      "UPDATE rows SET value = '{\"units\":5}' WHERE tbl = 'stock' AND key = CAST('p1' AS BLOB)");
  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"9"})");  // the recorded result
  EXPECT_EQ(decisions, 1);
  EXPECT_EQ(stock("p1")->units, 5);
}

TEST_F(DomainRowsTest, AStepThatFailsTerminallyWritesNoRows) {
  h.start();
  auto outcome = h.call("Stock", "TakeOne", text_input("none"));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.code, 409);
  EXPECT_EQ(h.query_int("SELECT count(*) FROM rows"), 0);
}

TEST_F(DomainRowsTest, RowsForAnUnregisteredTableFailTheStep) {
  h.start();
  auto outcome = h.call("Stock", "WriteElsewhere", text_input(""));
  EXPECT_FALSE(outcome.ok);
  EXPECT_NE(outcome.body.find("no domain table 'nowhere'"), std::string::npos) << outcome.body;
  EXPECT_EQ(h.query_int("SELECT count(*) FROM rows"), 0);
}

TEST_F(DomainRowsTest, RowsWrittenOutsideAnInvocationAndScannedInKeyOrder) {
  h.start();
  std::vector<store::RowWrite> rows;
  for (const char* key : {"u/2/b", "u/1/c", "u/1/a", "u/1/b", "v/1"})
    rows.push_back({"audit", key, std::string("\"") + key + "\""});
  bool durable = false;
  h.engine().write_rows(std::move(rows), [&] { durable = true; });
  ASSERT_TRUE(h.run_until([&] { return durable; }));

  std::optional<std::vector<store::Row>> newest_first;
  h.engine().scan_rows(store::prefix_range("audit", "u/1/", 2, true),
                       [&](std::optional<std::vector<store::Row>> found) {
                         newest_first = std::move(found.value());
                       });
  ASSERT_TRUE(h.run_until([&] { return newest_first.has_value(); }));
  ASSERT_EQ(newest_first->size(), 2u);
  EXPECT_EQ((*newest_first)[0].key, "u/1/c");
  EXPECT_EQ((*newest_first)[1].key, "u/1/b");

  std::optional<std::vector<store::Row>> page;
  store::RowRange after_a{"audit", "u/1/a\x01", "v", 10, false};  // keyset: past "u/1/a"
  h.engine().scan_rows(after_a, [&](std::optional<std::vector<store::Row>> found) {
    page = std::move(found.value());
  });
  ASSERT_TRUE(h.run_until([&] { return page.has_value(); }));
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].key, "u/1/b");
  EXPECT_EQ((*page)[2].key, "u/2/b");

  bool erased = false;
  h.engine().write_rows({{"audit", "u/1/a", std::nullopt}}, [&] { erased = true; });
  ASSERT_TRUE(h.run_until([&] { return erased; }));
  EXPECT_FALSE(h.engine().read_row("audit", "u/1/a"));
}

TEST_F(DomainRowsTest, WritingOutsideAnInvocationToAnUnregisteredTableIsRefused) {
  h.start();
  EXPECT_THROW(h.engine().write_rows({{"nowhere", "k", "1"}}, [] {}), TerminalError);
}

}  // namespace
}  // namespace orderd
