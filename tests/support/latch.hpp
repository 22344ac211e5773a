#pragma once
// A one-shot flag that a store callback sets, on whatever thread the store runs it, and a test
// awaits: a condition to wait on instead of a sleep.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace orderd::testing {

class Latch {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      set_ = true;
    }
    changed_.notify_all();
  }
  bool is_set() {
    std::lock_guard lock(mutex_);
    return set_;
  }
  // False when `timeout` passed first: a store that never calls back fails its test, not hangs.
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

}  // namespace orderd::testing
