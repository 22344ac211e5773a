#pragma once
// The expiry of the API's reservations: one timer on the engine thread, owned by the stock, not
// by any invocation.
//
// X1. Every held reservation with an expiry (expires_at_ms > 0: the API's, until an order adopts
//     it) ends `expired` at or soon after its time, unless it ended first. The timer is armed
//     for the inventory's next_expiry() at start (Stock::load, from the held rows), whenever a
//     reservation with an earlier expiry is made (Stock::reserve), and after each run. A run
//     ends at most `batch` due holds, earliest expiry first, writes their rows and stock events
//     through Engine::write_rows, and re-arms at once if more are due. The release is
//     idempotent by itself: a crash before its rows are durable leaves the hold in the rows,
//     and it is due again at the next start. No invocation carries an expiry, so nothing an
//     operator kills or purges can strand a hold.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace orderd {
class Engine;
class Scheduler;
}  // namespace orderd

namespace orderd::commerce {

class Stock;

class ReservationExpiry {
 public:
  ReservationExpiry(Stock& stock, std::size_t batch) : stock_(stock), batch_(batch ? batch : 1) {}
  ReservationExpiry(const ReservationExpiry&) = delete;
  ReservationExpiry& operator=(const ReservationExpiry&) = delete;

  // The engine the rows go through and the clock; again after a test's restart (a timer of an
  // earlier scheduler is gone with it).
  void attach(Engine& engine, Scheduler& scheduler);
  // Arms the timer for the next expiry, unless it is armed for that time or earlier (X1).
  void arm();
  // Ends the holds due now (at most `batch`) and re-arms; returns how many were due.
  std::size_t run();
  // Runs so far that found something due (tests watch the batches).
  std::size_t batches() const { return batches_; }
  std::size_t batch() const { return batch_; }

 private:
  void schedule_at(std::int64_t when_ms);

  Stock& stock_;
  const std::size_t batch_;
  Engine* engine_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  std::uint64_t timer_ = 0;
  std::int64_t armed_at_ms_ = 0;
  std::size_t batches_ = 0;
  // The timer's callback runs only while this lives: the shop may go before its scheduler does.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace orderd::commerce
