#pragma once
// The transactional outbox: every change of an order and every stock movement writes an event
// into the `events` table in the same WriteSet as the change, so the store never holds one
// without the other (issue 9). Events are CloudEvents 1.0 JSON, stored as they are served.
//
// E1. Event ids are "evt_" + a zero-padded sequence: they sort in the order their steps were
//     decided, which is the order their batches commit. A crash loses only events whose rows
//     were lost with them, so the sequence resumes after the last durable id.
// E2. `version` counts one subject's events (an order id, or a product id), from 1, gap-free:
//     the counter lives in the subject's own row (Order::event_version, ProductLevels::version),
//     written in the same step as the event.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_function.hpp"

#include "engine/write_set.hpp"

namespace orderd::store {
class Store;
}

namespace orderd::commerce {

class Outbox {
 public:
  static constexpr const char* kTable = "events";

  // Resumes the sequence after the last durable event (E1).
  void load(store::Store& store);

  // Writes one event; `data_json` is the subject's snapshot after the change.
  void emit(WriteSet& writes, std::string_view type, const std::string& subject,
            std::int64_t version, std::int64_t time_ms, const std::string& data_json);

  // The sequence of the last event emitted (0: none yet); durable or not (EventFeed knows).
  std::uint64_t last_sequence() const { return next_ - 1; }
  // Called after every emit, on the engine thread: the EventFeed's cue that more is coming.
  void on_emit(UniqueFunction<void()> listener) { listener_ = std::move(listener); }

  static std::string event_id(std::uint64_t sequence);
  // The sequence an event id names; nullopt for anything but "evt_" + 20 digits.
  static std::optional<std::uint64_t> sequence_of(std::string_view id);
  // The event's time (its "time" member) in ms since the epoch; nullopt if it has none.
  static std::optional<std::int64_t> time_of(std::string_view event_json);
  // The event's type (its "type" member, never escaped: order.created); empty if it has none.
  static std::string_view type_of(std::string_view event_json);

 private:
  std::uint64_t next_ = 1;
  UniqueFunction<void()> listener_;
};

}  // namespace orderd::commerce
