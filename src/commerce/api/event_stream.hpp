#pragma once
// The body of GET /api/v1/events/stream (Server-Sent Events): the outbox's durable events after
// a cursor, then each new one as soon as it is durable. The EventFeed says when there is
// something to read, so an idle stream costs a waiter and a heartbeat timer, never a poll. One
// page (at most kPage events) is read at a time, and only when the server has written the
// previous one: a slow client holds its stream back instead of growing a buffer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commerce/api/event_query.hpp"
#include "commerce/events/event_feed.hpp"
#include "engine/scheduler.hpp"
#include "ingress/http_types.hpp"

namespace orderd {
class Engine;
}

namespace orderd::commerce::api {

class EventStream final : public http::BodyStream,
                          public std::enable_shared_from_this<EventStream> {
 public:
  static constexpr std::size_t kPage = 256;
  static constexpr std::int64_t kRetryMs = 1000;  // the reconnection delay told to EventSource

  // `open` counts the streams alive, for --max-event-streams: this one counts until it is
  // closed or destroyed.
  EventStream(Engine& engine, EventFeed& feed, Scheduler& scheduler, std::string after,
              EventFilter filter, std::int64_t heartbeat_ms, std::shared_ptr<std::size_t> open);
  ~EventStream() override;

  void next(Deliver deliver) override;
  void close() override;

  // What precedes the events, once: the reconnection delay.
  static std::string preamble();
  // One event as SSE: `id`, `event` (its type) and `data` (its JSON, one line).
  static std::string format(const store::Row& event);
  static constexpr const char* kHeartbeat = ": keep-alive\n\n";

 private:
  void pump();
  void scan();
  void scanned(std::optional<EventPage> page, std::uint64_t durable_before);
  void woken();
  void beat();
  void give(Piece piece);
  void release();

  Engine& engine_;
  EventFeed& feed_;
  Scheduler& scheduler_;
  std::string cursor_;  // the last event id accounted for; "": the beginning
  EventFilter filter_;  // applied in the scan (read_event_page): a customer's own events only
  std::int64_t heartbeat_ms_;
  std::shared_ptr<std::size_t> open_;

  Deliver pending_;    // the server waits for a piece
  std::string ready_;  // read and formatted, not yet delivered: at most one page
  bool scanning_ = false;
  bool caught_up_ = false;        // the last page reached the end: wait for the feed
  std::uint64_t wait_after_ = 0;  // what the feed must be durable past to wake us
  std::optional<EventFeed::WaiterId> waiter_;
  std::optional<Scheduler::TimerId> heartbeat_;
  bool failed_ = false;  // the store could not be read: the body ends
  bool closed_ = false;
};

}  // namespace orderd::commerce::api
