#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

#include "support/temp_dir.hpp"

namespace orderd::store {
namespace {

Write create(const std::string& id) {
  Write w{Write::Op::kCreate, {}, {}};
  w.invocation.id = id;
  w.invocation.service = "S";
  w.invocation.handler = "h";
  w.invocation.input = "{}";
  w.invocation.created_at_ms = 1;
  return w;
}

Write append(const std::string& id, std::uint32_t index, const std::string& payload) {
  Write w{Write::Op::kAppend, {}, {}};
  w.invocation.id = id;
  w.entry.index = index;
  w.entry.kind = EntryKind::kRun;
  w.entry.name = "step" + std::to_string(index);
  w.entry.payload = payload;
  return w;
}

TEST(SqliteStore, BatchesBecomeDurableInSubmissionOrder) {
  testing::TempDir dir;
  auto store = open_sqlite_store({(dir.path() / "s.db").string(), false});
  std::vector<int> order;
  std::mutex m;
  std::promise<void> all_done;
  constexpr int kBatches = 500;
  for (int i = 0; i < kBatches; ++i) {
    store->submit({create("inv_" + std::to_string(i))}, [&, i] {
      std::lock_guard lock(m);
      order.push_back(i);
      if (order.size() == kBatches) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  for (int i = 0; i < kBatches; ++i) ASSERT_EQ(order[i], i);
}

TEST(SqliteStore, UnfinishedInvocationsReloadWithTheirJournal) {
  testing::TempDir dir;
  const auto path = (dir.path() / "s.db").string();
  {
    auto store = open_sqlite_store({path, true});
    store->submit({create("inv_a"), append("inv_a", 0, "1"), append("inv_a", 1, "\"two\"")},
                  nullptr);
    Write done{Write::Op::kComplete, {}, {}};
    done.invocation.id = "inv_b";
    done.invocation.status = InvocationStatus::kSucceeded;
    done.invocation.output = "{\"ok\":true}";
    store->submit({create("inv_b"), done}, nullptr);
    store->close();
  }
  auto store = open_sqlite_store({path, true});
  auto unfinished = store->load_unfinished();
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].record.id, "inv_a");
  ASSERT_EQ(unfinished[0].journal.size(), 2u);
  EXPECT_EQ(unfinished[0].journal[1].payload, "\"two\"");
  auto b = store->find_invocation("inv_b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, InvocationStatus::kSucceeded);
  EXPECT_EQ(b->output, "{\"ok\":true}");
  EXPECT_FALSE(store->find_invocation("inv_missing"));
}

}  // namespace
}  // namespace orderd::store
