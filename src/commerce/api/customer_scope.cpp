#include "commerce/api/customer_scope.hpp"

#include "commerce/orders/order.hpp"
#include "commerce/shop.hpp"
#include "commerce/stock/stock_rows.hpp"

namespace orderd::commerce::api {

std::optional<std::int64_t> confined_user(const http::RouteRequest& request) {
  if (!request.caller.owns_only()) return std::nullopt;
  return request.caller.user_id();
}

std::optional<http::ApiError> refuse_customer_without_user_id(const http::RouteRequest& request) {
  if (!request.caller.owns_only() || request.caller.user_id()) return std::nullopt;
  return http::ApiError{ErrorCode::kPermissionDenied,
                        "a customer's token must name its user id: sub must be a decimal number",
                        "customer_without_user_id"};
}

http::ApiError user_id_mismatch(std::int64_t given, std::int64_t own) {
  http::ApiError e{ErrorCode::kPermissionDenied,
                   "user_id " + std::to_string(given) + " is not the caller's (" +
                       std::to_string(own) + "): a customer acts for itself only",
                   "user_id_mismatch"};
  return e;
}

bool owns_order(const Order& order, std::int64_t user) {
  return order.user_id == user;
}

bool owns_reservation(const Shop& shop, const Reservation& reservation, std::int64_t user) {
  if (reservation.owner == reservation_owner(user)) return true;
  // An order's own reservation (owner "order:<id>"): the order's user's.
  if (reservation.owner.rfind("order:", 0) == 0 && !reservation.order_id.empty()) {
    auto order = shop.orders.read_order(reservation.order_id);
    return order && owns_order(*order, user);
  }
  return false;
}

}  // namespace orderd::commerce::api
