#pragma once
// The store contract: one typed test suite that every store::Store passes (store.hpp's
// invariants, and the semantics of each Write::Op that the engine relies on). A store's test file
// instantiates it with its fixture in one line:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, SqliteStoreFixture);
//
// A store fixture is made per test (its constructor opens a fresh, empty store) and provides:
//
//   store::Store& store();
//       The open store.
//   bool await(Latch& latch);
//       Returns true once a store callback has set `latch`, false if it never will. A store with
//       threads waits for it; a simulated store runs its scheduler's events until then.
//   void restart();
//       Closes the store (close(): everything submitted becomes durable) and opens it again on the
//       same data, as a process restart would. store() is then the reopened store.
//   bool submit_refused(std::vector<store::Write> batch);
//       Submits a batch in which a write fails, and returns whether the store refused it: threw at
//       commit (MemoryStore), or stopped its process (SQLite's fail-stop writer, run in a child
//       process). store() is then open again on what was committed.
//   std::size_t lose_power(const std::vector<std::vector<store::Write>>& batches, std::size_t k);
//       Submits `batches` in order to a store that loses power once `k` of their on_durable
//       callbacks have run (k == batches.size(): after the last), never before, and returns how
//       many ran. store() is then reopened on what survived.
//
// A PostgreSQL fixture provides the same: a fresh database (or schema) per fixture; restart()
// closes the store's connections and opens new ones; submit_refused() and lose_power() run the
// writer in a child process that is killed with SIGKILL once the k-th callback has run (SQLite's
// child kills itself then, or at one of its next file writes: support/killing_vfs.hpp); a
// PostgreSQL writer may also be cut off by terminating its server connection mid-transaction.
#include <gtest/gtest.h>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "support/latch.hpp"
#include "support/numbered_batches.hpp"
#include "support/store_writes.hpp"

namespace orderd::testing {

template <class F>
concept StoreFixture = requires(F& fixture, Latch& latch, std::vector<store::Write> batch,
                                const std::vector<std::vector<store::Write>>& batches,
                                std::size_t k) {
  { fixture.store() } -> std::same_as<store::Store&>;
  { fixture.await(latch) } -> std::same_as<bool>;
  fixture.restart();
  { fixture.submit_refused(std::move(batch)) } -> std::same_as<bool>;
  { fixture.lose_power(batches, k) } -> std::same_as<std::size_t>;
};

namespace contract {

using store::Completion;
using store::EntryKind;
using store::InvocationRecord;
using store::InvocationStatus;
using store::JournalEntry;
using store::Row;
using store::RowRange;
using store::Write;

inline void expect_entry(const JournalEntry& actual, const JournalEntry& expected) {
  SCOPED_TRACE("journal entry " + std::to_string(expected.index));
  EXPECT_EQ(actual.index, expected.index);
  EXPECT_EQ(actual.kind, expected.kind);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.payload, expected.payload);
  EXPECT_EQ(actual.failed, expected.failed);
  EXPECT_EQ(actual.error_code, expected.error_code);
  EXPECT_EQ(actual.recorded_at_ms, expected.recorded_at_ms);
}

inline void expect_completion(const Completion& actual, const Completion& expected) {
  EXPECT_EQ(actual.failed, expected.failed);
  EXPECT_EQ(actual.error_code, expected.error_code);
  EXPECT_EQ(actual.value, expected.value);
}

inline std::vector<std::string> ids_of(const std::vector<InvocationRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

inline std::vector<std::string> keys_of(const std::vector<Row>& rows) {
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.key);
  return keys;
}

// Keys compare as bytes (memcmp), whatever the signedness of char.
inline bool byte_less(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  });
}

}  // namespace contract

template <class Fixture>
class StoreContract : public ::testing::Test {
  static_assert(StoreFixture<Fixture>, "see the fixture interface at the top of this file");

 protected:
  store::Store& store() { return fixture_.store(); }

  // Submits one batch and returns once its on_durable has run.
  void commit(std::vector<store::Write> batch) {
    auto durable = std::make_shared<Latch>();
    store().submit(std::move(batch), [durable] { durable->set(); });
    if (!fixture_.await(*durable)) throw std::runtime_error("a batch's on_durable never ran");
  }

  std::vector<store::Row> scan_async(store::RowRange range) {
    auto done = std::make_shared<Latch>();
    auto rows = std::make_shared<std::vector<store::Row>>();
    store().scan_rows_async(std::move(range),
                            [done, rows](std::optional<std::vector<store::Row>> found) {
                              if (found) *rows = std::move(*found);
                              done->set();
                            });
    if (!fixture_.await(*done)) throw std::runtime_error("scan_rows_async never called back");
    return *rows;
  }

  Fixture fixture_;
};

TYPED_TEST_SUITE_P(StoreContract);

using namespace contract;
using namespace std::string_literals;

// --- 1. Journal --------------------------------------------------------------------------------

TYPED_TEST_P(StoreContract, JournalReturnsEntriesInIndexOrderWithEveryField) {
  using namespace writes;
  JournalEntry call = entry(0, "inv_a.0", EntryKind::kCall);
  call.name = "InventoryService/CheckInventory";
  call.recorded_at_ms = 1'700'000'000'123;
  JournalEntry failed = entry(1, "out of stock", EntryKind::kRun);
  failed.failed = true;
  failed.error_code = 65535;
  failed.recorded_at_ms = 9'007'199'254'740'993;  // not representable as a double
  JournalEntry binary = entry(2, "a\0\x80\xff z"s, EntryKind::kEffect);
  binary.name = "caf\xc3\xa9";
  binary.recorded_at_ms = 7;

  this->commit({create("inv_a"), append("inv_a", call), create("inv_b"), append("inv_b", 0, "b")});
  this->commit({append("inv_a", binary), append("inv_a", failed)});  // out of index order

  auto journal = this->store().load_journal("inv_a");
  ASSERT_EQ(journal.size(), 3u);
  expect_entry(journal[0], call);
  expect_entry(journal[1], failed);
  expect_entry(journal[2], binary);
  ASSERT_EQ(this->store().load_journal("inv_b").size(), 1u);
  EXPECT_TRUE(this->store().load_journal("inv_missing").empty());
}

