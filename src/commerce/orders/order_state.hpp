#pragma once
// An order's three state axes as enums, and the only transitions allowed between their values
// (shared/reference/commerce-conventions.md):
//   status              pending -> confirmed | failed | cancelled; confirmed -> cancelled
//   payment_status      pending -> authorized -> captured -> refunded; authorized -> voided;
//                       pending -> failed
//   fulfillment_status  unfulfilled -> fulfilled | cancelled
// O3. Every change of an axis goes through advance(), which refuses any other transition by
//     throwing IllegalTransition: a bug, never an answer to a client (tests catch it). Setting an
//     axis to the value it has is no transition and always allowed (a replay recomputing a step).
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace orderd::commerce {

enum class OrderStatus : unsigned char { kPending, kConfirmed, kFailed, kCancelled };
enum class PaymentStatus : unsigned char {
  kPending,
  kAuthorized,
  kCaptured,
  kVoided,
  kRefunded,
  kFailed,
};
enum class FulfillmentStatus : unsigned char { kUnfulfilled, kFulfilled, kCancelled };

std::string_view to_string(OrderStatus s);
std::string_view to_string(PaymentStatus s);
std::string_view to_string(FulfillmentStatus s);
std::optional<OrderStatus> parse_order_status(std::string_view text);
std::optional<PaymentStatus> parse_payment_status(std::string_view text);
std::optional<FulfillmentStatus> parse_fulfillment_status(std::string_view text);

bool allowed(OrderStatus from, OrderStatus to);
bool allowed(PaymentStatus from, PaymentStatus to);
bool allowed(FulfillmentStatus from, FulfillmentStatus to);

class IllegalTransition : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Moves `at` to `to` (O3).
void advance(OrderStatus& at, OrderStatus to);
void advance(PaymentStatus& at, PaymentStatus to);
void advance(FulfillmentStatus& at, FulfillmentStatus to);

// For test failure messages.
inline std::ostream& operator<<(std::ostream& os, OrderStatus s) {
  return os << to_string(s);
}
inline std::ostream& operator<<(std::ostream& os, PaymentStatus s) {
  return os << to_string(s);
}
inline std::ostream& operator<<(std::ostream& os, FulfillmentStatus s) {
  return os << to_string(s);
}

}  // namespace orderd::commerce
