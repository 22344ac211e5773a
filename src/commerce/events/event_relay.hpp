#pragma once
// The relay: publishes the outbox's durable events, oldest first, to a broker (EventPublisher)
// and remembers in one row how far the broker has acknowledged them.
//
// R1. An event is marked published (its id at or below the progress row's) only after the
//     broker acknowledged it; the row is written after the ack, outside any invocation. A crash
//     can lose the newest progress, never claim more: the relay then resends from an older
//     point, and the publisher finds those events already held (P1), so none is repeated.
// R2. One batch is out at a time, and the next starts after the last acknowledged event: with
//     P1, the broker holds the events in id order, so every subject's events in version order.
// R3. When the broker is unreachable, events wait in the outbox (orders go on) and the relay
//     retries with a capped backoff; it never skips an event.
//
// Threading: the engine thread; the publisher answers from its own and is posted back.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commerce/events/event_publisher.hpp"

namespace orderd {
class Engine;
class Registry;
class Scheduler;
}  // namespace orderd

namespace orderd::commerce {

class EventFeed;

struct RelayOptions {
  std::size_t batch = 256;  // events per publish
  std::int64_t retry_initial_ms = 100;
  std::int64_t retry_max_ms = 2000;
};

class EventRelay {
 public:
  static constexpr const char* kTable = "event_relay";  // <url>/<stream> -> progress
  static void register_tables(Registry& registry);

  EventRelay(Engine& engine, Scheduler& scheduler, EventFeed& feed, EventPublisher& publisher,
             RelayOptions options);
  ~EventRelay();
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

  // Reads the progress row and starts publishing what lies past it.
  void start();
  // The sequence of the last event the broker acknowledged (0: none); retention purges only
  // events at or below it.
  std::uint64_t published_through() const { return published_seq_; }
  // {"url" (without credentials),"stream","state","published_through","waiting",
  //  "oldest_waiting_ms","published" (since this start),"stream_behind","last_error"}: the
  //  relay's lag, for GET /health.
  std::string health_json() const;

 private:
  void pump();
  void published(std::vector<std::string> ids, PublishOutcome outcome);
  void retry_later();
  std::string progress_key() const;

  Engine& engine_;
  Scheduler& scheduler_;
  EventFeed& feed_;
  EventPublisher& publisher_;
  RelayOptions options_;
  std::string published_id_;  // the cursor: the last acknowledged event id ("" none)
  std::uint64_t published_seq_ = 0;
  std::uint64_t published_count_ = 0;      // since start
  std::int64_t oldest_waiting_at_ms_ = 0;  // time of the first unpublished event seen, 0: none
  std::string state_ = "starting";
  std::string last_error_;      // of the failure under way; cleared once a batch goes through
  bool stream_behind_ = false;  // the broker's tail is behind what it acknowledged
  bool busy_ = false;           // a scan or a publish is out
  std::int64_t backoff_ms_ = 0;
  std::uint64_t waiter_ = 0;
  std::uint64_t retry_timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace orderd::commerce
