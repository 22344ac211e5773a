#pragma once
// How the stock ledger's state is stored: one row per product (its levels in every warehouse,
// and what it has sold), one per open or ended reservation. Loading every product row and the
// open reservations rebuilds the ledger exactly (Shop::load).
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "commerce/stock/stock_ledger.hpp"

namespace orderd::commerce {

// A reservation as its owner sees it. `status`: held, committed, released, expired.
struct Reservation {
  std::string id;
  std::string owner;     // who holds it ("user:100", or the order it was made for)
  std::string order_id;  // set once an order has taken it over: it no longer expires
  // The principal whose invocation made it (Reservations/create's; empty: anonymous, or an
  // order's own). Held and not taken over by an order, it counts against that principal's
  // quota (Shop, Q3). Never shown in the API's view.
  std::string principal;
  std::vector<BasketItem> items;
  std::vector<Allocation> allocations;
  std::string status = "held";
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // 0: never (an order's own reservation)
  std::int64_t updated_at_ms = 0;
  bool open() const { return status == "held"; }
};

// The id of the reservation Reservations/create's invocation `invocation_id` makes: "res_" and
// the invocation's own part (as order_id_for). Never throws, whatever the text.
std::string reservation_id_for(const std::string& invocation_id);

// Reservation::owner of a reservation held for the user `user_id`: "user:<id>".
std::string reservation_owner(std::int64_t user_id);

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const WarehouseLevel& w);
WarehouseLevel tag_invoke(boost::json::value_to_tag<WarehouseLevel>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ProductLevels& p);
ProductLevels tag_invoke(boost::json::value_to_tag<ProductLevels>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const BasketItem& i);
BasketItem tag_invoke(boost::json::value_to_tag<BasketItem>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Allocation& a);
Allocation tag_invoke(boost::json::value_to_tag<Allocation>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Reservation& r);
Reservation tag_invoke(boost::json::value_to_tag<Reservation>, const boost::json::value& v);

// The API's views: stock {on_hand, reserved, available, warehouses: [...]}, and a reservation
// with RFC 3339 times.
boost::json::value stock_view(const ProductLevels* levels);
boost::json::value reservation_view(const Reservation& r);

}  // namespace orderd::commerce
