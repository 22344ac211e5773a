#pragma once
// The one error vocabulary of orderd. The engine, the domains and the ingress speak in these
// categories; status_code() is the one table from a category to its number.
//
// A category says how a client should react (fix the request, retry later, give up); a reason is
// the stable, snake_case id of the exact problem within it ("out_of_stock" is a kConflict,
// "payment_declined" a kPaymentRequired). Clients match on the reason; it never changes once
// published. Without a reason, the category's own name is the reason.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderd {

enum class ErrorCode : std::uint8_t {
  kInvalidArgument,    // the request is malformed or a field is wrong: fix it
  kUnauthenticated,    // no or bad credentials
  kPaymentRequired,    // a payment was declined
  kPermissionDenied,   // authenticated, not allowed
  kNotFound,           // no such thing
  kConflict,           // the state of things forbids it now (out of stock, already done)
  kCancelled,          // an operator or a client cancelled it
  kKilled,             // an operator killed it: no compensation ran
  kUnprocessable,      // well-formed, but breaks a rule (fraud rejected, key reused)
  kResourceExhausted,  // rate limited: retry after a while
  kInternal,           // a bug or a broken invariant: not the client's fault
  kUpstreamFailed,     // a downstream system failed
  kUnavailable,        // overloaded or shutting down: retry later
  kDeadlineExceeded,   // a downstream system did not answer in time
  kNotReady,           // Restate's 470: the invocation exists but has not completed
  kJournalMismatch,    // the handler no longer does what its journal recorded
};

// "invalid_argument", "not_found", ...: stable, part of the API.
std::string_view to_string(ErrorCode code) noexcept;
std::optional<ErrorCode> error_code_from_string(std::string_view name) noexcept;

// The category's numeric code. Restate's terminal errors carry a number that is also the HTTP
// status of the answer, so this one table serves the journal's records (readable by Restate's
// tools), the Restate routes and the /api/v1 routes alike.
std::uint16_t status_code(ErrorCode code) noexcept;
// The category a number stands for: a code written by an older orderd, or sent by a Restate
// client (an awakeable's rejection). Unknown 4xx are kInvalidArgument, the rest kInternal.
ErrorCode error_code_from_status(std::uint16_t status) noexcept;

}  // namespace orderd