// A duplicate (invocation_id, index) fails the whole batch: none of its writes apply, earlier
// batches stay, and the store goes on after a restart.
TYPED_TEST_P(StoreContract, BatchWithADuplicateJournalEntryAppliesNotAtAll) {
  using namespace writes;
  this->commit({create("inv_a"), append("inv_a", 0, "first")});
  EXPECT_TRUE(this->fixture_.submit_refused(
      {create("inv_b"), append("inv_b", 0, "b"), rows({put_row("stock", "apple", "1")}),
       put_state("Cart", "u1", "items", "[1]"), append("inv_a", 1, "second"),
       append("inv_a", 1, "second again")}));

  auto& s = this->store();
  EXPECT_FALSE(s.find_invocation("inv_b"));
  EXPECT_TRUE(s.load_journal("inv_b").empty());
  EXPECT_FALSE(s.read_row("stock", "apple"));
  EXPECT_TRUE(s.load_state("Cart", "u1").empty());
  auto journal = s.load_journal("inv_a");
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].payload, "first");

  this->commit({append("inv_a", 1, "second")});
  EXPECT_EQ(this->store().load_journal("inv_a").size(), 2u);
}

// Invariant 2: an entry is written once and never changed; so is an invocation's creation.
TYPED_TEST_P(StoreContract, JournalEntriesAndInvocationsAreNeverWrittenTwice) {
  using namespace writes;
  this->commit({create("inv_a"), append("inv_a", 0, "first")});
  EXPECT_TRUE(this->fixture_.submit_refused({append("inv_a", 0, "changed")}));
  auto again = invocation("inv_a", "Other", "other");
  EXPECT_TRUE(this->fixture_.submit_refused({create(again)}));

  auto journal = this->store().load_journal("inv_a");
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].payload, "first");
  auto a = this->store().find_invocation("inv_a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->service, "S");
}

TYPED_TEST_P(StoreContract, CreateKeepsEveryFieldAndStartsRunning) {
  using namespace writes;
  auto record = invocation("inv_child", "Cart", "add");
  record.input = "{\"item\":\"apple\",\"bytes\":\"\xc3\xa9\"}";
  record.parent_id = "inv_parent";
  record.parent_index = 4'000'000'000u;
  record.created_at_ms = 1'700'000'000'001;
  record.execute_at_ms = 1'700'000'060'000;
  record.idempotency_key = "key-1";
  record.object_key = "user/42";
  // A creation's outcome fields are not its to set: a new invocation is running, untried.
  record.status = InvocationStatus::kSucceeded;
  record.attempts = 9;
  record.output = "stale";
  record.error_code = 500;
  record.completed_at_ms = 5;
  this->commit({create(record), create("inv_plain")});

  auto found = this->store().find_invocation("inv_child");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, record.id);
  EXPECT_EQ(found->service, record.service);
  EXPECT_EQ(found->handler, record.handler);
  EXPECT_EQ(found->input, record.input);
  EXPECT_EQ(found->parent_id, record.parent_id);
  EXPECT_EQ(found->parent_index, record.parent_index);
  EXPECT_EQ(found->created_at_ms, record.created_at_ms);
  EXPECT_EQ(found->execute_at_ms, record.execute_at_ms);
  EXPECT_EQ(found->idempotency_key, record.idempotency_key);
  EXPECT_EQ(found->object_key, record.object_key);
  EXPECT_EQ(found->status, InvocationStatus::kRunning);
  EXPECT_EQ(found->attempts, 0u);
  EXPECT_EQ(found->output, "");
  EXPECT_EQ(found->error_code, 0);
  EXPECT_EQ(found->completed_at_ms, 0);

  auto plain = this->store().find_invocation("inv_plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->parent_id, "");
  EXPECT_EQ(plain->idempotency_key, "");
  EXPECT_EQ(plain->object_key, "");
  EXPECT_FALSE(this->store().find_invocation("inv_missing"));
}

