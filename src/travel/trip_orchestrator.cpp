// TripOrchestrator: seed 003's workflow, keyed by trip id. BookTrip searches flights and hotels
// in parallel, reserves the cheapest that fit in parallel, charges, confirms both and notifies;
// any failure (or a CancelTrip while it runs) compensates in reverse: the money back, then the
// hotel, then the flight. Every step is a journaled call or run, so a replay after a crash
// redoes none of them (the choice of flight and hotel included).
//
// The trip record (trip.hpp) lives in the workflow's state ("trip"), saved at each step, and in
// three promises the handlers share:
//   cancel     CancelTrip's request: the first CancelTrip completes it; BookTrip peeks it
//              between steps, up to the charge's confirmation.
//   booked     BookTrip's final record (confirmed, failed or cancelled).
//   cancelled  the record after CancelTrip undid a confirmed trip; every other CancelTrip and
//              GetStatus read it (shared handlers cannot write the state).
// K1. A trip's payment is refunded at most once: the refund is keyed by the trip (refund/
//     trip:<id>), and only the CancelTrip that completed `cancel` undoes a confirmed trip.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/json_fields.hpp"
#include "engine/registry.hpp"
#include "notifications/notification.hpp"
#include "travel/travel.hpp"
#include "travel/travel_requests.hpp"
#include "travel/trip.hpp"

