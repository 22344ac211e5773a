#pragma once
// Where the relay sends the outbox's events: a broker behind one interface, so the relay's
// bookkeeping runs the same over NATS JetStream, a test's fake or the simulation's.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_function.hpp"
#include "store/rows.hpp"

namespace orderd::commerce {

struct PublishOutcome {
  // How many of the batch's events, from the first, the broker holds durably now (acked, or
  // found there already). The rest were not taken; `error` says why.
  std::size_t acked = 0;
  std::string error;
  // When the publisher read the stream's tail for this batch: the sequence of its newest event
  // there (0: none). Below what the relay published, the broker has lost events (a reset store).
  std::optional<std::uint64_t> stream_tail;
};

class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Publishes `events` (outbox rows, in id order) and calls `done` once, from any thread.
  // `newest_emitted`: the outbox's newest sequence, for the publisher to tell a stream that holds
  // another store's events (ids this one has not handed out yet).
  // P1. The broker ends up holding the batch's events in their order, each once, and none after
  //     one it did not take: what `acked` counts is exactly what it holds of the batch, so the
  //     relay resumes right after it without a gap, a repeat or a reordering.
  virtual void publish(std::vector<store::Row> events, std::uint64_t newest_emitted,
                       UniqueFunction<void(PublishOutcome)> done) = 0;
  // For the relay's progress row and its health: "nats://127.0.0.1:4222", "ORDERS".
  virtual std::string url() const = 0;
  virtual std::string stream() const = 0;
};

}  // namespace orderd::commerce
