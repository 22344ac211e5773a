#pragma once
// Where the relay sends the outbox's events: a broker behind one interface, so the relay's
// bookkeeping runs the same over NATS JetStream, a test's fake or the simulation's.
#include <cstddef>
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
};

class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Publishes `events` (outbox rows, in id order) and calls `done` once, from any thread.
  // P1. The broker ends up holding the batch's events in their order, each once, and none after
  //     one it did not take: what `acked` counts is exactly what it holds of the batch, so the
  //     relay resumes right after it without a gap, a repeat or a reordering.
  virtual void publish(std::vector<store::Row> events,
                       UniqueFunction<void(PublishOutcome)> done) = 0;
  // For the relay's progress row and its health: "nats://127.0.0.1:4222", "ORDERS".
  virtual std::string url() const = 0;
  virtual std::string stream() const = 0;
};

}  // namespace orderd::commerce