// Who started an invocation and under which trace come back from every read that returns a
// record, whatever later writes change its status, and after a restart; empty stays empty.
TYPED_TEST_P(StoreContract, PrincipalAndTraceparentComeBackFromEveryRead) {
  using namespace writes;
  auto traced = [](std::string id, std::string principal, std::string traceparent) {
    auto r = invocation(std::move(id), "Orders", "place");
    r.principal = std::move(principal);
    r.traceparent = std::move(traceparent);
    return r;
  };
  const auto running =
      traced("inv_1", "user:alice", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const auto paused = traced("inv_2", "service:caf\xc3\xa9", "");
  const auto finished =
      traced("inv_3", "", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  this->commit({create(running), create(paused), create(finished), create("inv_4")});
  this->commit({attempt("inv_1", 2), set_status("inv_2", InvocationStatus::kPaused, "operator"),
                succeed("inv_3", 100), succeed("inv_4", 100)});

  auto check = [](const InvocationRecord& actual, const InvocationRecord& expected) {
    SCOPED_TRACE(expected.id);
    EXPECT_EQ(actual.principal, expected.principal);
    EXPECT_EQ(actual.traceparent, expected.traceparent);
  };
  const std::vector<InvocationRecord> expected{running, paused, finished, invocation("inv_4")};
  for (int lifetime = 0; lifetime < 2; ++lifetime) {
    SCOPED_TRACE(lifetime == 0 ? "before restart" : "after restart");
    auto& s = this->store();
    for (const auto& e : expected) {
      auto found = s.find_invocation(e.id);
      ASSERT_TRUE(found);
      check(*found, e);
    }
    auto page = s.list_invocations({});
    ASSERT_EQ(page.size(), 4u);
    for (std::size_t i = 0; i < page.size(); ++i) check(page[i], expected[3 - i]);
    auto unfinished = s.load_unfinished();
    ASSERT_EQ(unfinished.size(), 2u);
    check(unfinished[0].record, running);
    check(unfinished[1].record, paused);
    auto old = s.finished_before("inv_9", 1000, 10);
    ASSERT_EQ(old.size(), 2u);
    check(old[0], finished);
    check(old[1], expected[3]);
    this->fixture_.restart();
  }
}

// kComplete, kAttempt and kStatus change running and paused invocations only: a finished one
// keeps its outcome whatever comes later, and a missing one is not created.
TYPED_TEST_P(StoreContract, OutcomeWritesChangeOnlyUnfinishedInvocations) {
  using namespace writes;
  this->commit({create("inv_a"), create("inv_b")});
  this->commit({attempt("inv_a", 3), set_status("inv_b", InvocationStatus::kPaused, "why")});
  auto a = this->store().find_invocation("inv_a");
  auto b = this->store().find_invocation("inv_b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->attempts, 3u);
  EXPECT_EQ(a->status, InvocationStatus::kRunning);
  EXPECT_EQ(b->status, InvocationStatus::kPaused);
  EXPECT_EQ(b->output, "why");

  this->commit({set_status("inv_b", InvocationStatus::kRunning, ""), attempt("inv_b", 2)});
  b = this->store().find_invocation("inv_b");
  EXPECT_EQ(b->status, InvocationStatus::kRunning);
  EXPECT_EQ(b->attempts, 2u);

  this->commit({complete("inv_a", InvocationStatus::kFailed, "boom", 500, 1234, 4)});
  this->commit({complete("inv_a", InvocationStatus::kSucceeded, "late", 0, 9999, 9),
                attempt("inv_a", 7), set_status("inv_a", InvocationStatus::kPaused, "too late")});
  a = this->store().find_invocation("inv_a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, InvocationStatus::kFailed);
  EXPECT_EQ(a->output, "boom");
  EXPECT_EQ(a->error_code, 500);
  EXPECT_EQ(a->completed_at_ms, 1234);
  EXPECT_EQ(a->attempts, 4u);

  this->commit({complete("inv_missing", InvocationStatus::kSucceeded, "x"),
                attempt("inv_missing", 1),
                set_status("inv_missing", InvocationStatus::kPaused, "x")});
  EXPECT_FALSE(this->store().find_invocation("inv_missing"));
}

// --- 2. Invocations ----------------------------------------------------------------------------

TYPED_TEST_P(StoreContract, LoadUnfinishedReturnsRunningAndPausedInIdOrder) {
  using namespace writes;
  this->commit({create("inv_3"), append("inv_3", 0, "3/0"), append("inv_3", 1, "3/1"),
                complete_step("inv_3", outcome(1, "\"3 from outside\"")), create("inv_1"),
                append("inv_1", 0, "1/0"), create("inv_2"), append("inv_2", 0, "2/0"),
                complete_step("inv_2", outcome(0, "\"2 from outside\"")), create("inv_4"),
                create("inv_0")});
  this->commit({set_status("inv_1", InvocationStatus::kPaused, "operator"), succeed("inv_2"),
                complete("inv_4", InvocationStatus::kFailed, "boom", 500)});

  auto unfinished = this->store().load_unfinished();
  ASSERT_EQ(unfinished.size(), 3u);
  EXPECT_EQ(unfinished[0].record.id, "inv_0");
  EXPECT_TRUE(unfinished[0].journal.empty());
  EXPECT_TRUE(unfinished[0].completions.empty());
  EXPECT_EQ(unfinished[1].record.id, "inv_1");
  EXPECT_EQ(unfinished[1].record.status, InvocationStatus::kPaused);
  ASSERT_EQ(unfinished[1].journal.size(), 1u);
  EXPECT_EQ(unfinished[1].journal[0].payload, "1/0");
  EXPECT_EQ(unfinished[2].record.id, "inv_3");
  ASSERT_EQ(unfinished[2].journal.size(), 2u);
  EXPECT_EQ(unfinished[2].journal[0].payload, "3/0");
  EXPECT_EQ(unfinished[2].journal[1].payload, "3/1");
  ASSERT_EQ(unfinished[2].completions.size(), 1u);
  EXPECT_EQ(unfinished[2].completions[0].index, 1u);
  EXPECT_EQ(unfinished[2].completions[0].value, "\"3 from outside\"");
}

// Moved from sqlite_store_test.cpp: batches submitted without waiting, then a restart.
TYPED_TEST_P(StoreContract, UnfinishedInvocationsReloadWithTheirJournal) {
  using namespace writes;
  this->store().submit({create("inv_a"), append("inv_a", 0, "1"), append("inv_a", 1, "\"two\"")},
                       nullptr);
  this->store().submit(
      {create("inv_b"), complete("inv_b", InvocationStatus::kSucceeded, "{\"ok\":true}")}, nullptr);
  this->fixture_.restart();

  auto unfinished = this->store().load_unfinished();
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].record.id, "inv_a");
  ASSERT_EQ(unfinished[0].journal.size(), 2u);
  EXPECT_EQ(unfinished[0].journal[1].payload, "\"two\"");
  auto b = this->store().find_invocation("inv_b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, InvocationStatus::kSucceeded);
  EXPECT_EQ(b->output, "{\"ok\":true}");
  EXPECT_FALSE(this->store().find_invocation("inv_missing"));
}

TYPED_TEST_P(StoreContract, ListInvocationsPagesNewestFirstWithFilters) {
  using namespace writes;
  std::vector<Write> batch;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "inv_0" + std::to_string(i);
    batch.push_back(create(invocation(id, i % 2 == 0 ? "Even" : "Odd", "h")));
    if (i % 3 == 0) batch.push_back(succeed(id));
  }
  batch.push_back(set_status("inv_07", InvocationStatus::kPaused, "operator"));
  this->commit(std::move(batch));
  auto list = [&](store::ListQuery q) { return ids_of(this->store().list_invocations(q)); };
  using Ids = std::vector<std::string>;

  EXPECT_EQ(list({}), (Ids{"inv_09", "inv_08", "inv_07", "inv_06", "inv_05", "inv_04", "inv_03",
                           "inv_02", "inv_01", "inv_00"}));
  EXPECT_EQ(list({.limit = 3}), (Ids{"inv_09", "inv_08", "inv_07"}));
  EXPECT_EQ(list({.limit = 3, .before_id = "inv_07"}), (Ids{"inv_06", "inv_05", "inv_04"}));
  EXPECT_EQ(list({.limit = 0}), Ids{});
  EXPECT_EQ(list({.service = "Odd"}), (Ids{"inv_09", "inv_07", "inv_05", "inv_03", "inv_01"}));
  EXPECT_EQ(list({.status = InvocationStatus::kSucceeded}),
            (Ids{"inv_09", "inv_06", "inv_03", "inv_00"}));
  EXPECT_EQ(list({.status = InvocationStatus::kPaused}), Ids{"inv_07"});
  EXPECT_EQ(list({.status = InvocationStatus::kFailed}), Ids{});
  EXPECT_EQ(list({.status = InvocationStatus::kRunning,
                  .service = "Even",
                  .limit = 2,
                  .before_id = "inv_08"}),
            (Ids{"inv_04", "inv_02"}));

  // Paging with the cursor visits every invocation once.
  Ids paged;
  store::ListQuery page{.limit = 4};
  for (;;) {
    auto ids = list(page);
    if (ids.empty()) break;
    paged.insert(paged.end(), ids.begin(), ids.end());
    page.before_id = ids.back();
  }
  EXPECT_EQ(paged, list({}));
}

// The retention sweep's candidates: finished, id below the bound, completed before the cutoff,
// in id order, at most `limit`, and never a finished child of an unfinished parent.
TYPED_TEST_P(StoreContract, FinishedBeforeSelectsTheSweepsCandidates) {
  using namespace writes;
  auto child = [](std::string id, std::string parent) {
    auto r = invocation(std::move(id));
    r.parent_id = std::move(parent);
    return create(r);
  };
  this->commit({create("inv_01"), succeed("inv_01", 100), create("inv_02"),
                complete("inv_02", InvocationStatus::kFailed, "e", 500, 200),
                create("inv_03"),                                     // running: a parent
                create("inv_04"), succeed("inv_04", 900),             // too recent
                child("inv_05", "inv_03"), succeed("inv_05", 100),    // its parent is unfinished
                child("inv_06", "inv_01"), succeed("inv_06", 100),    // its parent has finished
                child("inv_07", "inv_gone"), succeed("inv_07", 100),  // its parent was purged
                create("inv_08"), set_status("inv_08", InvocationStatus::kPaused, "operator"),
                create("inv_09"), succeed("inv_09", 100)});  // not below the id bound
  using Ids = std::vector<std::string>;
  auto& s = this->store();
  EXPECT_EQ(ids_of(s.finished_before("inv_09", 500, 100)),
            (Ids{"inv_01", "inv_02", "inv_06", "inv_07"}));
  EXPECT_EQ(ids_of(s.finished_before("inv_09", 200, 100)), (Ids{"inv_01", "inv_06", "inv_07"}));
  EXPECT_EQ(ids_of(s.finished_before("inv_09", 500, 2)), (Ids{"inv_01", "inv_02"}));
  EXPECT_EQ(ids_of(s.finished_before("inv_02", 500, 100)), Ids{"inv_01"});
  EXPECT_EQ(ids_of(s.finished_before("inv_99", 1000, 100)),
            (Ids{"inv_01", "inv_02", "inv_04", "inv_06", "inv_07", "inv_09"}));
  auto records = s.finished_before("inv_02", 500, 100);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, InvocationStatus::kSucceeded);
  EXPECT_EQ(records[0].completed_at_ms, 100);

  this->commit({succeed("inv_03", 100)});  // the parent finishes: its child may go
  EXPECT_EQ(ids_of(s.finished_before("inv_06", 500, 100)),
            (Ids{"inv_01", "inv_02", "inv_03", "inv_05"}));
}

// --- 3. State ----------------------------------------------------------------------------------

TYPED_TEST_P(StoreContract, StateIsSetOverwrittenAndDeleted) {
  using namespace writes;
  using State = std::map<std::string, std::string>;
  this->commit({put_state("Cart", "u1", "items", "[1]"), put_state("Cart", "u1", "total", "3"),
                put_state("Cart", "u2", "items", "[9]"), put_state("Wish", "u1", "items", "[7]")});
  this->commit({put_state("Cart", "u1", "items", "[1,2]"), clear_state("Cart", "u1", "total"),
                clear_state("Cart", "u1", "never-set"),
                // In one batch the writes apply in order.
                put_state("Cart", "u1", "gone", "1"), clear_state("Cart", "u1", "gone"),
                clear_state("Cart", "u1", "back"), put_state("Cart", "u1", "back", "2")});
  auto& s = this->store();
  EXPECT_EQ(s.load_state("Cart", "u1"), (State{{"back", "2"}, {"items", "[1,2]"}}));
  EXPECT_EQ(s.load_state("Cart", "u2"), (State{{"items", "[9]"}}));
  EXPECT_EQ(s.load_state("Wish", "u1"), (State{{"items", "[7]"}}));
  EXPECT_EQ(s.load_state("Cart", "u3"), State{});
}

TYPED_TEST_P(StoreContract, DropKeyForgetsOnlyThatKeysStateAndPromises) {
  using namespace writes;
  this->commit(
      {put_state("Flow", "k1", "step", "2"), put_promise("Flow", "k1", "ok", outcome(0, "1")),
       put_state("Flow", "k2", "step", "5"), put_promise("Flow", "k2", "ok", outcome(0, "2")),
       put_state("Other", "k1", "step", "7"), put_promise("Other", "k1", "ok", outcome(0, "3"))});
  this->commit({drop_key("Flow", "k1")});
  auto& s = this->store();
  EXPECT_TRUE(s.load_state("Flow", "k1").empty());
  EXPECT_TRUE(s.load_promises("Flow", "k1").empty());
  EXPECT_EQ(s.load_state("Flow", "k2").size(), 1u);
  EXPECT_EQ(s.load_promises("Flow", "k2").size(), 1u);
  EXPECT_EQ(s.load_state("Other", "k1").size(), 1u);
  EXPECT_EQ(s.load_promises("Other", "k1").size(), 1u);

  // The key starts over: its promise can be completed again.
  this->commit({put_promise("Flow", "k1", "ok", outcome(0, "again"))});
  auto promises = this->store().load_promises("Flow", "k1");
  ASSERT_EQ(promises.count("ok"), 1u);
  EXPECT_EQ(promises["ok"].value, "again");
}

// --- 4. Promises -------------------------------------------------------------------------------

TYPED_TEST_P(StoreContract, FirstPromiseCompletionWins) {
  using namespace writes;
  this->commit({put_promise("Flow", "k", "approved", outcome(0, "true")),
                put_promise("Flow", "k", "approved", outcome(0, "false"))});  // same batch
  this->commit({put_promise("Flow", "k", "approved", outcome(0, "rejected", true, 409)),
                put_promise("Flow", "k", "refused", outcome(0, "no way", true, 422))});
  auto promises = this->store().load_promises("Flow", "k");
  ASSERT_EQ(promises.size(), 2u);
  expect_completion(promises["approved"], outcome(0, "true"));
  expect_completion(promises["refused"], outcome(0, "no way", true, 422));
  EXPECT_TRUE(this->store().load_promises("Flow", "other").empty());
  EXPECT_TRUE(this->store().load_promises("Other", "k").empty());
}

// --- 5. Step completions -----------------------------------------------------------------------

TYPED_TEST_P(StoreContract, FirstStepCompletionWinsAndReloadsWithItsInvocation) {
  using namespace writes;
  this->commit({create("inv_a"), append("inv_a", entry(0, "", EntryKind::kAwakeable)),
                append("inv_a", entry(1, "", EntryKind::kAwakeable))});
  this->commit({complete_step("inv_a", outcome(1, "\"second\"")),
                complete_step("inv_a", outcome(0, "rejected", true, 500)),
                complete_step("inv_a", outcome(1, "\"loses in its batch\""))});
  this->commit({complete_step("inv_a", outcome(0, "\"loses later\""))});
  auto unfinished = this->store().load_unfinished();
  ASSERT_EQ(unfinished.size(), 1u);
  const auto& completions = unfinished[0].completions;
  ASSERT_EQ(completions.size(), 2u);
  EXPECT_EQ(completions[0].index, 0u);
  expect_completion(completions[0], outcome(0, "rejected", true, 500));
  EXPECT_EQ(completions[1].index, 1u);
  expect_completion(completions[1], outcome(1, "\"second\""));
}

// --- 6. Idempotency and purge ------------------------------------------------------------------

TYPED_TEST_P(StoreContract, IdempotencyKeyFindsItsInvocation) {
  using namespace writes;
  auto order = invocation("inv_a", "Orders", "place");
  order.idempotency_key = "k1";
  auto cart = invocation("inv_b", "Cart", "add");
  cart.object_key = "u1";
  cart.idempotency_key = "k1";
  this->commit({create(order), create(cart), create("inv_c")});
  auto& s = this->store();
  using store::idempotency_target;
  EXPECT_EQ(s.find_idempotent(idempotency_target("Orders", "", "place"), "k1"), "inv_a");
  EXPECT_EQ(s.find_idempotent(idempotency_target("Cart", "u1", "add"), "k1"), "inv_b");
  EXPECT_FALSE(s.find_idempotent(idempotency_target("Cart", "u2", "add"), "k1"));
  EXPECT_FALSE(s.find_idempotent(idempotency_target("Cart", "", "add"), "k1"));
  EXPECT_FALSE(s.find_idempotent(idempotency_target("Orders", "", "cancel"), "k1"));
  EXPECT_FALSE(s.find_idempotent(idempotency_target("Orders", "", "place"), "k2"));
  EXPECT_FALSE(s.find_idempotent(idempotency_target("S", "", "h"), ""));  // inv_c has no key
}

TYPED_TEST_P(StoreContract, PurgeRemovesAFinishedInvocationWithItsJournalCompletionsAndKey) {
  using namespace writes;
  using store::idempotency_target;
  const auto target = idempotency_target("Orders", "", "place");
  auto keyed_invocation = [](std::string id, std::string key) {
    auto r = invocation(std::move(id), "Orders", "place");
    r.idempotency_key = std::move(key);
    return r;
  };
  this->commit({create(keyed_invocation("inv_a", "k1")), append("inv_a", 0, "a0"),
                append("inv_a", 1, "a1"), complete_step("inv_a", outcome(1, "\"done\"")),
                succeed("inv_a"), create(keyed_invocation("inv_b", "k2")), append("inv_b", 0, "b0"),
                succeed("inv_b"), create(keyed_invocation("inv_c", "k3")), succeed("inv_c")});
  // k3 is used again after its retention: the key now names inv_d.
  this->commit({create(keyed_invocation("inv_d", "k3"))});
  auto& s = this->store();
  ASSERT_EQ(s.find_idempotent(target, "k3"), "inv_d");

  this->commit({purge(*s.find_invocation("inv_a")), purge(*s.find_invocation("inv_c"))});
  EXPECT_FALSE(s.find_invocation("inv_a"));
  EXPECT_TRUE(s.load_journal("inv_a").empty());
  EXPECT_FALSE(s.find_idempotent(target, "k1"));
  EXPECT_FALSE(s.find_invocation("inv_c"));
  EXPECT_EQ(s.find_idempotent(target, "k3"), "inv_d");  // not inv_c's any more: kept
  EXPECT_TRUE(s.find_invocation("inv_b"));
  EXPECT_EQ(s.load_journal("inv_b").size(), 1u);
  EXPECT_EQ(s.find_idempotent(target, "k2"), "inv_b");

  // The id is free again, and nothing of the purged invocation comes back with it.
  this->commit({create("inv_a")});
  auto unfinished = s.load_unfinished();
  auto again = std::find_if(unfinished.begin(), unfinished.end(),
                            [](const auto& u) { return u.record.id == "inv_a"; });
  ASSERT_NE(again, unfinished.end());
  EXPECT_TRUE(again->journal.empty());
  EXPECT_TRUE(again->completions.empty());
}

// A purge that meets a running or paused invocation (a race the engine guards against) changes
// nothing: recovery would otherwise replay it without its journal and repeat its effects.
TYPED_TEST_P(StoreContract, PurgeLeavesAnUnfinishedInvocationWhole) {
  using namespace writes;
  auto running = invocation("inv_a", "Orders", "place");
  running.idempotency_key = "k1";
  auto paused = invocation("inv_b", "Orders", "place");
  paused.idempotency_key = "k2";
  this->commit({create(running), append("inv_a", 0, "a0"),
                complete_step("inv_a", outcome(0, "\"done\"")), create(paused),
                append("inv_b", 0, "b0"),
                set_status("inv_b", InvocationStatus::kPaused, "operator")});
  this->commit({purge(running), purge(paused)});

  auto& s = this->store();
  const auto target = store::idempotency_target("Orders", "", "place");
  EXPECT_EQ(s.find_idempotent(target, "k1"), "inv_a");
  EXPECT_EQ(s.find_idempotent(target, "k2"), "inv_b");
  auto unfinished = s.load_unfinished();
  ASSERT_EQ(unfinished.size(), 2u);
  EXPECT_EQ(unfinished[0].record.id, "inv_a");
  EXPECT_EQ(unfinished[0].journal.size(), 1u);
  EXPECT_EQ(unfinished[0].completions.size(), 1u);
  EXPECT_EQ(unfinished[1].record.id, "inv_b");
  EXPECT_EQ(unfinished[1].record.status, InvocationStatus::kPaused);
  EXPECT_EQ(unfinished[1].journal.size(), 1u);
}

// --- 7. Domain rows ----------------------------------------------------------------------------

TYPED_TEST_P(StoreContract, RowsArePutOverwrittenAndDeletedInOrder) {
  using namespace writes;
  this->commit({rows({put_row("stock", "apple", "3"), put_row("stock", "pear", "5")})});
  auto& s = this->store();
  EXPECT_EQ(s.read_row("stock", "apple"), "3");
  EXPECT_EQ(s.read_row("stock", "pear"), "5");

  this->commit({rows({put_row("stock", "apple", "2"), delete_row("stock", "pear"),
                      delete_row("stock", "never")}),
                // In a batch, row writes apply in order, across kRows writes too.
                rows({put_row("stock", "kiwi", "1"), put_row("stock", "kiwi", "4"),
                      put_row("stock", "plum", "1")}),
                rows({delete_row("stock", "plum"), delete_row("stock", "fig"),
                      put_row("stock", "fig", "8")})});
  EXPECT_EQ(s.read_row("stock", "apple"), "2");
  EXPECT_FALSE(s.read_row("stock", "pear"));
  EXPECT_EQ(s.read_row("stock", "kiwi"), "4");
  EXPECT_FALSE(s.read_row("stock", "plum"));
  EXPECT_EQ(s.read_row("stock", "fig"), "8");
  EXPECT_EQ(keys_of(s.scan_rows({.table = "stock"})),
            (std::vector<std::string>{"apple", "fig", "kiwi"}));
}

TYPED_TEST_P(StoreContract, TablesWithTheSameKeysAreKeptApart) {
  using namespace writes;
  this->commit({rows({put_row("a", "k", "in a"), put_row("b", "k", "in b"),
                      put_row("ab", "k", "in ab"), put_row("a", "l", "a's l")})});
  this->commit({rows({delete_row("b", "k")})});
  auto& s = this->store();
  EXPECT_EQ(s.read_row("a", "k"), "in a");
  EXPECT_FALSE(s.read_row("b", "k"));
  EXPECT_EQ(s.read_row("ab", "k"), "in ab");
  EXPECT_FALSE(s.read_row("missing", "k"));
  EXPECT_EQ(keys_of(s.scan_rows({.table = "a"})), (std::vector<std::string>{"k", "l"}));
  EXPECT_EQ(s.scan_rows({.table = "ab"}).size(), 1u);
  EXPECT_TRUE(s.scan_rows({.table = "b"}).empty());
  EXPECT_TRUE(s.scan_rows({.table = "missing"}).empty());
}

TYPED_TEST_P(StoreContract, RowKeysCompareAsBytes) {
  using namespace writes;
  std::vector<std::string> keys{"b",     "a\0b"s,    "\xff",     "a",    "\0"s,   "\x80",
                                "a\0"s,  "\xff\xff", "\xc3\xa9", "ab",   "\0\0"s, "\x7f",
                                "a\x01", ""s,        "\xff\0"s,  "a\xff"};
  std::vector<store::RowWrite> puts;
  for (std::size_t i = 0; i < keys.size(); ++i)
    puts.push_back(put_row("t", keys[i], "v\0\x80\xff"s + std::to_string(i)));
  this->commit({rows(std::move(puts))});

  auto& s = this->store();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(s.read_row("t", keys[i]), "v\0\x80\xff"s + std::to_string(i));
  }
  EXPECT_FALSE(s.read_row("t", "a\0c"s));
  EXPECT_FALSE(s.read_row("t", "\0\0\0"s));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end(), byte_less);
  EXPECT_EQ(keys_of(s.scan_rows({.table = "t"})), sorted);
  std::vector<std::string> reversed(sorted.rbegin(), sorted.rend());
  EXPECT_EQ(keys_of(s.scan_rows({.table = "t", .reverse = true})), reversed);
  // A bound with a zero byte in it: "a\0" <= key < "a\x01".
  EXPECT_EQ(keys_of(s.scan_rows({.table = "t", .from = "a\0"s, .to = "a\x01"})),
            (std::vector<std::string>{"a\0"s, "a\0b"s}));
}

