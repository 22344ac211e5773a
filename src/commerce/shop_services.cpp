// The shop's handlers, registered with the engine: Shop::register_services.
#include "commerce/orders/order_saga.hpp"
#include "commerce/orders/payment_retry.hpp"
#include "commerce/shop.hpp"
#include "commerce/stock/stock_handlers.hpp"
#include "engine/registry.hpp"

namespace orderd::commerce {

void Shop::register_services(Registry& registry) {
  for (const char* table :
       {Catalog::kProducts, Catalog::kWarehouses, Stock::kStock, Stock::kHeld, Stock::kReservations,
        OrderBook::kOrders, OrderBook::kOrderIndex, payments::PaymentLedger::kPaymentsTable,
        payments::PaymentLedger::kRecordsTable, Outbox::kTable})
    registry.add_table(table);
  Shop* shop = this;
  // Plain lambdas that hand the shop to the coroutine by value (registry.hpp).
  registry.add<PutProduct, Product>("Catalog", "put_product", [shop](Context& ctx, PutProduct r) {
    return commerce::put_product(shop, ctx, std::move(r));
  });
  registry.add<SetStock, ProductLevels>("Stock", "set", [shop](Context& ctx, SetStock r) {
    return commerce::set_stock(shop, ctx, std::move(r));
  });
  registry.add<CreateReservation, Reservation>("Reservations", "create",
                                               [shop](Context& ctx, CreateReservation r) {
                                                 return create_reservation(shop, ctx, std::move(r));
                                               });
  registry.add<ReservationRef, Reservation>("Reservations", "release",
                                            [shop](Context& ctx, ReservationRef r) {
                                              return release_reservation(shop, ctx, std::move(r));
                                            });
  registry.add<ReservationRef, Reservation>("Reservations", "expire",
                                            [shop](Context& ctx, ReservationRef r) {
                                              return expire_reservation(shop, ctx, std::move(r));
                                            });
  registry.add<PlaceOrder, Order>("Orders", "place", [shop](Context& ctx, PlaceOrder r) {
    return place_order(shop, ctx, std::move(r));
  });
  registry.add<CancelOrder, Order>(
      "OrderCancel", "cancel",
      [shop](Context& ctx, CancelOrder r) {
        return cancel_confirmed_order(shop, ctx, std::move(r));
      },
      HandlerEntry::Kind::kExclusive);
  registry.add<ReclaimOrder, Order>(
      "OrderReclaim", "reclaim",
      [shop](Context& ctx, ReclaimOrder r) { return reclaim_order(shop, ctx, std::move(r)); },
      HandlerEntry::Kind::kExclusive);
  // P3: an operator's retry of a payment needing attention, keyed by the payment's owner.
  registry.add<RetryPayment, payments::Payment>(
      "Payments", "retry",
      [shop](Context& ctx, RetryPayment r) { return retry_payment(shop, ctx, std::move(r)); },
      HandlerEntry::Kind::kExclusive);
}

}  // namespace orderd::commerce
