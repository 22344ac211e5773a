#pragma once
// A2 inside the commerce routes (auth/caller.hpp): a customer sees and touches only its own
// orders, reservations, payments and events. Services, admins and open callers (authentication
// off, A1) are confined to nothing, so every route behaves for them as it always did.
//
// C1. A customer acts as the user its `sub` names (Caller::user_id). One without a decimal
//     `sub` is refused 403 customer_without_user_id on every /api/v1 route but the catalog's
//     reads, before the route runs (CommerceApi::add_routes).
// C2. A write a customer starts is its own: a body without `user_id` takes the customer's, and
//     another `user_id` is 403 user_id_mismatch, before anything is written.
// C3. Another user's order or reservation is answered exactly as an unknown id (the same 404,
//     code and message), and nothing is written; lists and event pages are confined in the
//     scan (the order index's user prefix, the event filter), never after paging.
#include <cstdint>
#include <optional>
#include <string>

#include "ingress/api_error.hpp"
#include "ingress/route_request.hpp"

namespace orderd::commerce {
class Shop;
struct Order;
struct Reservation;
}  // namespace orderd::commerce

namespace orderd::commerce::api {

// The user a request is confined to: the customer's user id when caller.owns_only(); nullopt
// when it sees everything (open, service, admin). C1 has refused a customer without one.
std::optional<std::int64_t> confined_user(const http::RouteRequest& request);

// C1: the 403 for a customer without a decimal `sub`; nullopt for every other caller.
std::optional<http::ApiError> refuse_customer_without_user_id(const http::RouteRequest& request);

// C2: the 403 for a body or query naming `given` while the customer is `own`.
http::ApiError user_id_mismatch(std::int64_t given, std::int64_t own);

// C3: whether `user` may see the order or the reservation. A reservation is a user's when it
// was made for it ("user:<id>"), or when it is an order's own and the order is the user's; an
// anonymous one (made without user_id) is no customer's to read or release.
bool owns_order(const Order& order, std::int64_t user);
bool owns_reservation(const Shop& shop, const Reservation& reservation, std::int64_t user);

}  // namespace orderd::commerce::api