TYPED_TEST_P(StoreContract, RangesScanForwardAndBackward) {
  using namespace writes;
  this->commit(
      {rows({put_row("orders", "user/100/0003", "3"), put_row("orders", "user/100/0001", "1"),
             put_row("orders", "user/100/0005", "5"), put_row("orders", "user/100/0002", "2"),
             put_row("orders", "user/100/0004", "4"), put_row("orders", "user/101/0001", "x"),
             put_row("orders", "user/99/0001", "y")})});
  auto& s = this->store();
  auto scan = [&](RowRange range) { return keys_of(s.scan_rows(range)); };
  using Keys = std::vector<std::string>;
  const std::string t = "orders";

  EXPECT_EQ(scan({t, "user/100/0002", "user/100/0005"}),
            (Keys{"user/100/0002", "user/100/0003", "user/100/0004"}));
  EXPECT_EQ(scan({t, "user/100/0002", "user/100/0005", 2}),
            (Keys{"user/100/0002", "user/100/0003"}));
  EXPECT_EQ(scan({t, "user/100/0002", "user/100/0005", 100, true}),
            (Keys{"user/100/0004", "user/100/0003", "user/100/0002"}));
  EXPECT_EQ(scan({t, "user/100/0002", "user/100/0005", 2, true}),
            (Keys{"user/100/0004", "user/100/0003"}));
  EXPECT_EQ(scan({t, "user/101/", ""}), (Keys{"user/101/0001", "user/99/0001"}));
  EXPECT_EQ(scan({t, "", "", 1, true}), Keys{"user/99/0001"});
  EXPECT_EQ(scan({t, "", "user/100/0002"}), Keys{"user/100/0001"});
  EXPECT_EQ(scan({t, "user/100/00025", "user/100/0004"}), Keys{"user/100/0003"});
  auto rows = s.scan_rows({t, "user/100/0005", "user/100/0006"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].value, "5");
}

