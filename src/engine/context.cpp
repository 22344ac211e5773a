#include "engine/context.hpp"

#include <algorithm>

#include "common/ids.hpp"

namespace orderd {

std::string Context::awakeable_id(std::uint32_t step) const {
  return ids::awakeable_id(journal_.invocation_id(), step);
}

void detail::throw_undecodable(const std::exception& e) {
  // The journal holds what this code cannot read: a bug or a damaged record, not a bad request.
  throw TerminalError(ErrorCode::kInternal,
                      std::string("recorded value has an unexpected shape: ") + e.what());
}

void detail::throw_terminal(const StepOutcome& outcome) {
  throw TerminalError(Error::decode(outcome.error_code, outcome.value));
}

Task<std::optional<Completed>> Waiter::next() {
  while (!remaining_.empty()) {
    if (auto chosen = journal_->choose_next(remaining_)) {
      std::uint32_t step = *chosen;
      // A replayed choice is done by construction (it was journaled after it completed), but await
      // it anyway rather than trust that.
      if (!journal_->is_done(step)) co_await detail::StepAwaiter{*journal_, step};
      remaining_.erase(std::find(remaining_.begin(), remaining_.end(), step));
      auto position =
          static_cast<std::size_t>(std::find(steps_.begin(), steps_.end(), step) - steps_.begin());
      co_return Completed(position, step);
    }
    co_await detail::AnyStepAwaiter{*journal_, remaining_};
  }
  co_return std::nullopt;
}

}  // namespace orderd
