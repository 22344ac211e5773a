#include "commerce/api/event_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "commerce/events/outbox.hpp"
#include "engine/engine.hpp"

namespace orderd::commerce::api {
EventStream::EventStream(Engine& engine, EventFeed& feed, Scheduler& scheduler, std::string after,
                         EventFilter filter, std::int64_t heartbeat_ms,
                         std::shared_ptr<std::size_t> open)
    : engine_(engine),
      feed_(feed),
      scheduler_(scheduler),
      cursor_(std::move(after)),
      filter_(std::move(filter)),
      heartbeat_ms_(heartbeat_ms),
      open_(std::move(open)) {
  ++*open_;
}

// Touches nothing but the count: the server's loop may be torn down, with the feed and the
// scheduler, before the last reference goes (http_types.hpp, BodyStream::close).
EventStream::~EventStream() {
  release();
}

std::string EventStream::preamble() {
  return "retry: " + std::to_string(kRetryMs) + "\n\n";
}

std::string EventStream::format(const store::Row& event) {
  std::string text = "id: " + event.key + "\nevent: ";
  const std::string_view type = Outbox::type_of(event.value);
  text += type.empty() ? "message" : type;  // SSE's default event type
  text += "\ndata: ";
  text += event.value;  // compact JSON: a newline in it would be escaped, so it is one line
  text += "\n\n";
  return text;
}

void EventStream::next(Deliver deliver) {
  if (closed_) return;
  pending_ = std::move(deliver);
  pump();
}

void EventStream::close() {
  if (closed_) return;
  closed_ = true;
  pending_ = {};
  ready_.clear();
  if (waiter_) feed_.cancel(*waiter_);
  if (heartbeat_) scheduler_.cancel(*heartbeat_);
  waiter_.reset();
  heartbeat_.reset();
  release();
}

void EventStream::release() {
  if (open_) --*open_;
  open_.reset();
}

// Hands over what is read, or makes sure something will come: a page read, a wait on the feed,
// and a heartbeat if they take long.
void EventStream::pump() {
  if (closed_ || !pending_) return;
  if (!ready_.empty()) return give(std::exchange(ready_, {}));
  if (failed_) return give(std::nullopt);
  if (!heartbeat_) {
    std::weak_ptr<EventStream> weak = weak_from_this();
    heartbeat_ = scheduler_.schedule_after(heartbeat_ms_, [weak] {
      if (auto self = weak.lock()) self->beat();
    });
  }
  if (scanning_ || waiter_) return;
  if (!caught_up_) return scan();
  std::weak_ptr<EventStream> weak = weak_from_this();
  waiter_ = feed_.wait(wait_after_, [weak] {
    if (auto self = weak.lock()) self->woken();
  });
}

void EventStream::scan() {
  scanning_ = true;
  // Read before the scan starts: every durable event up to here is committed, so a scan that
  // reaches the end has seen them all, and the ids it did not see there were never written.
  const std::uint64_t durable = feed_.durable_through();
  auto self = shared_from_this();
  read_event_page(engine_, cursor_, filter_, kPage, [self, durable](std::optional<EventPage> page) {
    self->scanned(std::move(page), durable);
  });
}

void EventStream::scanned(std::optional<EventPage> page, std::uint64_t durable_before) {
  scanning_ = false;
  if (closed_) return;
  if (!page) {
    // Ends the response: the client reconnects after `retry` with its Last-Event-ID.
    spdlog::warn("event stream: the store could not be read after {}", cursor_);
    failed_ = true;
    return pump();
  }
  for (const auto& event : page->events) ready_ += format(event);
  if (!page->next_after.empty()) cursor_ = page->next_after;
  caught_up_ = !page->has_more;
  // Past a gap (ids of steps that failed), the feed's mark, not the last id, is where to wait.
  wait_after_ = std::max(Outbox::sequence_of(cursor_).value_or(0), durable_before);
  pump();
}

void EventStream::woken() {
  waiter_.reset();
  caught_up_ = false;
  pump();
}

void EventStream::beat() {
  heartbeat_.reset();
  if (closed_ || !pending_ || !ready_.empty()) return;
  give(kHeartbeat);
}

void EventStream::give(Piece piece) {
  if (heartbeat_) scheduler_.cancel(*heartbeat_);
  heartbeat_.reset();
  auto deliver = std::move(pending_);
  deliver(std::move(piece));
}

}  // namespace orderd::commerce::api