TYPED_TEST_P(StoreContract, PrefixRangesIncludeEveryKeyWithThePrefix) {
  using namespace writes;
  this->commit({rows({put_row("t", "user/100", "-"), put_row("t", "user/100/1", "1"),
                      put_row("t", "user/100/2", "2"), put_row("t", "user/1000/1", "-"),
                      put_row("t", "user/101/1", "-"), put_row("t", "p\xfe\xff", "-"),
                      put_row("t", "p\xff", "f"), put_row("t", "p\xff\0"s, "f0"),
                      put_row("t", "p\xff\xff", "ff"), put_row("t", "p\xff\xffz", "ffz"),
                      put_row("t", "q", "-"), put_row("t", "\xff", "-"),
                      put_row("t", "\xff\xff", "x"), put_row("t", "\xff\xff\x01", "y")})});
  auto& s = this->store();
  auto scan = [&](RowRange range) { return keys_of(s.scan_rows(range)); };
  using Keys = std::vector<std::string>;
  using store::prefix_range;

  EXPECT_EQ(scan(prefix_range("t", "user/100/", 100)), (Keys{"user/100/1", "user/100/2"}));
  EXPECT_EQ(scan(prefix_range("t", "user/100/", 100, true)), (Keys{"user/100/2", "user/100/1"}));
  EXPECT_EQ(scan(prefix_range("t", "user/100/", 1, true)), Keys{"user/100/2"});
  EXPECT_EQ(scan(prefix_range("t", "p\xff", 100)),
            (Keys{"p\xff", "p\xff\0"s, "p\xff\xff", "p\xff\xffz"}));
  EXPECT_EQ(scan(prefix_range("t", "p\xff", 100, true)),
            (Keys{"p\xff\xffz", "p\xff\xff", "p\xff\0"s, "p\xff"}));
  EXPECT_EQ(scan(prefix_range("t", "\xff\xff", 100)), (Keys{"\xff\xff", "\xff\xff\x01"}));
  EXPECT_EQ(scan(prefix_range("t", "user/2", 100)), Keys{});
  EXPECT_EQ(scan(prefix_range("t", "", 100)).size(), 14u);
  EXPECT_EQ(scan(prefix_range("other", "user/", 100)), Keys{});
}

