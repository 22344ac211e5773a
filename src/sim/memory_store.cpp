#include "sim/memory_store.hpp"

#include <stdexcept>

namespace orderd::sim {

using store::InvocationStatus;
using store::Write;

namespace {
// As SQLite's `status IN (1, 4)`.
bool unfinished(const store::InvocationRecord& r) {
  return r.status == InvocationStatus::kRunning || r.status == InvocationStatus::kPaused;
}
}  // namespace

void MemoryStore::attach(SimulatedScheduler& scheduler, std::size_t commits_allowed) {
  scheduler_ = &scheduler;
  budget_ = commits_allowed;
  commits_ = 0;
  crashed_ = false;
  pending_.clear();
}

// As SQLite's close: what was submitted commits (within this lifetime's budget), in order, with
// its callbacks, and later submits are refused until the next lifetime.
void MemoryStore::close() {
  while (!pending_.empty()) commit_next();
  scheduler_ = nullptr;
}

void MemoryStore::detach() {
  scheduler_ = nullptr;
  pending_.clear();
}

// Each batch gets its own commit event after a seeded delay of 0-2 ms; an event commits the
// oldest pending batch, so batches commit in submission order whatever order the events run in.
void MemoryStore::submit(std::vector<Write> writes, Callback on_durable) {
  if (!scheduler_) throw std::logic_error("store is closed");
  pending_.push_back({std::move(writes), std::move(on_durable)});
  auto delay = static_cast<std::int64_t>(scheduler_->draw(3));
  scheduler_->schedule_after(delay, [this] { commit_next(); });
}

void MemoryStore::commit_next() {
  if (pending_.empty()) return;
  Pending batch = std::move(pending_.front());
  pending_.pop_front();
  if (crashed_ || commits_ >= budget_) {
    crashed_ = true;  // power is gone: this batch and every later one never reach the disk
    return;
  }
  // All or nothing, as a transaction: a write that fails leaves the tables as they were.
  Tables before = tables_;
  try {
    for (const auto& w : batch.writes) apply(w);
  } catch (...) {
    tables_ = std::move(before);
    throw;
  }
  ++commits_;
  if (batch.on_durable) batch.on_durable();
}

void MemoryStore::apply(const Write& w) {
  const auto& inv = w.invocation;
  auto update = [&](auto&& change) {
    auto it = tables_.invocations.find(inv.id);
    if (it != tables_.invocations.end() && unfinished(it->second)) change(it->second);
  };
  switch (w.op) {
    case Write::Op::kCreate: {
      // As SQLite's INSERT: a new invocation is running, with no attempts and no outcome.
      store::InvocationRecord created = inv;
      created.status = InvocationStatus::kRunning;
      created.attempts = 0;
      created.output.clear();
      created.error_code = 0;
      created.completed_at_ms = 0;
      if (!tables_.invocations.emplace(inv.id, std::move(created)).second)
        throw std::logic_error("duplicate invocation " + inv.id);
      if (!inv.idempotency_key.empty()) {
        tables_.idempotency[{store::idempotency_target(inv.service, inv.object_key, inv.handler),
                             inv.idempotency_key}] = inv.id;
      }
      break;
    }
    case Write::Op::kAppend:
      if (!tables_.journal[inv.id].emplace(w.entry.index, w.entry).second) {
        throw std::logic_error("journal entry " + inv.id + "/" + std::to_string(w.entry.index) +
                               " written twice");
      }
      break;
    case Write::Op::kComplete:
      update([&](store::InvocationRecord& r) {
        r.status = inv.status;
        r.output = inv.output;
        r.error_code = inv.error_code;
        r.completed_at_ms = inv.completed_at_ms;
        r.attempts = inv.attempts;
      });
      break;
    case Write::Op::kAttempt:
      update([&](store::InvocationRecord& r) { r.attempts = inv.attempts; });
      break;
    case Write::Op::kStatus:
      update([&](store::InvocationRecord& r) {
        r.status = inv.status;
        r.output = inv.output;
      });
      break;
    case Write::Op::kPurge: {
      auto record = tables_.invocations.find(inv.id);
      if (record != tables_.invocations.end() && unfinished(record->second)) break;  // as SQLite
      tables_.journal.erase(inv.id);
      tables_.completions.erase(inv.id);
      Key slot{store::idempotency_target(inv.service, inv.object_key, inv.handler),
               inv.idempotency_key};
      if (auto it = tables_.idempotency.find(slot);
          it != tables_.idempotency.end() && it->second == inv.id)
        tables_.idempotency.erase(it);
      if (record != tables_.invocations.end()) tables_.invocations.erase(record);
      break;
    }
    case Write::Op::kCompleteStep:
      tables_.completions[inv.id].emplace(w.completion.index, w.completion);
      break;
    case Write::Op::kPutState: {
      auto& state = tables_.state[{inv.service, inv.object_key}];
      if (w.entry.failed)
        state.erase(w.entry.name);
      else
        state[w.entry.name] = w.entry.payload;
      break;
    }
    case Write::Op::kPutPromise:
      tables_.promises[{inv.service, inv.object_key}].emplace(w.entry.name, w.completion);
      break;
    case Write::Op::kDropKey:
      tables_.state.erase({inv.service, inv.object_key});
      tables_.promises.erase({inv.service, inv.object_key});
      break;
    case Write::Op::kRows:
      for (const auto& row : w.rows) {
        auto& table = tables_.rows[row.table];
        if (row.value)
          table[row.key] = *row.value;
        else
          table.erase(row.key);
      }
      break;
  }
}

std::optional<std::string> MemoryStore::read_row(const std::string& table, const std::string& key) {
  auto t = tables_.rows.find(table);
  if (t == tables_.rows.end()) return std::nullopt;
  auto it = t->second.find(key);
  if (it == t->second.end()) return std::nullopt;
  return it->second;
}

std::vector<store::Row> MemoryStore::scan_rows(const store::RowRange& range) {
  std::vector<store::Row> found;
  auto t = tables_.rows.find(range.table);
  if (t == tables_.rows.end() || (!range.to.empty() && range.to <= range.from)) return found;
  const auto& rows = t->second;
  auto first = rows.lower_bound(range.from);
  auto last = range.to.empty() ? rows.end() : rows.lower_bound(range.to);
  if (range.reverse) {
    for (auto it = last; it != first && found.size() < range.limit;) {
      --it;
      found.push_back({it->first, it->second});
    }
  } else {
    for (auto it = first; it != last && found.size() < range.limit; ++it)
      found.push_back({it->first, it->second});
  }
  return found;
}

std::vector<store::UnfinishedInvocation> MemoryStore::load_unfinished() {
  std::vector<store::UnfinishedInvocation> result;
  for (const auto& [id, r] : tables_.invocations) {
    if (!unfinished(r)) continue;
    store::UnfinishedInvocation u{r, load_journal(id), {}};
    if (auto it = tables_.completions.find(id); it != tables_.completions.end())
      for (const auto& [index, c] : it->second) u.completions.push_back(c);
    result.push_back(std::move(u));
  }
  return result;
}

std::optional<store::InvocationRecord> MemoryStore::find_invocation(const std::string& id) {
  auto it = tables_.invocations.find(id);
  if (it == tables_.invocations.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> MemoryStore::find_idempotent(const std::string& target,
                                                        const std::string& key) {
  auto it = tables_.idempotency.find({target, key});
  if (it == tables_.idempotency.end()) return std::nullopt;
  return it->second;
}

std::vector<store::InvocationRecord> MemoryStore::list_invocations(const store::ListQuery& q) {
  std::vector<store::InvocationRecord> page;
  for (auto it = tables_.invocations.rbegin(); it != tables_.invocations.rend(); ++it) {
    const auto& r = it->second;
    if (page.size() >= q.limit) break;
    if (q.status && r.status != *q.status) continue;
    if (!q.service.empty() && r.service != q.service) continue;
    if (!q.before_id.empty() && !(r.id < q.before_id)) continue;
    page.push_back(r);
  }
  return page;
}

std::vector<store::JournalEntry> MemoryStore::load_journal(const std::string& id) {
  std::vector<store::JournalEntry> entries;
  if (auto it = tables_.journal.find(id); it != tables_.journal.end())
    for (const auto& [index, e] : it->second) entries.push_back(e);
  return entries;
}

std::map<std::string, std::string> MemoryStore::load_state(const std::string& service,
                                                           const std::string& object_key) {
  auto it = tables_.state.find({service, object_key});
  return it == tables_.state.end() ? std::map<std::string, std::string>{} : it->second;
}

std::map<std::string, store::Completion> MemoryStore::load_promises(const std::string& service,
                                                                    const std::string& key) {
  auto it = tables_.promises.find({service, key});
  return it == tables_.promises.end() ? std::map<std::string, store::Completion>{} : it->second;
}

std::vector<store::InvocationRecord> MemoryStore::finished_before(const std::string& below_id,
                                                                  std::int64_t completed_before_ms,
                                                                  std::size_t limit) {
  std::vector<store::InvocationRecord> found;
  for (const auto& [id, r] : tables_.invocations) {
    if (found.size() >= limit || !(id < below_id)) break;
    if (unfinished(r) || r.completed_at_ms >= completed_before_ms) continue;
    if (!r.parent_id.empty()) {
      auto parent = tables_.invocations.find(r.parent_id);
      if (parent != tables_.invocations.end() && unfinished(parent->second)) continue;
    }
    found.push_back(r);
  }
  return found;
}

}  // namespace orderd::sim
