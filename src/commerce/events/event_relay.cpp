#include "commerce/events/event_relay.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>

#include "commerce/events/event_feed.hpp"
#include "commerce/events/outbox.hpp"
#include "common/durations.hpp"
#include "common/json_writer.hpp"
#include "common/url_redaction.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "engine/scheduler.hpp"

namespace orderd::commerce {

void EventRelay::register_tables(Registry& registry) {
  registry.add_table(kTable);
}

EventRelay::EventRelay(Engine& engine, Scheduler& scheduler, EventFeed& feed,
                       EventPublisher& publisher, RelayOptions options)
    : engine_(engine),
      scheduler_(scheduler),
      feed_(feed),
      publisher_(publisher),
      options_(options) {}

EventRelay::~EventRelay() {
  *alive_ = false;
  if (waiter_) feed_.cancel(waiter_);
  if (retry_timer_) scheduler_.cancel(retry_timer_);
}

std::string EventRelay::progress_key() const {
  return publisher_.url() + "/" + publisher_.stream();
}

void EventRelay::start() {
  if (auto row = engine_.read_row(kTable, progress_key())) {
    auto progress = boost::json::parse(*row).as_object();
    if (auto* id = progress.if_contains("published_through"); id && id->is_string()) {
      published_id_ = std::string(id->as_string());
      published_seq_ = Outbox::sequence_of(published_id_).value_or(0);
    }
  }
  spdlog::info("event relay to {} stream {}: resuming after {}", redact_url(publisher_.url()),
               publisher_.stream(), published_id_.empty() ? "the start" : published_id_);
  pump();
}

void EventRelay::pump() {
  if (busy_) return;
  busy_ = true;
  // Everything at or below this is durable or absent (F1): an empty scan may wait past it.
  const std::uint64_t durable = feed_.durable_through();
  store::RowRange range{Outbox::kTable, published_id_.empty() ? "" : published_id_ + '\0', "",
                        options_.batch, false};
  engine_.scan_rows(std::move(range), [this, alive = alive_,
                                       durable](std::optional<std::vector<store::Row>> rows) {
    if (!*alive) return;
    if (!rows) {
      last_error_ = "the store could not be read";
      return retry_later();
    }
    if (rows->empty()) {
      busy_ = false;
      // Nothing at or below `durable` is left unpublished (F1): ids a failed step skipped
      // count as done, so `waiting` reaches 0.
      published_seq_ = std::max(published_seq_, durable);
      state_ = "caught_up";
      backoff_ms_ = 0;
      oldest_waiting_at_ms_ = 0;
      waiter_ = feed_.wait(std::max(published_seq_, durable), [this] {
        waiter_ = 0;
        pump();
      });
      return;
    }
    if (state_ != "failing") state_ = "publishing";
    oldest_waiting_at_ms_ = Outbox::time_of(rows->front().value).value_or(scheduler_.now_ms());
    std::vector<std::string> ids;
    ids.reserve(rows->size());
    for (const auto& row : *rows) ids.push_back(row.key);
    // From the publisher's thread: back onto the engine thread. Only the scheduler (which
    // outlives the publisher) is touched there; the relay may be gone by then.
    auto done = [this, scheduler = &scheduler_, alive = alive_,
                 ids = std::move(ids)](PublishOutcome outcome) mutable {
      auto shared = std::make_shared<std::pair<std::vector<std::string>, PublishOutcome>>(
          std::move(ids), std::move(outcome));
      scheduler->post([this, alive, shared] {
        if (*alive) published(std::move(shared->first), std::move(shared->second));
      });
    };
    publisher_.publish(std::move(*rows), feed_.emitted_through(), std::move(done));
  });
}

void EventRelay::published(std::vector<std::string> ids, PublishOutcome outcome) {
  if (outcome.stream_tail) {
    // The broker holds less than it acknowledged: its store was reset or purged. What it lost
    // is not published again (it could be on purpose); say so once per sync.
    stream_behind_ = *outcome.stream_tail < Outbox::sequence_of(published_id_).value_or(0);
    if (stream_behind_)
      spdlog::warn(
          "event relay: stream {} holds orderd's events only up to {}, behind {} that it "
          "acknowledged: the broker lost events (a reset store or a purge); they are "
          "not published again",
          publisher_.stream(),
          *outcome.stream_tail ? Outbox::event_id(*outcome.stream_tail) : "none", published_id_);
  }
  const std::size_t acked = std::min(outcome.acked, ids.size());
  if (acked > 0) {
    published_id_ = ids[acked - 1];
    published_seq_ = Outbox::sequence_of(published_id_).value_or(published_seq_);
    published_count_ += acked;
    // R1: after the ack. Rewritten once per batch; losing the newest one only resends.
    std::string progress = "{\"published_through\":";
    json::append_string(progress, published_id_);
    progress += ",\"at\":\"" + durations::format_rfc3339(scheduler_.now_ms()) + "\"}";
    engine_.write_rows({{kTable, progress_key(), std::move(progress)}}, [] {});
  }
  if (acked < ids.size()) {
    if (last_error_ != outcome.error || state_ != "failing")
      spdlog::warn("event relay: {} of {} events published; {} (retrying)", acked, ids.size(),
                   outcome.error);
    last_error_ = outcome.error;
    return retry_later();
  }
  if (state_ == "failing") spdlog::info("event relay: publishing again after {}", last_error_);
  last_error_.clear();
  state_ = "publishing";
  backoff_ms_ = 0;
  busy_ = false;
  pump();
}

void EventRelay::retry_later() {
  state_ = "failing";
  backoff_ms_ = backoff_ms_ == 0 ? options_.retry_initial_ms
                                 : std::min(backoff_ms_ * 2, options_.retry_max_ms);
  retry_timer_ = scheduler_.schedule_after(backoff_ms_, [this, alive = alive_] {
    if (!*alive) return;
    retry_timer_ = 0;
    busy_ = false;
    pump();
  });
}

std::string EventRelay::health_json() const {
  const std::uint64_t durable = feed_.durable_through();
  const std::uint64_t waiting = durable > published_seq_ ? durable - published_seq_ : 0;
  const std::int64_t oldest =
      waiting > 0 && oldest_waiting_at_ms_ > 0
          ? std::max<std::int64_t>(0, scheduler_.now_ms() - oldest_waiting_at_ms_)
          : 0;
  std::string out = "{\"url\":";
  json::append_string(out, redact_url(publisher_.url()));  // /health is no place for a password
  out += ",\"stream\":";
  json::append_string(out, publisher_.stream());
  out += ",\"state\":";
  json::append_string(out, state_);
  out += ",\"published_through\":";
  if (published_id_.empty())
    out += "null";
  else
    json::append_string(out, published_id_);
  out += ",\"waiting\":" + std::to_string(waiting);
  out += ",\"oldest_waiting_ms\":" + std::to_string(oldest);
  out += ",\"published\":" + std::to_string(published_count_);
  out += ",\"stream_behind\":";
  out += stream_behind_ ? "true" : "false";
  out += ",\"last_error\":";
  json::append_string(out, last_error_);
  out += "}";
  return out;
}

}  // namespace orderd::commerce