TYPED_TEST_P(StoreContract, EmptyAndInvertedRangesFindNothing) {
  using namespace writes;
  this->commit({rows({put_row("t", "a", "1"), put_row("t", "b", "2"), put_row("t", "c", "3")})});
  auto& s = this->store();
  for (bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "reverse" : "forward");
    EXPECT_TRUE(s.scan_rows({"t", "b", "b", 100, reverse}).empty());
    EXPECT_TRUE(s.scan_rows({"t", "c", "a", 100, reverse}).empty());
    EXPECT_TRUE(s.scan_rows({"t", "a", "", 0, reverse}).empty());
    EXPECT_TRUE(s.scan_rows({"t", "d", "", 100, reverse}).empty());
    EXPECT_TRUE(s.scan_rows({"t", "a0", "b", 100, reverse}).empty());
    EXPECT_TRUE(s.scan_rows({"u", "", "", 100, reverse}).empty());
  }
}

TYPED_TEST_P(StoreContract, AsyncScanDeliversTheSameRows) {
  using namespace writes;
  std::vector<store::RowWrite> puts;
  for (int i = 0; i < 20; ++i) puts.push_back(put_row("t", "k" + padded(i), std::to_string(i)));
  this->commit({rows(std::move(puts))});
  std::vector<RowRange> ranges{{.table = "t"},       {"t", "k005", "k012", 100, true},
                               {"t", "k005", "", 3}, store::prefix_range("t", "k01", 100),
                               {"t", "k9", ""},      {"t", "k3", "k1"}};
  for (const auto& range : ranges) {
    SCOPED_TRACE(range.from + ".." + range.to);
    auto sync = this->store().scan_rows(range);
    auto async = this->scan_async(range);
    ASSERT_EQ(async.size(), sync.size());
    for (std::size_t i = 0; i < sync.size(); ++i) {
      EXPECT_EQ(async[i].key, sync[i].key);
      EXPECT_EQ(async[i].value, sync[i].value);
    }
  }
  // It sees every batch whose on_durable has run (invariant 3).
  this->commit({rows({put_row("t", "k100", "new"), delete_row("t", "k000")})});
  auto after = this->scan_async({.table = "t", .limit = 1});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].key, "k001");
  auto last = this->scan_async({.table = "t", .limit = 1, .reverse = true});
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].value, "new");
}

