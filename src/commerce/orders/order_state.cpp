#include "commerce/orders/order_state.hpp"

#include <array>
#include <utility>

namespace orderd::commerce {
namespace {

constexpr std::array<std::string_view, 4> kOrder = {"pending", "confirmed", "failed", "cancelled"};
constexpr std::array<std::string_view, 6> kPayment = {"pending", "authorized", "captured",
                                                      "voided",  "refunded",   "failed"};
constexpr std::array<std::string_view, 3> kFulfillment = {"unfulfilled", "fulfilled", "cancelled"};

template <class Enum, std::size_t N>
std::optional<Enum> parse(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  return std::nullopt;
}

template <class Enum>
void move(Enum& at, Enum to, const char* axis) {
  if (at == to) return;
  if (!allowed(at, to)) {
    throw IllegalTransition(std::string(axis) + " cannot go from " + std::string(to_string(at)) +
                            " to " + std::string(to_string(to)));
  }
  at = to;
}

}  // namespace

std::string_view to_string(OrderStatus s) {
  return kOrder.at(static_cast<std::size_t>(s));
}
std::string_view to_string(PaymentStatus s) {
  return kPayment.at(static_cast<std::size_t>(s));
}
std::string_view to_string(FulfillmentStatus s) {
  return kFulfillment.at(static_cast<std::size_t>(s));
}

std::optional<OrderStatus> parse_order_status(std::string_view text) {
  return parse<OrderStatus>(kOrder, text);
}
std::optional<PaymentStatus> parse_payment_status(std::string_view text) {
  return parse<PaymentStatus>(kPayment, text);
}
std::optional<FulfillmentStatus> parse_fulfillment_status(std::string_view text) {
  return parse<FulfillmentStatus>(kFulfillment, text);
}

bool allowed(OrderStatus from, OrderStatus to) {
  using S = OrderStatus;
  switch (from) {
    case S::kPending:
      return to == S::kConfirmed || to == S::kFailed || to == S::kCancelled;
    case S::kConfirmed:
      return to == S::kCancelled;
    case S::kFailed:
    case S::kCancelled:
      return false;  // O2: terminal
  }
  return false;
}

bool allowed(PaymentStatus from, PaymentStatus to) {
  using S = PaymentStatus;
  switch (from) {
    case S::kPending:
      return to == S::kAuthorized || to == S::kFailed;
    case S::kAuthorized:
      return to == S::kCaptured || to == S::kVoided;
    case S::kCaptured:
      return to == S::kRefunded;
    case S::kVoided:
    case S::kRefunded:
    case S::kFailed:
      return false;
  }
  return false;
}

bool allowed(FulfillmentStatus from, FulfillmentStatus to) {
  using S = FulfillmentStatus;
  return from == S::kUnfulfilled && (to == S::kFulfilled || to == S::kCancelled);
}

void advance(OrderStatus& at, OrderStatus to) {
  move(at, to, "status");
}
void advance(PaymentStatus& at, PaymentStatus to) {
  move(at, to, "payment_status");
}
void advance(FulfillmentStatus& at, FulfillmentStatus to) {
  move(at, to, "fulfillment_status");
}

}  // namespace orderd::commerce
