#include "travel/travel_requests.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "common/json_fields.hpp"
#include "travel/dates.hpp"

namespace orderd::travel {
namespace {

namespace bj = boost::json;

std::string airport(const bj::object& o, const char* field) {
  std::string code = json::require_string(o, field);
  if (!is_airport_code(code))
    throw json::InvalidField(field, "must be an airport code: 3 upper-case letters");
  return code;
}

std::string date(const bj::object& o, const char* field) {
  std::string text = json::require_string(o, field);
  if (!parse_date(text)) throw json::InvalidField(field, "must be a date YYYY-MM-DD");
  return text;
}

std::string identifier(const bj::object& o, const char* field, std::size_t max = 128) {
  std::string text = json::require_string(o, field);
  bool ok = !text.empty() && text.size() <= max;
  for (char c : text)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  if (!ok) {
    throw json::InvalidField(
        field, "must be 1 to " + std::to_string(max) + " of letters, digits, '-', '_', '.'");
  }
  return text;
}

std::int64_t positive(const bj::object& o, const char* field) {
  const std::int64_t n = json::require_integer(o, field);
  if (n < 1) throw json::InvalidField(field, "must be a positive integer");
  return n;
}

std::string trip_id(const bj::object& o) {
  std::string id = json::require_string(o, "tripId");
  if (!valid_trip_id(id)) throw json::InvalidField("tripId", "must be 1 to 100 of [A-Za-z0-9_-]");
  return id;
}

}  // namespace

std::string trip_owner(const std::string& trip_id) {
  return "trip:" + trip_id;
}

bool valid_trip_id(const std::string& trip_id) {
  if (trip_id.empty() || trip_id.size() > 100) return false;
  for (char c : trip_id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

void tag_invoke(bj::value_from_tag, bj::value& v, const FlightOffer& f) {
  v = {{"flightId", f.flight.flight_id},
       {"flightNumber", f.flight.flight_number},
       {"airline", f.flight.airline},
       {"from", f.flight.from},
       {"to", f.flight.to},
       {"date", f.flight.date},
       {"departs", f.flight.departs},
       {"price", f.flight.price},
       {"currency", f.flight.currency},
       {"seatsAvailable", f.seats_available}};
}

FlightOffer tag_invoke(bj::value_to_tag<FlightOffer>, const bj::value& v) {
  const auto& o = json::as_object(v);
  FlightOffer f;
  f.flight.flight_id = json::require_string(o, "flightId");
  f.flight.flight_number = json::require_string(o, "flightNumber");
  f.flight.airline = json::optional_string(o, "airline");
  f.flight.from = json::require_string(o, "from");
  f.flight.to = json::require_string(o, "to");
  f.flight.date = json::require_string(o, "date");
  f.flight.departs = json::optional_string(o, "departs");
  f.flight.price = json::require_integer(o, "price");
  f.flight.currency = json::optional_string(o, "currency", "USD");
  f.seats_available = json::require_integer(o, "seatsAvailable");
  return f;
}

void tag_invoke(bj::value_from_tag, bj::value& v, const HotelOffer& h) {
  v = {{"hotelId", h.hotel.hotel_id},
       {"name", h.hotel.name},
       {"city", h.hotel.city},
       {"pricePerNight", h.hotel.price_per_night},
       {"currency", h.hotel.currency},
       {"roomCapacity", h.hotel.room_capacity},
       {"roomsAvailable", h.rooms_available}};
}

HotelOffer tag_invoke(bj::value_to_tag<HotelOffer>, const bj::value& v) {
  const auto& o = json::as_object(v);
  HotelOffer h;
  h.hotel.hotel_id = json::require_string(o, "hotelId");
  h.hotel.name = json::require_string(o, "name");
  h.hotel.city = json::require_string(o, "city");
  h.hotel.price_per_night = json::require_integer(o, "pricePerNight");
  h.hotel.currency = json::optional_string(o, "currency", "USD");
  h.hotel.room_capacity = json::require_integer(o, "roomCapacity");
  h.rooms_available = json::require_integer(o, "roomsAvailable");
  return h;
}

void tag_invoke(bj::value_from_tag, bj::value& v, const FlightSearch& r) {
  v = {{"from", r.from}, {"to", r.to}, {"date", r.date}};
}

FlightSearch tag_invoke(bj::value_to_tag<FlightSearch>, const bj::value& v) {
  const auto& o = json::as_object(v);
  return {airport(o, "from"), airport(o, "to"), date(o, "date")};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const FlightSearchResult& r) {
  v = {{"flights", bj::value_from(r.flights)}};
}

FlightSearchResult tag_invoke(bj::value_to_tag<FlightSearchResult>, const bj::value& v) {
  return {bj::value_to<std::vector<FlightOffer>>(json::as_object(v).at("flights"))};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const HotelSearch& r) {
  v = {{"city", r.city}, {"checkIn", r.check_in}, {"checkOut", r.check_out}};
}

HotelSearch tag_invoke(bj::value_to_tag<HotelSearch>, const bj::value& v) {
  const auto& o = json::as_object(v);
  HotelSearch r{json::require_string(o, "city"), date(o, "checkIn"), date(o, "checkOut")};
  if (r.city.empty() || r.city.size() > 100)
    throw json::InvalidField("city", "must be 1 to 100 bytes");
  if (*parse_date(r.check_out) <= *parse_date(r.check_in))
    throw json::InvalidField("checkOut", "must be after checkIn");
  return r;
}

void tag_invoke(bj::value_from_tag, bj::value& v, const HotelSearchResult& r) {
  v = {{"hotels", bj::value_from(r.hotels)}};
}

HotelSearchResult tag_invoke(bj::value_to_tag<HotelSearchResult>, const bj::value& v) {
  return {bj::value_to<std::vector<HotelOffer>>(json::as_object(v).at("hotels"))};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const SeatReservation& r) {
  v = {{"reservationId", r.reservation_id},
       {"tripId", r.trip_id},
       {"flightId", r.flight_id},
       {"passengers", r.passengers}};
}

SeatReservation tag_invoke(bj::value_to_tag<SeatReservation>, const bj::value& v) {
  const auto& o = json::as_object(v);
  return {identifier(o, "reservationId"), trip_id(o), identifier(o, "flightId"),
          positive(o, "passengers")};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const RoomReservation& r) {
  v = {{"reservationId", r.reservation_id},
       {"tripId", r.trip_id},
       {"hotelId", r.hotel_id},
       {"checkIn", r.check_in},
       {"checkOut", r.check_out},
       {"guests", r.guests}};
}

RoomReservation tag_invoke(bj::value_to_tag<RoomReservation>, const bj::value& v) {
  const auto& o = json::as_object(v);
  return {identifier(o, "reservationId"),
          trip_id(o),
          identifier(o, "hotelId"),
          date(o, "checkIn"),
          date(o, "checkOut"),
          positive(o, "guests")};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const ReservationRef& r) {
  v = {{"reservationId", r.reservation_id}};
}

ReservationRef tag_invoke(bj::value_to_tag<ReservationRef>, const bj::value& v) {
  return {identifier(json::as_object(v), "reservationId")};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const TripCharge& r) {
  v = {{"tripId", r.trip_id}, {"amount", r.amount}, {"currency", r.currency}, {"method", r.method}};
}

TripCharge tag_invoke(bj::value_to_tag<TripCharge>, const bj::value& v) {
  const auto& o = json::as_object(v);
  TripCharge r{trip_id(o), positive(o, "amount"), json::require_string(o, "currency"),
               json::optional_string(o, "method", "mock")};
  if (r.currency.size() != 3) throw json::InvalidField("currency", "must be a 3-letter code");
  return r;
}

void tag_invoke(bj::value_from_tag, bj::value& v, const TripCharged& r) {
  v = {{"transactionId", r.transaction_id},
       {"amount", r.amount},
       {"currency", r.currency},
       {"status", r.status}};
}

TripCharged tag_invoke(bj::value_to_tag<TripCharged>, const bj::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "transactionId"), json::require_integer(o, "amount"),
          json::require_string(o, "currency"), json::require_string(o, "status")};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const TripRefund& r) {
  v = {{"tripId", r.trip_id}};
}

TripRefund tag_invoke(bj::value_to_tag<TripRefund>, const bj::value& v) {
  return {trip_id(json::as_object(v))};
}

void tag_invoke(bj::value_from_tag, bj::value& v, const TripRefunded& r) {
  v = {{"status", r.status}, {"amount", r.amount}};
}

TripRefunded tag_invoke(bj::value_to_tag<TripRefunded>, const bj::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "status"), json::require_integer(o, "amount")};
}

}  // namespace orderd::travel