// Invariant 4: a transact entry and its rows commit in one transaction (power loss is below).
TYPED_TEST_P(StoreContract, RowsCommitWithTheirJournalEntry) {
  using namespace writes;
  this->commit({create("inv_a"),
                append("inv_a", entry(0, "{\"reserved\":2}", EntryKind::kTransact)),
                rows({put_row("stock", "apple", "1"), put_row("reservations", "inv_a/0", "2")})});
  this->fixture_.restart();
  auto journal = this->store().load_journal("inv_a");
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].kind, EntryKind::kTransact);
  EXPECT_EQ(this->store().read_row("stock", "apple"), "1");
  EXPECT_EQ(this->store().read_row("reservations", "inv_a/0"), "2");
}

// --- 8. Ordering, atomicity, power loss --------------------------------------------------------

// Moved from sqlite_store_test.cpp, and checks invariants 1 and 3 as each callback arrives.
TYPED_TEST_P(StoreContract, BatchesBecomeDurableInSubmissionOrder) {
  using namespace writes;
  constexpr std::size_t kBatches = 500;
  // Shared with the callbacks, which run on the store's thread and may outlive a failed test.
  struct Callbacks {
    std::mutex mutex;
    std::vector<std::size_t> order;
  };
  auto callbacks = std::make_shared<Callbacks>();
  std::vector<std::shared_ptr<Latch>> durable;
  for (std::size_t i = 0; i < kBatches; ++i) {
    auto latch = std::make_shared<Latch>();
    durable.push_back(latch);
    this->store().submit({create("inv_" + padded(i)), rows({put_row("t", padded(i), "")})},
                         [callbacks, i, latch] {
                           {
                             std::lock_guard lock(callbacks->mutex);
                             callbacks->order.push_back(i);
                           }
                           latch->set();
                         });
  }
  auto readable = [&](std::size_t i) {
    return this->store().find_invocation("inv_" + padded(i)) &&
           this->store().read_row("t", padded(i));
  };
  for (std::size_t n = 0; n < kBatches; ++n) {
    ASSERT_TRUE(this->fixture_.await(*durable[n])) << "batch " << n;
    // When batch n's callback has run, it and every batch before it are readable.
    const std::size_t from = n % 100 == 0 ? 0 : n - 1;
    for (std::size_t i = from; i <= n; ++i) ASSERT_TRUE(readable(i)) << i << " at " << n;
  }
  std::lock_guard lock(callbacks->mutex);
  ASSERT_EQ(callbacks->order.size(), kBatches);
  for (std::size_t i = 0; i < kBatches; ++i) ASSERT_EQ(callbacks->order[i], i);
}

