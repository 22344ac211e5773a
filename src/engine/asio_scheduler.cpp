#include "engine/asio_scheduler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <unordered_map>

namespace orderd {
namespace {

class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}
  ~AsioScheduler() override {
    for (auto& [id, timer] : timers_) timer->cancel();
  }

  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void post(Task task) override { boost::asio::post(io_, std::move(task)); }

  TimerId schedule_at(std::int64_t when_ms, Task task) override {
    // Durable times are wall-clock; waiting is done on the steady clock so a clock step cannot
    // stall a timer. Rounded up: a timer may fire late, never early.
    auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    return arm(std::chrono::microseconds(std::max<std::int64_t>(0, when_ms * 1000 - now_us)),
               std::move(task));
  }

  TimerId schedule_after(std::int64_t delay_ms, Task task) override {
    return arm(std::chrono::milliseconds(std::max<std::int64_t>(0, delay_ms)), std::move(task));
  }

 private:
  TimerId arm(std::chrono::microseconds delay, Task task) {
    TimerId id = ++next_id_;
    auto timer = std::make_unique<boost::asio::steady_timer>(io_);
    timer->expires_after(delay);
    auto on_fire = [this, id, task = std::move(task)](const boost::system::error_code& ec) {
      // An expired timer's handler may already be queued when cancel() runs, and then arrives
      // without an error: the map, not the error code, says whether it still counts.
      if (ec || timers_.erase(id) == 0) return;
      task();
    };
    timer->async_wait(std::move(on_fire));
    timers_.emplace(id, std::move(timer));
    return id;
  }

 public:
  void cancel(TimerId id) override {
    if (auto it = timers_.find(id); it != timers_.end()) {
      it->second->cancel();
      timers_.erase(it);
    }
  }

 private:
  boost::asio::io_context& io_;
  std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  TimerId next_id_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_asio_scheduler(boost::asio::io_context& io) {
  return std::make_unique<AsioScheduler>(io);
}

}  // namespace orderd