namespace orderd::travel {
namespace {

constexpr const char* kState = "trip";
constexpr const char* kCancelAsked = "cancel";
constexpr const char* kBooked = "booked";
constexpr const char* kCancelled = "cancelled";

struct CancelTripRequest {
  std::string reason;
};
CancelTripRequest tag_invoke(boost::json::value_to_tag<CancelTripRequest>,
                             const boost::json::value& v) {
  CancelTripRequest r;
  if (v.is_null()) return r;
  r.reason = json::optional_string(json::as_object(v), "reason");
  if (r.reason.size() > 500) throw json::InvalidField("reason", "must be at most 500 bytes");
  return r;
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const CancelTripRequest& r) {
  v = {{"reason", r.reason}};
}

struct NoInput {};
NoInput tag_invoke(boost::json::value_to_tag<NoInput>, const boost::json::value&) {
  return {};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const NoInput&) {
  v = boost::json::object();
}

[[noreturn]] void trip_not_found(const Context& ctx) {
  // The same answer the ingress gives a customer for another customer's trip.
  throw TerminalError(ErrorCode::kNotFound, "TripOrchestrator '" + ctx.key() + "' not found",
                      "workflow_not_found");
}

bool cancel_asked(Context& ctx) {
  try {
    return ctx.promise<std::string>(kCancelAsked).peek().has_value();
  } catch (const TerminalError&) {
    return true;  // rejected: asked all the same
  }
}

std::string booking_id(const char* prefix, const Context& ctx) {
  const std::string& id = ctx.invocation_id();
  return std::string(prefix) + ctx.key() + "." + id.substr(id.rfind('_') + 1);
}

TripFlight flight_of(const Booking& b, const Flight& f) {
  return {b.id,       b.flight_id,  b.flight_number, f.airline,
          f.from,     f.to,         f.date,          f.departs,
          b.quantity, b.unit_price, b.amount,        std::string(to_string(b.status))};
}

TripHotel hotel_of(const Booking& b, const Hotel& h) {
  return {b.id,
          b.hotel_id,
          b.hotel_name.empty() ? h.name : b.hotel_name,
          h.city,
          b.check_in,
          b.check_out,
          static_cast<std::int64_t>(b.nights.size()),
          b.quantity,
          b.guests,
          b.unit_price,
          b.amount,
          std::string(to_string(b.status))};
}

std::string money(std::int64_t minor, const std::string& currency) {
  const std::string cents = std::to_string(minor % 100 + 100).substr(1);
  return std::to_string(minor / 100) + "." + cents + " " + currency;
}

std::string count(std::int64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

void fail(Trip& trip, const std::string& reason, const std::string& message) {
  if (trip.reason.empty()) {
    trip.reason = reason;
    trip.message = message;
  }
  if (trip.status == "booking") trip.status = "failed";
}

void fail(Trip& trip, const Error& error) {
  fail(trip, std::string(error.reason_or_category()), error.message);
}

// The trip's record as it stands, in the workflow's state: GetStatus reads it.
void save(Context& ctx, Trip& trip, const char* step) {
  trip.step = step;
  ctx.set(kState, trip);
}

// Starts the next candidate's reservation: seats on flight `id`, or rooms in hotel `id`.
Future<Booking> reserve_flight(Context& ctx, const TripRequest& in, const std::string& id) {
  return ctx.call<Booking>(
      "FlightService", "Reserve",
      SeatReservation{booking_id("flt_", ctx), ctx.key(), id, in.flight.passengers});
}
Future<Booking> reserve_hotel(Context& ctx, const TripRequest& in, const std::string& id) {
  return ctx.call<Booking>("HotelService", "Reserve",
                           RoomReservation{booking_id("htl_", ctx), ctx.key(), id,
                                           in.hotel.check_in, in.hotel.check_out, in.hotel.guests});
}

// Another candidate is worth a try only when this one was short (someone took the last seats
// or rooms since the search).
bool short_of_units(const Result<Booking>& r) {
  return !r && (r.error().reason == "no_seats" || r.error().reason == "no_rooms");
}

// Cancels one booking (released if held, its units returned if confirmed) and records how.
Task<void> release(Context& ctx, const char* service, const char* action, std::string booking_id,
                   std::string& status, std::vector<TripCompensation>& compensations) {
  auto cancelling = ctx.call<Booking>(service, "Cancel", ReservationRef{booking_id});
  auto settle = cancelling.settle();
  Result<Booking> cancelled = co_await settle;
  if (cancelled) status = std::string(to_string(cancelled->status));
  compensations.push_back({action, cancelled ? "done" : "failed",
                           cancelled ? booking_id + " " + status : cancelled.error().message});
}

// Undoes what the trip holds, in reverse: the money back (a void or a refund), then the hotel,
// then the flight. Each undo is a call, recorded in the trip's compensations as it ran. Only
// BookTrip keeps the state (`saving`); CancelTrip, a shared handler, may not write it.
Task<void> compensate(Context& ctx, Trip& trip, bool charge_attempted, bool saving) {
  if (saving) save(ctx, trip, "compensating");
  if (charge_attempted) {
    auto refunding = ctx.call<TripRefunded>("TripPaymentService", "Refund", TripRefund{ctx.key()});
    auto settle = refunding.settle();
    Result<TripRefunded> refunded = co_await settle;
    if (!refunded) {
      trip.compensations.push_back({"refund_payment", "failed", refunded.error().message});
    } else if (refunded->status != "none" && refunded->status != "declined") {
      const bool done = refunded->status == "refunded" || refunded->status == "voided";
      trip.compensations.push_back(
          {"refund_payment", done ? "done" : "failed",
           refunded->status + " " + money(refunded->amount, trip.currency)});
      if (trip.payment) trip.payment->status = refunded->status;
    }
  }
  if (trip.hotel) {
    Task<void> releasing = release(ctx, "HotelService", "release_hotel", trip.hotel->reservation_id,
                                   trip.hotel->status, trip.compensations);
    co_await std::move(releasing);
  }
  if (trip.flight) {
    Task<void> releasing =
        release(ctx, "FlightService", "release_flight", trip.flight->reservation_id,
                trip.flight->status, trip.compensations);
    co_await std::move(releasing);
  }
}

// The customer hears how it ended. A mailbox that keeps failing never changes the trip: the
// failure is kept in `errors` (SendEmail's own invocation retries transient failures).
Task<void> notify(Context& ctx, Trip& trip) {
  notifications::SendEmail email;
  email.to = trip.customer_email;
  email.trip_id = trip.trip_id;
  email.customer = trip.customer_id;
  email.kind = "trip." + trip.status;
  if (trip.status == "confirmed") {
    email.subject = "Your trip " + trip.trip_id + " is confirmed";
    email.body = "Flight " + trip.flight->flight_number + " " + trip.flight->from + " to " +
                 trip.flight->to + " on " + trip.flight->date + " for " +
                 std::to_string(trip.flight->passengers) + "; " + trip.hotel->name + ", " +
                 trip.hotel->check_in + " to " + trip.hotel->check_out + " (" +
                 count(trip.hotel->nights, "night") + ", " + count(trip.hotel->rooms, "room") +
                 "). Charged " + money(trip.total_amount, trip.currency) + ".";
  } else {
    email.subject = "Your trip " + trip.trip_id + " is " + trip.status;
    email.body = "Nothing is held and nothing is charged. " + trip.message;
  }
  auto sending = ctx.call<notifications::Sent>("NotificationService", "SendEmail", email);
  auto settle = sending.settle();
  Result<notifications::Sent> sent = co_await settle;
  if (sent)
    trip.notifications.push_back(sent->notification_id);
  else
    trip.errors.push_back("notification_failed: " + sent.error().message);
}

// How a booking ends: compensated if it failed or was cancelled, the customer notified, and the
// record published to the other handlers.
Task<Trip> finish(Context& ctx, Trip trip, bool compensations_due, bool charge_attempted) {
  if (compensations_due) {
    Task<void> undoing = compensate(ctx, trip, charge_attempted, true);
    co_await std::move(undoing);
  }
  save(ctx, trip, "notifying");
  Task<void> notifying = notify(ctx, trip);
  co_await std::move(notifying);
  trip.updated_at_ms = ctx.run("finished_at", [&] { return ctx.clock_ms(); });
  save(ctx, trip, "done");
  ctx.promise<Trip>(kBooked).resolve(trip);
  co_return trip;
}

Task<Trip> book_trip(Travel* travel, Context& ctx, TripRequest in) {
  if (!valid_trip_id(ctx.key())) {
    throw TerminalError(ErrorCode::kInvalidArgument, "a trip id is 1 to 100 of [A-Za-z0-9_-]",
                        "invalid_trip_id");
  }
  Trip trip;
  trip.trip_id = ctx.key();
  trip.customer_id = in.customer_id;
  trip.customer_email = in.customer_email;
  trip.created_at_ms = trip.updated_at_ms = ctx.created_at_ms();
  save(ctx, trip, "searching");
  // The party within --travel-max-party, before anything is held (journaled: a replay under
  // other flags decides as the live run did).
  const std::string too_large = ctx.run("check_party", [&] {
    const std::int64_t max = travel->inventory.limits().max_party;
    if (in.flight.passengers > max || in.hotel.guests > max)
      return "a party is 1 to " + std::to_string(max) + " passengers and guests";
    return std::string();
  });
  if (!too_large.empty()) {
    fail(trip, "invalid_party", too_large);
    Task<Trip> ending = finish(ctx, trip, false, false);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }

  // Search both at once (the seed's futures).
  auto flights_searched = ctx.call<FlightSearchResult>(
      "FlightService", "Search", FlightSearch{in.flight.from, in.flight.to, in.flight.date});
  auto hotels_searched = ctx.call<HotelSearchResult>(
      "HotelService", "Search", HotelSearch{in.hotel.city, in.hotel.check_in, in.hotel.check_out});
  auto flights_settle = flights_searched.settle();
  Result<FlightSearchResult> flights = co_await flights_settle;
  auto hotels_settle = hotels_searched.settle();
  Result<HotelSearchResult> hotels = co_await hotels_settle;
  if (!flights) fail(trip, flights.error());
  if (!hotels) fail(trip, hotels.error());
  if (trip.status != "booking") {
    Task<Trip> ending = finish(ctx, trip, false, false);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }

  // The candidates, cheapest first: every one with room for the party when searched; or the
  // one the customer named, tried whatever the search said (its reservation decides).
  // Journaled: a replay tries the same ones.
  const std::vector<std::string> flight_ids = ctx.run("choose_flights", [&] {
    std::vector<std::string> ids;
    for (const auto& offer : flights->flights) {
      const bool named = !in.flight.flight_number.empty();
      if (named && offer.flight.flight_number != in.flight.flight_number) continue;
      if (named || offer.seats_available >= in.flight.passengers)
        ids.push_back(offer.flight.flight_id);
    }
    return ids;
  });
  const std::vector<std::string> hotel_ids = ctx.run("choose_hotels", [&] {
    std::vector<std::string> ids;
    for (const auto& offer : hotels->hotels) {
      const bool named = !in.hotel.hotel_id.empty();
      if (named && offer.hotel.hotel_id != in.hotel.hotel_id) continue;
      const std::int64_t rooms =
          TravelInventory::rooms_needed(in.hotel.guests, offer.hotel.room_capacity);
      if (named || offer.rooms_available >= rooms) ids.push_back(offer.hotel.hotel_id);
    }
    return ids;
  });
  if (flight_ids.empty()) {
    fail(trip, "no_seats",
         "no flight " + in.flight.from + " to " + in.flight.to + " on " + in.flight.date +
             (in.flight.flight_number.empty() ? "" : " numbered " + in.flight.flight_number) +
             " has " + std::to_string(in.flight.passengers) + " seats");
  } else if (hotel_ids.empty()) {
    fail(trip, "no_rooms",
         "no hotel in " + in.hotel.city +
             (in.hotel.hotel_id.empty() ? "" : " with id " + in.hotel.hotel_id) +
             " has rooms for " + std::to_string(in.hotel.guests) + " every night from " +
             in.hotel.check_in + " to " + in.hotel.check_out);
  } else if (cancel_asked(ctx)) {
    trip.status = "cancelled";
    fail(trip, "trip_cancelled", "the trip was cancelled while it was being booked");
  }
  if (trip.status != "booking") {
    Task<Trip> ending = finish(ctx, trip, false, false);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }

  auto find_flight = [&](const std::string& id) {
    for (const auto& o : flights->flights)
      if (o.flight.flight_id == id) return o.flight;
    return Flight{};
  };
  auto find_hotel = [&](const std::string& id) {
    for (const auto& o : hotels->hotels)
      if (o.hotel.hotel_id == id) return o.hotel;
    return Hotel{};
  };

  // Reserve both at once; a candidate someone emptied since the search passes to the next.
  save(ctx, trip, "reserving");
  Future<Booking> flight_reserving = reserve_flight(ctx, in, flight_ids[0]);
  Future<Booking> hotel_reserving = reserve_hotel(ctx, in, hotel_ids[0]);
  auto flight_settle = flight_reserving.settle();
  Result<Booking> flight = co_await flight_settle;
  for (std::size_t i = 1; i < flight_ids.size() && short_of_units(flight); ++i) {
    Future<Booking> next = reserve_flight(ctx, in, flight_ids[i]);
    auto next_settle = next.settle();
    flight = co_await next_settle;
  }
  auto hotel_settle = hotel_reserving.settle();
  Result<Booking> hotel = co_await hotel_settle;
  for (std::size_t i = 1; i < hotel_ids.size() && short_of_units(hotel); ++i) {
    Future<Booking> next = reserve_hotel(ctx, in, hotel_ids[i]);
    auto next_settle = next.settle();
    hotel = co_await next_settle;
  }
  if (flight) trip.flight = flight_of(*flight, find_flight(flight->flight_id));
  if (hotel) trip.hotel = hotel_of(*hotel, find_hotel(hotel->hotel_id));
  if (!flight) fail(trip, flight.error());
  if (!hotel) fail(trip, hotel.error());
  if (trip.status == "booking" && cancel_asked(ctx)) {
    trip.status = "cancelled";
    fail(trip, "trip_cancelled", "the trip was cancelled while it was being booked");
  }
  if (trip.status == "booking" && flight->currency != hotel->currency) {
    fail(trip, "currency_mismatch",
         "the flight is priced in " + flight->currency + ", the hotel in " + hotel->currency);
  }
  if (trip.status != "booking") {
    Task<Trip> ending = finish(ctx, trip, true, false);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }

  // Charge the customer for both.
  trip.currency = flight->currency;
  if (__builtin_add_overflow(flight->amount, hotel->amount, &trip.total_amount)) {
    fail(trip, "amount_too_large", "the trip's total overflows");
    Task<Trip> ending = finish(ctx, trip, true, false);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }
  save(ctx, trip, "charging");
  auto charging = ctx.call<TripCharged>(
      "TripPaymentService", "Charge",
      TripCharge{trip.trip_id, trip.total_amount, trip.currency, in.payment_method});
  auto charge_settle = charging.settle();
  Result<TripCharged> charged = co_await charge_settle;
  if (!charged) {
    trip.payment =
        TripPayment{"", trip.total_amount, trip.currency, in.payment_method,
                    charged.error().reason == "payment_declined" ? "declined" : "failed"};
    fail(trip, charged.error());
    Task<Trip> ending = finish(ctx, trip, true, true);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }
  trip.payment = TripPayment{charged->transaction_id, charged->amount, charged->currency,
                             in.payment_method, charged->status};
  if (cancel_asked(ctx)) {
    trip.status = "cancelled";
    fail(trip, "trip_cancelled", "the trip was cancelled while it was being booked");
    Task<Trip> ending = finish(ctx, trip, true, true);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }

  // Confirm both at once. A hold that expired meanwhile fails the trip, which gives all back.
  save(ctx, trip, "confirming");
  auto flight_confirming =
      ctx.call<Booking>("FlightService", "Confirm", ReservationRef{trip.flight->reservation_id});
  auto hotel_confirming =
      ctx.call<Booking>("HotelService", "Confirm", ReservationRef{trip.hotel->reservation_id});
  auto flight_confirm_settle = flight_confirming.settle();
  Result<Booking> flight_confirmed = co_await flight_confirm_settle;
  auto hotel_confirm_settle = hotel_confirming.settle();
  Result<Booking> hotel_confirmed = co_await hotel_confirm_settle;
  if (flight_confirmed) trip.flight->status = std::string(to_string(flight_confirmed->status));
  if (hotel_confirmed) trip.hotel->status = std::string(to_string(hotel_confirmed->status));
  if (!flight_confirmed) fail(trip, flight_confirmed.error());
  if (!hotel_confirmed) fail(trip, hotel_confirmed.error());
  if (trip.status != "booking") {
    Task<Trip> ending = finish(ctx, trip, true, true);
    Trip ended = co_await std::move(ending);
    co_return ended;
  }
  trip.status = "confirmed";
  Task<Trip> ending = finish(ctx, trip, false, false);
  Trip ended = co_await std::move(ending);
  co_return ended;
}

// What the trip is doing now: its record as BookTrip last saved it, or as it ended, or as
// CancelTrip left it.
Task<Trip> get_status(Context& ctx, NoInput) {
  if (auto cancelled = ctx.promise<Trip>(kCancelled).peek()) co_return *cancelled;
  std::optional<Trip> trip = ctx.promise<Trip>(kBooked).peek();
  if (!trip) trip = ctx.get<Trip>(kState);
  if (!trip) trip_not_found(ctx);
  if (trip->status == "confirmed" && cancel_asked(ctx)) trip->step = "cancelling";
  co_return *trip;
}

// Cancels the trip: during BookTrip, BookTrip compensates; after a confirmation, this cancels
// both bookings, refunds and notifies. Only the first CancelTrip acts (K1); every other one
// answers what it did.
Task<Trip> cancel_trip(Context& ctx, CancelTripRequest in) {
  if (!ctx.get<Trip>(kState)) trip_not_found(ctx);
  bool first = true;
  try {
    ctx.promise<std::string>(kCancelAsked)
        .resolve(in.reason.empty() ? std::string("cancelled on request") : in.reason);
  } catch (const TerminalError& e) {
    if (e.category() != ErrorCode::kConflict) throw;
    first = false;
  }
  if (!first) {
    Future<Trip> done = ctx.promise<Trip>(kCancelled).get();
    Trip trip = co_await done;
    co_return trip;
  }
  Future<Trip> booking = ctx.promise<Trip>(kBooked).get();
  Trip trip = co_await booking;
  if (trip.status == "confirmed") {
    trip.status = "cancelled";
    trip.reason = "trip_cancelled";
    trip.message = in.reason.empty() ? "cancelled on request" : in.reason;
    Task<void> undoing = compensate(ctx, trip, true, false);
    co_await std::move(undoing);
    Task<void> notifying = notify(ctx, trip);
    co_await std::move(notifying);
    trip.updated_at_ms = ctx.run("cancelled_at", [&] { return ctx.clock_ms(); });
    trip.step = "done";
  }
  ctx.promise<Trip>(kCancelled).resolve(trip);
  co_return trip;
}

}  // namespace

void register_trip_orchestrator(Registry& registry, Travel& travel) {
  Travel* t = &travel;
  registry.add<TripRequest, Trip>(
      "TripOrchestrator", "BookTrip",
      [t](Context& ctx, TripRequest r) { return book_trip(t, ctx, std::move(r)); },
      HandlerEntry::Kind::kWorkflowRun);
  registry.add<NoInput, Trip>("TripOrchestrator", "GetStatus", &get_status,
                              HandlerEntry::Kind::kWorkflowShared);
  registry.add<CancelTripRequest, Trip>("TripOrchestrator", "CancelTrip", &cancel_trip,
                                        HandlerEntry::Kind::kWorkflowShared);
  for (const char* handler : {"BookTrip", "GetStatus", "CancelTrip"})
    registry.expose("TripOrchestrator", handler);
  // The same body again attaches to the booking; another body is 409.
  registry.attach_same_input("TripOrchestrator");
  // With authentication on, a customer books as itself and sees only its own trips.
  registry.confine_workflow("TripOrchestrator", "customerId");
}

}  // namespace orderd::travel
