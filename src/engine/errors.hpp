#pragma once
// The two kinds of failure a handler can meet, and how the engine treats them.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace orderd {

// A failure that must not be retried: it fails the invocation and reaches its caller, which may
// handle it. `code` doubles as the HTTP status the ingress answers with (Restate's convention).
class TerminalError : public std::runtime_error {
 public:
  explicit TerminalError(std::string message, std::uint16_t code = 500)
      : std::runtime_error(std::move(message)), code_(code) {}
  std::uint16_t code() const noexcept { return code_; }

 private:
  std::uint16_t code_;
};

// Stable error codes the engine itself produces.
namespace error_code {
inline constexpr std::uint16_t kBadRequest = 400;
inline constexpr std::uint16_t kNotFound = 404;
inline constexpr std::uint16_t kAborted = 409;   // killed or cancelled
inline constexpr std::uint16_t kConflict = 409;  // e.g. a promise completed twice
inline constexpr std::uint16_t kInternal = 500;
inline constexpr std::uint16_t kJournalMismatch = 570;
}  // namespace error_code

// Raised inside a handler at its next step or await after an operator cancelled it. Terminal: the
// handler may catch it to compensate, and should then rethrow.
class Cancelled : public TerminalError {
 public:
  Cancelled() : TerminalError("cancelled", error_code::kAborted) {}
};

// Raised inside a handler when it does something other than what its journal recorded. Terminal:
// re-running the same code would only repeat the mismatch.
class JournalMismatch : public TerminalError {
 public:
  explicit JournalMismatch(std::string message)
      : TerminalError(std::move(message), error_code::kJournalMismatch) {}
};

}  // namespace orderd
