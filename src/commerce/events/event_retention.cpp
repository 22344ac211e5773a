#include "commerce/events/event_retention.hpp"

#include <spdlog/spdlog.h>

#include "commerce/events/outbox.hpp"
#include "engine/engine.hpp"
#include "engine/scheduler.hpp"

namespace orderd::commerce {

EventRetention::EventRetention(Engine& engine, Scheduler& scheduler, RetentionOptions options,
                               std::function<std::uint64_t()> published_through)
    : engine_(engine),
      scheduler_(scheduler),
      options_(options),
      published_through_(std::move(published_through)) {}

EventRetention::~EventRetention() {
  *alive_ = false;
}

void EventRetention::sweep() {
  if (busy_) return;
  busy_ = true;
  const std::int64_t cutoff = scheduler_.now_ms() - options_.retention_ms;
  // One row more than a batch: if it is not there, the last row read is the newest.
  engine_.scan_rows({Outbox::kTable, "", "", options_.batch + 1, false},
                    [this, alive = alive_, cutoff](std::optional<std::vector<store::Row>> rows) {
                      if (*alive) scanned(cutoff, std::move(rows));
                    });
}

void EventRetention::scanned(std::int64_t cutoff, std::optional<std::vector<store::Row>> rows) {
  busy_ = false;
  ++passes_;
  if (!rows) return;  // the next sweep tries again
  const std::uint64_t published = published_through_ ? published_through_() : ~std::uint64_t{0};
  // The newest event always stays: Outbox::load resumes the ids after it (E1), and ids must
  // never start again from 1 under a broker that holds the old ones.
  const std::size_t candidates = rows->size() > options_.batch ? options_.batch
                                 : rows->empty()               ? 0
                                                               : rows->size() - 1;
  std::vector<store::RowWrite> deletes;
  for (std::size_t i = 0; i < candidates; ++i) {
    // Oldest first: the first event that must stay ends the pass.
    const auto& row = (*rows)[i];
    const auto sequence = Outbox::sequence_of(row.key);
    const auto time = Outbox::time_of(row.value);
    if (!sequence || *sequence > published || !time || *time >= cutoff) break;
    deletes.push_back({Outbox::kTable, row.key, std::nullopt});
  }
  if (deletes.empty()) return;
  const bool whole_batch = deletes.size() == options_.batch;
  purged_ += deletes.size();
  spdlog::debug("event retention: purging {} events", deletes.size());
  busy_ = true;
  engine_.write_rows(std::move(deletes), [this, alive = alive_, whole_batch] {
    if (!*alive) return;
    busy_ = false;
    if (whole_batch) sweep();  // more may be due: go on, a batch per commit
  });
}

}  // namespace orderd::commerce
