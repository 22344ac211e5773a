#pragma once
// An in-memory Store for the deterministic simulation, with SQLite's semantics (a duplicate key
// is an error, updates touch unfinished invocations only, the first completion wins; a batch
// that fails is applied not at all, and the error is thrown) and power
// loss on demand: batches commit one per scheduler event, in order, after a seeded delay, and
// once the commit budget is spent the rest are dropped as a crash would drop them. The committed
// tables outlive any number of simulated process lifetimes.
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/simulated_scheduler.hpp"
#include "store/store.hpp"

namespace orderd::sim {

class MemoryStore final : public store::Store {
 public:
  // A process lifetime starts: at most `commits_allowed` more batches will commit.
  void attach(SimulatedScheduler& scheduler, std::size_t commits_allowed);
  // The process died: batches not yet committed are lost.
  void detach();
  bool crashed() const { return crashed_; }  // a batch was dropped in this lifetime
  std::size_t commits() const { return commits_; }

  void submit(std::vector<store::Write> writes, Callback on_durable) override;
  std::vector<store::UnfinishedInvocation> load_unfinished() override;
  std::optional<store::InvocationRecord> find_invocation(const std::string& id) override;
  std::optional<std::string> find_idempotent(const std::string& target,
                                             const std::string& key) override;
  std::vector<store::InvocationRecord> list_invocations(const store::ListQuery& query) override;
  std::vector<store::JournalEntry> load_journal(const std::string& id) override;
  std::map<std::string, std::string> load_state(const std::string& service,
                                                const std::string& object_key) override;
  std::map<std::string, store::Completion> load_promises(const std::string& service,
                                                         const std::string& key) override;
  std::vector<store::InvocationRecord> finished_before(const std::string& below_id,
                                                       std::int64_t completed_before_ms,
                                                       std::size_t limit) override;
  std::optional<std::string> read_row(const std::string& table, const std::string& key) override;
  std::vector<store::Row> scan_rows(const store::RowRange& range) override;
  void close() override;

  // The committed tables, for the simulation's invariant checks.
  using Key = std::pair<std::string, std::string>;
  struct Tables {
    std::map<std::string, store::InvocationRecord> invocations;
    std::map<std::string, std::map<std::uint32_t, store::JournalEntry>> journal;
    std::map<std::string, std::map<std::uint32_t, store::Completion>> completions;
    std::map<Key, std::map<std::string, std::string>> state;
    std::map<Key, std::map<std::string, store::Completion>> promises;
    std::map<Key, std::string> idempotency;  // (target, key) -> invocation id
    std::map<std::string, std::map<std::string, std::string>> rows;  // table -> key -> value
  };
  const Tables& tables() const { return tables_; }

 private:
  struct Pending {
    std::vector<store::Write> writes;
    Callback on_durable;
  };
  void commit_next();
  void apply(const store::Write& w);

  Tables tables_;
  SimulatedScheduler* scheduler_ = nullptr;
  std::deque<Pending> pending_;
  std::size_t budget_ = 0;
  std::size_t commits_ = 0;
  bool crashed_ = false;
};

}  // namespace orderd::sim
