#pragma once
// The relay's publisher for NATS JetStream (libnats): one thread, one connection, one batch at
// a time, pipelined within the batch.
//
// How it keeps P1 (event_publisher.hpp) on a broker that may drop a connection mid-batch:
// - Each message carries Nats-Msg-Id = its event id, so the stream drops a resend it already
//   holds (within its duplicate window).
// - Each message after the first expects the stream's last sequence to be the one before it
//   (Nats-Expected-Last-Sequence): if one is lost, every later one in the batch is refused, so
//   the stream never holds an event after a gap.
// - Before publishing after a connect or a failure, it reads the stream's last message: if it is
//   one of orderd's events (an event id, in an event naming itself), events up to it are held
//   already and count as acked without being sent again, so a restart after kill -9 resends
//   nothing the stream has, even past the duplicate window. Another publisher's message at the
//   tail proves nothing: the relay's own progress decides then.
// - A tail event this store has not emitted (beyond its newest id), or one whose content differs
//   from this store's, means the stream was filled by another store (a replaced data directory):
//   the publisher stops publishing to it, loudly, rather than pass new events off as held.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "commerce/events/event_publisher.hpp"

namespace orderd::commerce {

struct JetStreamOptions {
  std::string url;  // nats://host:port
  std::string stream = "ORDERS";
  std::int64_t connect_timeout_ms = 2000;
  std::int64_t ack_timeout_ms = 5000;  // for a whole batch's acks
};

class JetStreamPublisher final : public EventPublisher {
 public:
  explicit JetStreamPublisher(JetStreamOptions options);
  ~JetStreamPublisher() override;

  void publish(std::vector<store::Row> events, std::uint64_t newest_emitted,
               UniqueFunction<void(PublishOutcome)> done) override;
  std::string url() const override { return options_.url; }
  std::string stream() const override { return options_.stream; }

  // The NATS subject of an event type: order.confirmed -> orders.confirmed, stock.* as it is.
  static std::string subject_for(std::string_view type);

  struct Connection;  // libnats handles, in the .cpp

 private:
  struct Job {
    std::vector<store::Row> events;
    std::uint64_t newest_emitted = 0;
    UniqueFunction<void(PublishOutcome)> done;
  };
  void run();
  PublishOutcome publish_now(const std::vector<store::Row>& events, std::uint64_t newest_emitted);
  // Reads the stream's tail (creating the stream if missing); an error text, or "" when synced.
  std::string sync(std::uint64_t newest_emitted);

  JetStreamOptions options_;
  std::unique_ptr<Connection> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Job> job_;
  std::atomic<bool> stopping_ = false;
  // Set on the publisher's thread only:
  std::optional<std::uint64_t> synced_tail_;  // the tail's sequence read by this job's sync
  std::string diverged_;  // why this stream is not this store's (sticky: nothing more is sent)
  std::thread thread_;
};

}  // namespace orderd::commerce
