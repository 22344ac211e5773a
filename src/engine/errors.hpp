#pragma once
// The two kinds of failure a handler can meet, and how the engine treats them.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/error.hpp"

namespace orderd {

// A failure that must not be retried: it fails the invocation and reaches its caller, which may
// handle it (compensate, try another way). It carries a typed Error: a category, a stable
// reason, a message and structured details, which cross the journal intact and which the
// ingress turns into the answer's status and body, once.
class TerminalError : public std::runtime_error {
 public:
  TerminalError(ErrorCode code, std::string message, std::string reason = {},
                std::string details = {})
      : TerminalError(Error::of(code, std::move(message), std::move(reason), std::move(details))) {}
  // Restate's form: a numeric code, which is also the HTTP status the caller sees.
  explicit TerminalError(std::string message, std::uint16_t status = 500)
      : TerminalError(Error{error_code_from_status(status), status, {}, std::move(message), {}}) {}
  explicit TerminalError(Error error)
      : std::runtime_error(error.message), error_(std::move(error)) {}

  const Error& error() const noexcept { return error_; }
  ErrorCode category() const noexcept { return error_.code; }
  std::uint16_t code() const noexcept { return error_.status; }  // Restate's numeric code

 private:
  Error error_;
};

// Raised inside a handler at its next step or await after an operator cancelled it. Terminal: the
// handler may catch it to compensate, and should then rethrow.
class Cancelled : public TerminalError {
 public:
  Cancelled() : TerminalError(ErrorCode::kCancelled, "cancelled") {}
};

// Raised inside a handler when it does something other than what its journal recorded. Terminal:
// re-running the same code would only repeat the mismatch.
class JournalMismatch : public TerminalError {
 public:
  explicit JournalMismatch(std::string message)
      : TerminalError(ErrorCode::kJournalMismatch, std::move(message)) {}
};

}  // namespace orderd
