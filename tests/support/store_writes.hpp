#pragma once
// Builders for store batches, so a test reads as the writes it makes rather than as the fields of
// store::Write it fills in.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/records.hpp"

namespace orderd::testing::writes {

inline store::InvocationRecord invocation(std::string id, std::string service = "S",
                                          std::string handler = "h") {
  store::InvocationRecord r;
  r.id = std::move(id);
  r.service = std::move(service);
  r.handler = std::move(handler);
  r.input = "{}";
  r.created_at_ms = 1;
  return r;
}

inline store::Write create(store::InvocationRecord record) {
  return store::Write{store::Write::Op::kCreate, std::move(record), {}, {}, {}};
}

inline store::Write create(const std::string& id) {
  return create(invocation(id));
}

inline store::JournalEntry entry(std::uint32_t index, std::string payload,
                                 store::EntryKind kind = store::EntryKind::kRun) {
  store::JournalEntry e;
  e.index = index;
  e.kind = kind;
  e.name = "step" + std::to_string(index);
  e.payload = std::move(payload);
  return e;
}

inline store::Write append(const std::string& id, store::JournalEntry e) {
  store::Write w{store::Write::Op::kAppend, {}, std::move(e), {}, {}};
  w.invocation.id = id;
  return w;
}

inline store::Write append(const std::string& id, std::uint32_t index, std::string payload) {
  return append(id, entry(index, std::move(payload)));
}

inline store::Write complete(const std::string& id, store::InvocationStatus status,
                             std::string output, std::uint16_t error_code = 0,
                             std::int64_t completed_at_ms = 0, std::uint32_t attempts = 1) {
  store::Write w{store::Write::Op::kComplete, {}, {}, {}, {}};
  w.invocation.id = id;
  w.invocation.status = status;
  w.invocation.output = std::move(output);
  w.invocation.error_code = error_code;
  w.invocation.completed_at_ms = completed_at_ms;
  w.invocation.attempts = attempts;
  return w;
}

inline store::Write succeed(const std::string& id, std::int64_t completed_at_ms = 0) {
  return complete(id, store::InvocationStatus::kSucceeded, "{\"ok\":true}", 0, completed_at_ms);
}

inline store::Write attempt(const std::string& id, std::uint32_t attempts) {
  store::Write w{store::Write::Op::kAttempt, {}, {}, {}, {}};
  w.invocation.id = id;
  w.invocation.attempts = attempts;
  return w;
}

inline store::Write set_status(const std::string& id, store::InvocationStatus status,
                               std::string why) {
  store::Write w{store::Write::Op::kStatus, {}, {}, {}, {}};
  w.invocation.id = id;
  w.invocation.status = status;
  w.invocation.output = std::move(why);
  return w;
}

// A purge names the invocation as the engine read it: id, service, handler, object and
// idempotency key.
inline store::Write purge(store::InvocationRecord record) {
  return store::Write{store::Write::Op::kPurge, std::move(record), {}, {}, {}};
}

inline store::Completion outcome(std::uint32_t index, std::string value, bool failed = false,
                                 std::uint16_t error_code = 0) {
  return store::Completion{index, failed, error_code, std::move(value)};
}

inline store::Write complete_step(const std::string& id, store::Completion completion) {
  store::Write w{store::Write::Op::kCompleteStep, {}, {}, std::move(completion), {}};
  w.invocation.id = id;
  return w;
}

inline store::Write keyed(store::Write::Op op, const std::string& service,
                          const std::string& object_key) {
  store::Write w{op, {}, {}, {}, {}};
  w.invocation.service = service;
  w.invocation.object_key = object_key;
  return w;
}

inline store::Write put_state(const std::string& service, const std::string& object_key,
                              const std::string& name, std::string value) {
  auto w = keyed(store::Write::Op::kPutState, service, object_key);
  w.entry.name = name;
  w.entry.payload = std::move(value);
  return w;
}

inline store::Write clear_state(const std::string& service, const std::string& object_key,
                                const std::string& name) {
  auto w = keyed(store::Write::Op::kPutState, service, object_key);
  w.entry.name = name;
  w.entry.failed = true;
  return w;
}

inline store::Write put_promise(const std::string& service, const std::string& workflow_key,
                                const std::string& name, store::Completion completion) {
  auto w = keyed(store::Write::Op::kPutPromise, service, workflow_key);
  w.entry.name = name;
  w.completion = std::move(completion);
  return w;
}

inline store::Write drop_key(const std::string& service, const std::string& object_key) {
  return keyed(store::Write::Op::kDropKey, service, object_key);
}

inline store::RowWrite put_row(std::string table, std::string key, std::string value) {
  return store::RowWrite{std::move(table), std::move(key), std::move(value)};
}

inline store::RowWrite delete_row(std::string table, std::string key) {
  return store::RowWrite{std::move(table), std::move(key), std::nullopt};
}

inline store::Write rows(std::vector<store::RowWrite> row_writes) {
  return store::Write{store::Write::Op::kRows, {}, {}, {}, std::move(row_writes)};
}

}  // namespace orderd::testing::writes
