#pragma once
// The inputs of the shop's handlers, as they are journaled. The API layer builds them from
// validated requests (api/), so the canonical JSON of two equal requests is equal: the
// idempotency key's fingerprint is this JSON.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "commerce/stock/stock_rows.hpp"

namespace orderd::commerce {

struct PutProduct {
  ProductId id = 0;
  std::string sku, name;
  std::int64_t unit_price = 0;
  std::string currency;
};

struct SetStock {
  ProductId product_id = 0;
  std::string warehouse;
  bool restock = false;  // add `quantity` (else: set on_hand to it)
  std::int64_t quantity = 0;
};

// How long a reservation may hold stock: the API's ttl_seconds and Reservations/create's (and
// Reservations/expire's) ttl_ms alike.
inline constexpr std::int64_t kMinReservationTtlMs = 1'000;
inline constexpr std::int64_t kMaxReservationTtlMs = std::int64_t{7} * 24 * 3600 * 1000;  // 7 days

struct CreateReservation {
  std::vector<BasketItem> items;
  std::int64_t ttl_ms = 0;  // kMinReservationTtlMs..kMaxReservationTtlMs
  std::string owner;
  // Set by the API route for an admin caller: no quota applies (Q3, shop.hpp). Only admins,
  // services and orderd's own routes reach Reservations/create (an internal service).
  bool quota_exempt = false;
};

struct ReservationRef {
  std::string id;
  std::int64_t ttl_ms = 0;  // expire: how long to wait
};

struct PlaceOrder {
  std::int64_t user_id = 0;
  std::vector<BasketItem> items;  // empty when reservation_id names the basket
  std::string payment_method;
  std::string currency;  // empty: the products'
  std::string destination;
  std::string carrier;  // canonical (shipping/quote.hpp)
  std::string reservation_id;
};

struct CancelOrder {
  std::string reason;
};

// OrderReclaim/{order}/reclaim (R1, orders/order_reclaim.hpp): nothing but the key.
struct ReclaimOrder {};

#define ORDERD_COMMERCE_JSON(T)                                                    \
  void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const T& r); \
  T tag_invoke(boost::json::value_to_tag<T>, const boost::json::value& v);
ORDERD_COMMERCE_JSON(PutProduct)
ORDERD_COMMERCE_JSON(SetStock)
ORDERD_COMMERCE_JSON(CreateReservation)
ORDERD_COMMERCE_JSON(ReservationRef)
ORDERD_COMMERCE_JSON(PlaceOrder)
ORDERD_COMMERCE_JSON(CancelOrder)
ORDERD_COMMERCE_JSON(ReclaimOrder)
#undef ORDERD_COMMERCE_JSON

}  // namespace orderd::commerce
