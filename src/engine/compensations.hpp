#pragma once
// A saga's compensation stack. As each step succeeds, the saga registers the step that undoes
// it; on a failure or a cancel it runs them, last first, each a durable step of its own:
//
//   Compensations undo(ctx);
//   auto reserved = ctx.call<Hold>("Stock", "reserve", basket);
//   auto settling = reserved.settle();
//   Result<Hold> hold = co_await settling;                // a named awaiter, never a temporary
//   if (!hold) co_return ...;
//   undo.push("release the hold", [id = hold->id](Context& c) {
//     return c.call<Released>("Stock", "release", Release{id});
//   });
//   ...
//   if (failed) { auto unwind = undo.run(); co_await std::move(unwind); }
//
// An undo is a plain callable that *starts* a durable step (a call, an effect, a transact) and
// returns its Future, or a Task<T> for an undo of several steps. It is no coroutine lambda, and it
// is called outside any co_await expression, which is what keeps it safe under g++ 12 (capturing
// lambdas created inside co_await corrupt memory there). Capture by value.
//
// Replay: the forward steps replay, so the same undos are pushed in the same order, and the
// undos that ran before a crash return their recorded outcomes: none runs twice. An undo that
// fails terminally does not stop the others; run() reports the first such failure.
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/context.hpp"

namespace orderd {

class Compensations {
 public:
  explicit Compensations(Context& ctx) : ctx_(ctx) {}
  Compensations(const Compensations&) = delete;
  Compensations& operator=(const Compensations&) = delete;

  template <class Undo>
  void push(std::string name, Undo undo) {
    using Started = std::invoke_result_t<Undo&, Context&>;
    undos_.push_back({std::move(name), [undo = std::move(undo)](Context& ctx) -> Task<void> {
                        return await_undo<Started>(undo(ctx));
                      }});
  }
  std::size_t size() const { return undos_.size(); }
  // Forgets them all: the saga went through, nothing is to be undone.
  void clear() { undos_.clear(); }

  // Runs every registered undo, last first, and forgets them. Awaiting it yields the first
  // terminal failure of an undo (nullopt: all undone).
  Task<std::optional<Error>> run();

 private:
  template <class T>
  static constexpr bool is_task(const Task<T>*) {
    return true;
  }
  static constexpr bool is_task(const void*) { return false; }

  template <class Started>
  static Task<void> await_undo(Started started) {
    if constexpr (is_task(static_cast<const Started*>(nullptr))) {
      co_await std::move(started);
    } else {
      co_await started;  // a Future: a named object, never a temporary
    }
  }

  struct Undo {
    std::string name;
    std::function<Task<void>(Context&)> start;
  };
  Context& ctx_;
  std::vector<Undo> undos_;
};

inline Task<std::optional<Error>> Compensations::run() {
  std::vector<Undo> undos = std::exchange(undos_, {});
  std::optional<Error> first_failure;
  for (auto it = undos.rbegin(); it != undos.rend(); ++it) {
    try {
      // Starting an undo can fail at once (a call to a missing handler): it stops no other.
      Task<void> undo = it->start(ctx_);
      co_await std::move(undo);
    } catch (const TerminalError& e) {
      ctx_.log().warn("compensation '{}' failed: {}", it->name, e.what());
      if (!first_failure) first_failure = e.error();
    }
  }
  co_return first_failure;
}

// A task's value or its terminal error, without a catch block at the awaiting site.
template <class T>
Task<Result<T>> settle(Task<T> task) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      co_return Result<T>();
    } else {
      T value = co_await std::move(task);
      co_return Result<T>(std::move(value));
    }
  } catch (const TerminalError& e) {
    co_return Result<T>(e.error());
  }
}

}  // namespace orderd
