#pragma once
// The store interface. Invariants every implementation keeps:
//  1. submit() batches commit atomically, in submission order: when a batch's on_durable runs,
//     every batch submitted before it is durable too.
//  2. A journal entry (invocation_id, index) is written once and never changed.
//  3. Reads see every batch whose on_durable has run.
//  4. A batch's domain row writes (Write::Op::kRows) apply in order, in the same transaction as
//     the rest of the batch: a row and the journal entry that decided it commit together or not
//     at all.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/records.hpp"

namespace orderd::store {

class Store {
 public:
  using Callback = std::function<void()>;
  virtual ~Store() = default;

  // Queues writes; on_durable runs (on the store's thread; the caller re-posts it) once they and
  // everything submitted before them are committed.
  virtual void submit(std::vector<Write> writes, Callback on_durable) = 0;

  virtual std::vector<UnfinishedInvocation> load_unfinished() = 0;
  virtual std::optional<InvocationRecord> find_invocation(const std::string& id) = 0;
  // The invocation last started under (target, idempotency key), where target is
  // "Service/handler". Written with the invocation's creation, in the same batch.
  virtual std::optional<std::string> find_idempotent(const std::string& target,
                                                     const std::string& key) = 0;

  virtual std::vector<InvocationRecord> list_invocations(const ListQuery& query) = 0;
  virtual std::vector<JournalEntry> load_journal(const std::string& id) = 0;
  // A virtual object's durable state: name -> JSON value.
  virtual std::map<std::string, std::string> load_state(const std::string& service,
                                                        const std::string& object_key) = 0;
  // A workflow's durable promises: name -> outcome (Completion::index unused).
  virtual std::map<std::string, Completion> load_promises(const std::string& service,
                                                          const std::string& workflow_key) = 0;
  // Finished invocations whose id sorts below `below_id` (ids sort by creation time) and that
  // completed before `completed_before_ms`: candidates for the retention sweep. Children of
  // unfinished parents are left out: a parent's replay reads their outcomes.
  virtual std::vector<InvocationRecord> finished_before(const std::string& below_id,
                                                        std::int64_t completed_before_ms,
                                                        std::size_t limit) = 0;

  // Domain rows (rows.hpp). Point reads and short scans on the reader connection: cheap while
  // the pages are in memory, but a cold page waits for the disk. Code on the engine thread that
  // answers a client uses scan_rows_async, or keeps what it reads often in memory.
  virtual std::optional<std::string> read_row(const std::string& table, const std::string& key) = 0;
  virtual std::vector<Row> scan_rows(const RowRange& range) = 0;
  // The same scan off the caller's thread; `done` runs on the store's reader thread (the caller
  // re-posts it) with the rows, or nullopt when the scan failed (an I/O error). By default the
  // scan runs at once, on the calling thread.
  using ScanDone = std::function<void(std::optional<std::vector<Row>>)>;
  virtual void scan_rows_async(RowRange range, ScanDone done) { done(scan_rows(range)); }

  // Waits until everything submitted so far is durable, then stops the writer.
  virtual void close() = 0;
};

}  // namespace orderd::store
