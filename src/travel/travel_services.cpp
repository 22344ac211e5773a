// FlightService, HotelService and TripPaymentService: the travel services the orchestrator
// calls, each decision a journaled step over the travel inventory or the payment desk.
#include <variant>

#include "engine/registry.hpp"
#include "payments/breaking_gateway.hpp"
#include "payments/payment_desk.hpp"
#include "travel/travel.hpp"
#include "travel/travel_requests.hpp"

namespace orderd::travel {
namespace {

Booking booked(std::variant<Booking, Error> decided) {
  if (auto* error = std::get_if<Error>(&decided)) throw TerminalError(std::move(*error));
  return std::get<Booking>(std::move(decided));
}

// A booking id names one booking for good: an ended one's row keeps it (T3).
void refuse_used_id(const Travel& travel, const std::string& id) {
  if (travel.inventory.booking(id) || travel.stored_booking(id)) {
    throw TerminalError(ErrorCode::kConflict, "booking " + id + " exists", "booking_exists");
  }
}

// What confirm and cancel need of a booking memory no longer holds: its row (cancelled or
// expired), so a compensation of an expired hold succeeds and a late confirm is refused.
std::optional<Booking> stored_unless_open(const Travel& travel, const std::string& id) {
  if (travel.inventory.booking(id)) return std::nullopt;
  return travel.stored_booking(id);
}

Task<FlightSearchResult> search_flights(Travel* travel, Context& ctx, FlightSearch in) {
  auto result = ctx.run("search", [&] {
    return FlightSearchResult{travel->inventory.search_flights(in.from, in.to, in.date)};
  });
  co_return result;
}

Task<HotelSearchResult> search_hotels(Travel* travel, Context& ctx, HotelSearch in) {
  auto result = ctx.run("search", [&] {
    auto found = travel->inventory.search_hotels(in.city, in.check_in, in.check_out);
    if (auto* error = std::get_if<Error>(&found)) throw TerminalError(std::move(*error));
    return HotelSearchResult{std::get<std::vector<HotelOffer>>(std::move(found))};
  });
  co_return result;
}

// A new hold may expire before anything the timer is armed for (T3: held -> expired).
Task<Booking> reserve_seats(Travel* travel, Context& ctx, SeatReservation in) {
  auto result = ctx.transact("reserve", [&](WriteSet& writes) {
    const std::int64_t now = ctx.clock_ms();
    FlightHoldRequest hold{in.reservation_id, trip_owner(in.trip_id), in.flight_id, in.passengers,
                           now + travel->options.hold_ttl_ms};
    refuse_used_id(*travel, in.reservation_id);
    Booking booking = booked(travel->inventory.hold_seats(hold, now, writes));
    travel->arm_expiry();
    return booking;
  });
  co_return result;
}

Task<Booking> reserve_rooms(Travel* travel, Context& ctx, RoomReservation in) {
  auto result = ctx.transact("reserve", [&](WriteSet& writes) {
    const std::int64_t now = ctx.clock_ms();
    HotelHoldRequest hold{
        in.reservation_id, trip_owner(in.trip_id),           in.hotel_id, in.check_in, in.check_out,
        in.guests,         now + travel->options.hold_ttl_ms};
    refuse_used_id(*travel, in.reservation_id);
    Booking booking = booked(travel->inventory.hold_rooms(hold, now, writes));
    travel->arm_expiry();
    return booking;
  });
  co_return result;
}

// A service confirms and cancels its own kind of booking only: FlightService never a hotel's.
std::optional<Booking> of_kind(const Travel& travel, const std::string& id, const char* kind) {
  std::optional<Booking> stored = stored_unless_open(travel, id);
  const Booking* booking = travel.inventory.booking(id);
  if (!booking && stored) booking = &*stored;
  if (booking && booking->kind != kind) {
    throw TerminalError(ErrorCode::kNotFound, std::string("no ") + kind + " booking " + id,
                        "booking_not_found");
  }
  return stored;
}

Task<Booking> confirm_booking(Travel* travel, const char* kind, Context& ctx, ReservationRef in) {
  auto result = ctx.transact("confirm", [&](WriteSet& writes) {
    return booked(travel->inventory.confirm(in.reservation_id, ctx.clock_ms(), writes,
                                            of_kind(*travel, in.reservation_id, kind)));
  });
  co_return result;
}

Task<Booking> cancel_booking(Travel* travel, const char* kind, Context& ctx, ReservationRef in) {
  auto result = ctx.transact("cancel", [&](WriteSet& writes) {
    return booked(travel->inventory.cancel(in.reservation_id, ctx.clock_ms(), writes,
                                           of_kind(*travel, in.reservation_id, kind)));
  });
  co_return result;
}

// Authorize, then capture, on the shared ledger as owner trip:<id> (P1-P3 of
// payments/payment_ledger.hpp). A decline is 402 payment_declined; no answer from the gateway
// is 503 payment_unavailable (the authorization may have been made: Refund voids it).
Task<TripCharged> charge(Travel* travel, Context& ctx, TripCharge in) {
  payments::PaymentDesk& desk = travel->payments;
  const std::string owner = trip_owner(in.trip_id);
  if (!desk.supports(in.method)) {
    throw TerminalError(ErrorCode::kInvalidArgument,
                        "payment method must be mock, mock_declined or mock_flaky",
                        "unsupported_payment_method");
  }
  payments::GatewayOperation authorization =
      desk.decide_authorization(ctx, owner, in.method, in.amount, in.currency);
  Future<payments::GatewayReply> authorizing =
      desk.send(ctx, "authorize", authorization, desk.authorize_policy());
  auto authorized = authorizing.settle();
  Result<payments::GatewayReply> reply = co_await authorized;
  if (!reply) throw TerminalError(payments::payment_unavailable(reply.error()));
  if (!reply->succeeded()) {
    throw TerminalError(ErrorCode::kPaymentRequired, "payment declined: " + reply->message,
                        "payment_declined");
  }
  payments::GatewayOperation capture = desk.decide_capture(ctx, owner);
  Future<payments::GatewayReply> capturing =
      desk.send(ctx, "capture", capture, desk.settle_policy());
  auto captured = capturing.settle();
  reply = co_await captured;
  if (!reply || !reply->succeeded()) {
    throw TerminalError(
        ErrorCode::kUpstreamFailed,
        "the payment could not be captured: " + (reply ? reply->message : reply.error().message),
        "payment_capture_failed");
  }
  co_return TripCharged{reply->reference, in.amount, in.currency, "captured"};
}

// Whatever the trip's payment still holds goes back: a void, or a refund of its capture. Keyed
// by the owner (refund/trip:<id>), so the gateway acts once however often this runs.
Task<TripRefunded> refund(Travel* travel, Context& ctx, TripRefund in) {
  payments::PaymentDesk& desk = travel->payments;
  const std::string owner = trip_owner(in.trip_id);
  desk.recall(owner);
  const bool known = ctx.run("known", [&] { return desk.ledger().payment(owner) != nullptr; });
  if (!known) co_return TripRefunded{"none", 0};
  Task<payments::Settled> settling = desk.settle(ctx, owner);
  payments::Settled settled = co_await std::move(settling);
  const std::int64_t amount = ctx.run("amount", [&] {
    const payments::Payment* p = desk.ledger().payment(owner);
    return p ? p->amount : std::int64_t{0};
  });
  const std::string status(payments::to_string(settled.status));
  co_return TripRefunded{status, status == "refunded" || status == "voided" ? amount : 0};
}

}  // namespace

void register_travel_services(Registry& registry, Travel& travel) {
  Travel* t = &travel;
  // Plain lambdas that hand travel to the coroutine by value (registry.hpp).
  registry.add<FlightSearch, FlightSearchResult>(
      "FlightService", "Search",
      [t](Context& ctx, FlightSearch r) { return search_flights(t, ctx, std::move(r)); });
  registry.add<SeatReservation, Booking>(
      "FlightService", "Reserve",
      [t](Context& ctx, SeatReservation r) { return reserve_seats(t, ctx, std::move(r)); });
  registry.add<ReservationRef, Booking>("FlightService", "Confirm",
                                        [t](Context& ctx, ReservationRef r) {
                                          return confirm_booking(t, "flight", ctx, std::move(r));
                                        });
  registry.add<ReservationRef, Booking>("FlightService", "Cancel",
                                        [t](Context& ctx, ReservationRef r) {
                                          return cancel_booking(t, "flight", ctx, std::move(r));
                                        });
  registry.add<HotelSearch, HotelSearchResult>(
      "HotelService", "Search",
      [t](Context& ctx, HotelSearch r) { return search_hotels(t, ctx, std::move(r)); });
  registry.add<RoomReservation, Booking>(
      "HotelService", "Reserve",
      [t](Context& ctx, RoomReservation r) { return reserve_rooms(t, ctx, std::move(r)); });
  registry.add<ReservationRef, Booking>("HotelService", "Confirm",
                                        [t](Context& ctx, ReservationRef r) {
                                          return confirm_booking(t, "hotel", ctx, std::move(r));
                                        });
  registry.add<ReservationRef, Booking>("HotelService", "Cancel",
                                        [t](Context& ctx, ReservationRef r) {
                                          return cancel_booking(t, "hotel", ctx, std::move(r));
                                        });
  registry.add<TripCharge, TripCharged>(
      "TripPaymentService", "Charge",
      [t](Context& ctx, TripCharge r) { return charge(t, ctx, std::move(r)); });
  registry.add<TripRefund, TripRefunded>(
      "TripPaymentService", "Refund",
      [t](Context& ctx, TripRefund r) { return refund(t, ctx, std::move(r)); });
  registry.expose("FlightService", "Search");
  registry.expose("HotelService", "Search");
}

}  // namespace orderd::travel