// Power goes after k callbacks, for every k of a run of 50 batches: the reopened store holds a
// prefix of the batches, each one whole, and at least every batch whose callback ran.
TYPED_TEST_P(StoreContract, PowerLossKeepsAPrefixOfWholeBatches) {
  constexpr std::size_t kBatches = 50;
  const auto batches = numbered_batches(kBatches);
  for (std::size_t k = 0; k <= kBatches; ++k) {
    SCOPED_TRACE("power lost after " + std::to_string(k) + " callbacks");
    TypeParam fresh;
    const std::size_t ran = fresh.lose_power(batches, k);
    EXPECT_GE(ran, k);
    auto& s = fresh.store();
    std::size_t prefix = 0;
    while (prefix < kBatches && find_numbered_batch(s, prefix) == BatchFound::kWhole) ++prefix;
    for (std::size_t b = prefix; b < kBatches; ++b)
      ASSERT_EQ(find_numbered_batch(s, b), BatchFound::kAbsent) << "batch " << b;
    EXPECT_GE(prefix, ran);
    // The rows and state every batch overwrote name the last batch that survived.
    EXPECT_EQ(s.read_row("meta", "last"),
              prefix == 0 ? std::nullopt : std::optional(std::to_string(prefix - 1)));
    auto state = s.load_state("Counter", "c");
    EXPECT_EQ(state.empty() ? "" : state["last"], prefix == 0 ? "" : std::to_string(prefix - 1));
    EXPECT_EQ(s.load_unfinished().size(), prefix);
    EXPECT_EQ(s.scan_rows({.table = "ledger", .limit = kBatches + 1}).size(), prefix);
  }
}

// --- 9. Restart and close ----------------------------------------------------------------------

TYPED_TEST_P(StoreContract, RestartKeepsEverythingDurable) {
  using namespace writes;
  auto keyed = invocation("inv_a", "Cart", "add");
  keyed.object_key = "u1";
  keyed.idempotency_key = "k1";
  this->commit({create(keyed), append("inv_a", 0, "a0"), append("inv_a", 1, "a1"),
                complete_step("inv_a", outcome(1, "\"from outside\"")),
                put_state("Cart", "u1", "items", "[1]"),
                put_promise("Flow", "w1", "approved", outcome(0, "true")),
                rows({put_row("stock", "apple", "3")}), create("inv_b"),
                complete("inv_b", InvocationStatus::kFailed, "boom", 500, 77, 2)});
  this->fixture_.restart();
  this->fixture_.restart();  // twice: a restart finds what the last one left

  auto& s = this->store();
  auto unfinished = s.load_unfinished();
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].record.object_key, "u1");
  EXPECT_EQ(unfinished[0].journal.size(), 2u);
  ASSERT_EQ(unfinished[0].completions.size(), 1u);
  EXPECT_EQ(unfinished[0].completions[0].value, "\"from outside\"");
  EXPECT_EQ(s.find_idempotent(store::idempotency_target("Cart", "u1", "add"), "k1"), "inv_a");
  EXPECT_EQ(s.load_state("Cart", "u1").at("items"), "[1]");
  EXPECT_EQ(s.load_promises("Flow", "w1").at("approved").value, "true");
  EXPECT_EQ(s.read_row("stock", "apple"), "3");
  auto b = s.find_invocation("inv_b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, InvocationStatus::kFailed);
  EXPECT_EQ(b->output, "boom");
  EXPECT_EQ(b->error_code, 500);
  EXPECT_EQ(b->completed_at_ms, 77);
  EXPECT_EQ(b->attempts, 2u);
  // The reopened store takes new batches.
  this->commit({append("inv_a", 2, "a2")});
  EXPECT_EQ(this->store().load_journal("inv_a").size(), 3u);
}

// close() waits for everything submitted, runs its callbacks, and refuses later submits.
TYPED_TEST_P(StoreContract, CloseMakesEverySubmittedBatchDurable) {
  using namespace writes;
  auto durable = std::make_shared<Latch>();
  this->store().submit({create("inv_a")}, nullptr);
  this->store().submit({rows({put_row("t", "k", "v")})}, [durable] { durable->set(); });
  this->store().close();
  EXPECT_TRUE(durable->is_set());
  EXPECT_ANY_THROW(this->store().submit({create("inv_b")}, nullptr));
  this->store().close();  // again: nothing more to do

  this->fixture_.restart();
  EXPECT_TRUE(this->store().find_invocation("inv_a"));
  EXPECT_EQ(this->store().read_row("t", "k"), "v");
  EXPECT_FALSE(this->store().find_invocation("inv_b"));
}

REGISTER_TYPED_TEST_SUITE_P(
    StoreContract, JournalReturnsEntriesInIndexOrderWithEveryField,
    BatchWithADuplicateJournalEntryAppliesNotAtAll,
    JournalEntriesAndInvocationsAreNeverWrittenTwice, CreateKeepsEveryFieldAndStartsRunning,
    PrincipalAndTraceparentComeBackFromEveryRead, OutcomeWritesChangeOnlyUnfinishedInvocations,
    LoadUnfinishedReturnsRunningAndPausedInIdOrder, UnfinishedInvocationsReloadWithTheirJournal,
    ListInvocationsPagesNewestFirstWithFilters, FinishedBeforeSelectsTheSweepsCandidates,
    StateIsSetOverwrittenAndDeleted, DropKeyForgetsOnlyThatKeysStateAndPromises,
    FirstPromiseCompletionWins, FirstStepCompletionWinsAndReloadsWithItsInvocation,
    IdempotencyKeyFindsItsInvocation,
    PurgeRemovesAFinishedInvocationWithItsJournalCompletionsAndKey,
    PurgeLeavesAnUnfinishedInvocationWhole, RowsArePutOverwrittenAndDeletedInOrder,
    TablesWithTheSameKeysAreKeptApart, RowKeysCompareAsBytes, RangesScanForwardAndBackward,
    PrefixRangesIncludeEveryKeyWithThePrefix, EmptyAndInvertedRangesFindNothing,
    AsyncScanDeliversTheSameRows, RowsCommitWithTheirJournalEntry,
    BatchesBecomeDurableInSubmissionOrder, PowerLossKeepsAPrefixOfWholeBatches,
    RestartKeepsEverythingDurable, CloseMakesEverySubmittedBatchDurable);

}  // namespace orderd::testing
