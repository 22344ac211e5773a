#pragma once
// The catalog's and the stock's handlers: each decides against the shop's memory inside one
// transact step, so its rows commit with its journal entry.
//   Catalog/put_product        create or update a product
//   Stock/set                  set a warehouse's on_hand, or add to it (restock)
//   Reservations/create        hold a basket until its TTL; the stock's expiry timer ends it
//                              then (X1, stock.hpp), no invocation of its own
//   Reservations/release       return a held reservation's units
//   Reservations/expire        no longer started (kept for journals from before): sleeps for
//                              the TTL, then releases the reservation if nothing else ended it
//                              or took it over: once
#include "commerce/catalog/product.hpp"
#include "commerce/requests.hpp"
#include "commerce/stock/stock_rows.hpp"
#include "engine/context.hpp"

namespace orderd::commerce {

class Shop;

Task<Product> put_product(Shop* shop, Context& ctx, PutProduct request);
Task<ProductLevels> set_stock(Shop* shop, Context& ctx, SetStock request);
Task<Reservation> create_reservation(Shop* shop, Context& ctx, CreateReservation request);
Task<Reservation> release_reservation(Shop* shop, Context& ctx, ReservationRef request);
Task<Reservation> expire_reservation(Shop* shop, Context& ctx, ReservationRef request);

}  // namespace orderd::commerce
