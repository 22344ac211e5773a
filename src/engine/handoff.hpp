#pragma once
// A value another thread hands to an asynchronous effect (Context::run_async): the effect awaits
// the Handoff; a callback on any thread (a client library's completion, a thread of its own)
// delivers through a Deliverer; the effect resumes on the engine thread.
//
//   Task<Ack> publish(const EffectAttempt& attempt) {
//     Handoff<Ack> ack(attempt);
//     client.publish_async(msg, [d = ack.deliverer()](Ack a) { d.deliver(std::move(a)); });
//     co_return co_await ack;
//   }
//
// The effect's coroutine may be destroyed before anything is delivered (its attempt timed out):
// the Handoff then forgets its waiter, and a late delivery does nothing.
#include <coroutine>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/run_policy.hpp"

namespace orderd {

template <class T>
class Handoff {
  struct State {
    std::mutex mutex;
    std::optional<T> value;
    std::optional<std::string> failure;
    std::coroutine_handle<> waiter;  // touched on the engine thread only
    std::function<void(std::function<void()>)> post;
  };

 public:
  explicit Handoff(const EffectAttempt& attempt) : state_(std::make_shared<State>()) {
    state_->post = attempt.post;
  }
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;
  ~Handoff() { state_->waiter = {}; }  // the frame is going: a late delivery resumes nothing

  class Deliverer {
   public:
    // Either, once, from any thread. A failure is transient: the effect's attempt fails with it
    // and its RunPolicy retries.
    void deliver(T value) const {
      finish([&](State& s) { s.value.emplace(std::move(value)); });
    }
    void fail(std::string reason) const {
      finish([&](State& s) { s.failure = std::move(reason); });
    }

   private:
    friend class Handoff;
    explicit Deliverer(std::shared_ptr<State> s) : state_(std::move(s)) {}
    template <class Fill>
    void finish(Fill fill) const {
      {
        std::lock_guard lock(state_->mutex);
        if (state_->value || state_->failure) return;
        fill(*state_);
      }
      state_->post([state = state_] {
        if (auto waiter = std::exchange(state->waiter, {})) waiter.resume();
      });
    }
    std::shared_ptr<State> state_;
  };
  Deliverer deliverer() const { return Deliverer(state_); }

  bool await_ready() const {
    std::lock_guard lock(state_->mutex);
    return state_->value || state_->failure;
  }
  // Whatever is delivered from now on resumes the waiter through the posted task, which runs on
  // the engine thread after this returns.
  void await_suspend(std::coroutine_handle<> h) { state_->waiter = h; }
  T await_resume() {
    std::lock_guard lock(state_->mutex);
    if (state_->failure) throw std::runtime_error(*state_->failure);
    return std::move(*state_->value);
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace orderd
