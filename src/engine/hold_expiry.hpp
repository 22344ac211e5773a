#pragma once
// The expiry of holds that end on their own at a time (the shop's API reservations, X1 in
// commerce/stock/stock.hpp; a trip's seats and rooms): one timer on the engine thread, owned by
// the domain that keeps the holds, not by any invocation. The domain says when its next hold
// expires and ends the ones due; this arms the timer for the earliest, runs it in bounded
// batches, and writes what each run decided through Engine::write_rows.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "engine/write_set.hpp"

namespace orderd {

class Engine;
class Scheduler;

// What a domain with expiring holds gives the timer.
class ExpiringHolds {
 public:
  virtual ~ExpiringHolds() = default;
  // The earliest expiry of a hold still open; nullopt: none expires.
  virtual std::optional<std::int64_t> next_expiry() const = 0;
  // Ends the holds due at now_ms, earliest first, at most `limit`, writing their rows to
  // `writes`; returns how many were due.
  virtual std::size_t expire_due(std::int64_t now_ms, std::size_t limit, WriteSet& writes) = 0;
};

class HoldExpiry {
 public:
  HoldExpiry(ExpiringHolds& holds, std::size_t batch) : holds_(holds), batch_(batch ? batch : 1) {}
  HoldExpiry(const HoldExpiry&) = delete;
  HoldExpiry& operator=(const HoldExpiry&) = delete;

  // The engine the rows go through and the clock; again after a test's restart (a timer of an
  // earlier scheduler is gone with it).
  void attach(Engine& engine, Scheduler& scheduler);
  // Arms the timer for the next expiry, unless it is armed for that time or earlier. The domain
  // calls it after loading and whenever it makes a hold that may expire earlier.
  void arm();
  // Ends the holds due now (at most `batch`) and re-arms: at once if the batch was full (the
  // next turn takes the rest, others' work runs between), else for the next expiry. Returns
  // how many were due.
  std::size_t run();
  // Runs so far that found something due (tests watch the batches).
  std::size_t batches() const { return batches_; }
  std::size_t batch() const { return batch_; }

 private:
  void schedule_at(std::int64_t when_ms);

  ExpiringHolds& holds_;
  const std::size_t batch_;
  Engine* engine_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  std::uint64_t timer_ = 0;
  std::int64_t armed_at_ms_ = 0;
  std::size_t batches_ = 0;
  // The timer's callback runs only while this lives: the domain may go before its scheduler.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace orderd
