#pragma once
// A store that loses power: the first `batches_to_commit` batches reach the real store, every
// later one is dropped without a word, as a crash would drop it. A batch is one SQLite
// transaction, so "crash at any write" is "crash before the batch holding that write".
#include <atomic>
#include <memory>

#include "store/store.hpp"

namespace orderd::testing {

class CrashingStore final : public store::Store {
 public:
  CrashingStore(store::Store& real, std::size_t batches_to_commit)
      : real_(real), budget_(batches_to_commit) {}

  // Power goes now: every batch submitted from here on is dropped. Any thread.
  void lose_power_now() { budget_ = submitted_.load(); }

  void submit(std::vector<store::Write> writes, Callback on_durable) override {
    if (submitted_++ >= budget_) {
      dropped_ = true;
      return;
    }
    real_.submit(std::move(writes), std::move(on_durable));
  }
  std::vector<store::UnfinishedInvocation> load_unfinished() override {
    return real_.load_unfinished();
  }
  std::optional<store::InvocationRecord> find_invocation(const std::string& id) override {
    return real_.find_invocation(id);
  }
  std::optional<std::string> find_idempotent(const std::string& target,
                                             const std::string& key) override {
    return real_.find_idempotent(target, key);
  }
  std::vector<store::InvocationRecord> list_invocations(const store::ListQuery& q) override {
    return real_.list_invocations(q);
  }
  std::vector<store::JournalEntry> load_journal(const std::string& id) override {
    return real_.load_journal(id);
  }
  std::vector<store::InvocationRecord> finished_before(const std::string& below, std::int64_t ms,
                                                       std::size_t limit) override {
    return real_.finished_before(below, ms, limit);
  }
  std::map<std::string, std::string> load_state(const std::string& service,
                                                const std::string& key) override {
    return real_.load_state(service, key);
  }
  std::map<std::string, store::Completion> load_promises(const std::string& service,
                                                         const std::string& key) override {
    return real_.load_promises(service, key);
  }
  std::optional<std::string> read_row(const std::string& table, const std::string& key) override {
    return real_.read_row(table, key);
  }
  std::vector<store::Row> scan_rows(const store::RowRange& range) override {
    return real_.scan_rows(range);
  }
  void scan_rows_async(store::RowRange range, ScanDone done) override {
    real_.scan_rows_async(std::move(range), std::move(done));
  }
  void close() override { real_.close(); }

  bool crashed() const { return dropped_; }
  std::size_t submitted() const { return submitted_; }

 private:
  store::Store& real_;
  std::atomic<std::size_t> budget_;
  std::atomic<std::size_t> submitted_{0};
  std::atomic<bool> dropped_{false};
};

}  // namespace orderd::testing
