#pragma once
// Plain records exchanged between the engine and a store. No SQL, no I/O: any store (SQLite today,
// PostgreSQL tomorrow) persists exactly these.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/rows.hpp"

namespace orderd::store {

// Running and paused invocations are unfinished: recovery loads them, and only they change.
enum class InvocationStatus : std::uint8_t {
  kRunning = 1,
  kSucceeded = 2,
  kFailed = 3,
  kPaused = 4
};

inline bool is_finished(InvocationStatus s) {
  return s == InvocationStatus::kSucceeded || s == InvocationStatus::kFailed;
}
const char* to_string(InvocationStatus status) noexcept;

enum class EntryKind : std::uint8_t {
  kCall = 1,        // name = "Service/handler", payload = child invocation id
  kRun = 2,         // name = side effect name, payload = result JSON or error
  kSleep = 3,       // payload = wake-up time, ms since the epoch
  kWait = 4,        // payload = journal index of the future that completed next (fan-in order)
  kCancel = 5,      // an operator's cancel: the handler's next step or await throws "cancelled"
  kAwakeable = 6,   // a promise an outside system completes; its outcome is a Completion
  kGetState = 7,    // name = state key; payload = the value read; failed = it was absent
  kSetState = 8,    // name = state key; payload = the value written
  kClearState = 9,  // name = state key
  // Workflows' durable promises (see Completion). name = the promise's name throughout.
  kGetPromise = 10,       // the step completes when the promise does: its value or its rejection
  kPeekPromise = 11,      // payload = value or rejection; failed with error_code 0 = not completed
  kCompletePromise = 12,  // payload = value, or the rejection's message when error_code != 0;
                          // failed = it lost: the promise was completed before
  // name = step name, payload = result JSON or error (as kRun); the step's domain row writes
  // commit in the same batch as this entry.
  kTransact = 13,
  // name = effect name; a side effect run off the engine thread (a worker, or asynchronous I/O).
  // Its outcome is a Completion, written when the effect has finished; an entry without one is
  // an effect that runs again after a crash.
  kEffect = 14,
};

const char* to_string(EntryKind kind) noexcept;

// One journal step. Entries are append-only: (invocation_id, index) never changes once written.
struct JournalEntry {
  std::uint32_t index = 0;
  EntryKind kind = EntryKind::kRun;
  std::string name;
  std::string payload;
  bool failed = false;  // kRun: payload is a terminal error message, error_code its code
  std::uint16_t error_code = 0;
  std::int64_t recorded_at_ms = 0;
};

struct InvocationRecord {
  std::string id;
  std::string service;
  std::string handler;
  std::string input;      // JSON
  std::string parent_id;  // empty for invocations started by a client
  std::uint32_t parent_index = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t execute_at_ms = 0;  // a delayed send starts then; 0 = at once
  std::string idempotency_key;     // empty when the client sent none
  std::string object_key;          // the virtual-object key; empty for plain services
  // Who started it, as the front door authenticated the caller (empty: anonymous), and the W3C
  // trace context it came with (empty: none). A call step's child inherits both from its parent.
  std::string principal;
  std::string traceparent;
  InvocationStatus status = InvocationStatus::kRunning;
  std::uint32_t attempts = 0;
  std::string output;  // JSON on success, the error message on failure
  std::uint16_t error_code = 0;
  std::int64_t completed_at_ms = 0;
};

// The outcome of a journal step completed from outside (an awakeable resolved or rejected), or of
// a workflow's durable promise (index unused). Kept apart from the journal, which only the handler
// appends to.
struct Completion {
  std::uint32_t index = 0;
  bool failed = false;
  std::uint16_t error_code = 0;
  std::string value;  // JSON, or the error message when failed
};

// A running invocation as recovery needs it: its record, its journal, and the outcomes of its
// steps that were completed from outside.
struct UnfinishedInvocation {
  InvocationRecord record;
  std::vector<JournalEntry> journal;
  std::vector<Completion> completions;
};

// One write of a batch. Batches commit atomically and in submission order, which is what lets the
// engine release a step's effect as soon as the batch holding its record is durable.
struct Write {
  enum class Op : std::uint8_t {
    kCreate,        // invocation: all fields
    kAppend,        // invocation.id, entry
    kComplete,      // invocation: id, status, output, error_code, completed_at_ms, attempts
    kAttempt,       // invocation: id, attempts
    kStatus,        // invocation: id, status (running or paused), output (why it paused)
    kPurge,         // invocation: id, service, handler, keys; an unfinished one is left whole
    kCompleteStep,  // invocation.id, completion; the first completion of a step wins
    kPutState,      // invocation: service, object_key; entry: name, payload (failed = delete)
    kPutPromise,    // invocation: service, object_key; entry.name; completion; first one wins
    kDropKey,       // invocation: service, object_key: forget the key's state and promises
    kRows,          // rows: a domain's row writes, applied in order (rows.hpp)
  } op;
  InvocationRecord invocation;
  JournalEntry entry;
  Completion completion;
  std::vector<RowWrite> rows;
};

// What an idempotency key is scoped to: "Service/handler", or "Service/objectKey/handler".
inline std::string idempotency_target(const std::string& service, const std::string& object_key,
                                      const std::string& handler) {
  return object_key.empty() ? service + "/" + handler : service + "/" + object_key + "/" + handler;
}

// A page of invocations, newest first.
struct ListQuery {
  std::optional<InvocationStatus> status;
  std::string service;  // empty: any
  std::size_t limit = 50;
  std::string before_id;  // keyset cursor: ids sort by creation time
};

}  // namespace orderd::store
