#include "travel/trip.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "common/json_fields.hpp"
#include "travel/dates.hpp"
#include "travel/travel_catalog.hpp"

namespace orderd::travel {
namespace {

namespace bj = boost::json;

// Hard bounds of a request, whatever the flags say: the inventory applies the configured ones
// (--travel-max-party, --travel-max-nights) and fails the trip with its reason.
constexpr std::int64_t kMaxParty = 1000;

const bj::object& member(const bj::object& o, const char* field) {
  const bj::value* v = o.if_contains(field);
  if (!v || !v->is_object()) throw json::InvalidField(field, "must be an object");
  return v->get_object();
}

std::string date_field(const bj::object& o, const char* field, const char* name) {
  std::string text = json::require_string(o, field);
  if (!parse_date(text)) throw json::InvalidField(name, "must be a date YYYY-MM-DD");
  return text;
}

std::int64_t party(const bj::object& o, const char* field, const char* name) {
  const std::int64_t n = json::require_integer(o, field);
  if (n < 1 || n > kMaxParty)
    throw json::InvalidField(name, "must be between 1 and " + std::to_string(kMaxParty));
  return n;
}

void optional_member(bj::object& o, const char* field, const std::string& value) {
  if (!value.empty()) o[field] = value;
}

bj::value flight_view(const TripFlight& f) {
  return {{"reservationId", f.reservation_id},
          {"flightId", f.flight_id},
          {"flightNumber", f.flight_number},
          {"airline", f.airline},
          {"from", f.from},
          {"to", f.to},
          {"date", f.date},
          {"departs", f.departs},
          {"passengers", f.passengers},
          {"pricePerSeat", f.price_per_seat},
          {"amount", f.amount},
          {"status", f.status}};
}

TripFlight flight_of(const bj::object& o) {
  TripFlight f;
  f.reservation_id = json::require_string(o, "reservationId");
  f.flight_id = json::require_string(o, "flightId");
  f.flight_number = json::require_string(o, "flightNumber");
  f.airline = json::optional_string(o, "airline");
  f.from = json::require_string(o, "from");
  f.to = json::require_string(o, "to");
  f.date = json::require_string(o, "date");
  f.departs = json::optional_string(o, "departs");
  f.passengers = json::require_integer(o, "passengers");
  f.price_per_seat = json::require_integer(o, "pricePerSeat");
  f.amount = json::require_integer(o, "amount");
  f.status = json::require_string(o, "status");
  return f;
}

bj::value hotel_view(const TripHotel& h) {
  return {{"reservationId", h.reservation_id},
          {"hotelId", h.hotel_id},
          {"name", h.name},
          {"city", h.city},
          {"checkIn", h.check_in},
          {"checkOut", h.check_out},
          {"nights", h.nights},
          {"rooms", h.rooms},
          {"guests", h.guests},
          {"pricePerNight", h.price_per_night},
          {"amount", h.amount},
          {"status", h.status}};
}

TripHotel hotel_of(const bj::object& o) {
  TripHotel h;
  h.reservation_id = json::require_string(o, "reservationId");
  h.hotel_id = json::require_string(o, "hotelId");
  h.name = json::require_string(o, "name");
  h.city = json::require_string(o, "city");
  h.check_in = json::require_string(o, "checkIn");
  h.check_out = json::require_string(o, "checkOut");
  h.nights = json::require_integer(o, "nights");
  h.rooms = json::require_integer(o, "rooms");
  h.guests = json::require_integer(o, "guests");
  h.price_per_night = json::require_integer(o, "pricePerNight");
  h.amount = json::require_integer(o, "amount");
  h.status = json::require_string(o, "status");
  return h;
}

}  // namespace

void tag_invoke(bj::value_from_tag, bj::value& v, const TripRequest& r) {
  bj::object flight{{"from", r.flight.from},
                    {"to", r.flight.to},
                    {"date", r.flight.date},
                    {"passengers", r.flight.passengers}};
  optional_member(flight, "flightNumber", r.flight.flight_number);
  bj::object hotel{{"city", r.hotel.city},
                   {"checkIn", r.hotel.check_in},
                   {"checkOut", r.hotel.check_out},
                   {"guests", r.hotel.guests}};
  optional_member(hotel, "hotelId", r.hotel.hotel_id);
  v = {{"customerId", r.customer_id},
       {"customerEmail", r.customer_email},
       {"flight", std::move(flight)},
       {"hotel", std::move(hotel)},
       {"payment", {{"method", r.payment_method}}}};
}

TripRequest tag_invoke(bj::value_to_tag<TripRequest>, const bj::value& v) {
  const auto& o = json::as_object(v);
  TripRequest r;
  r.customer_id = json::require_string(o, "customerId");
  if (r.customer_id.empty() || r.customer_id.size() > 128)
    throw json::InvalidField("customerId", "must be 1 to 128 bytes");
  r.customer_email = json::require_string(o, "customerEmail");
  const auto at = r.customer_email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= r.customer_email.size() ||
      r.customer_email.size() > 254 ||
      r.customer_email.find_first_of(" \t\r\n<>") != std::string::npos)
    throw json::InvalidField("customerEmail", "must be an e-mail address");

  const auto& flight = member(o, "flight");
  auto airport = [&](const char* field) {
    std::string code = json::require_string(flight, field);
    if (!is_airport_code(code))
      throw json::InvalidField(std::string("flight.") + field, "must be 3 upper-case letters");
    return code;
  };
  r.flight.from = airport("from");
  r.flight.to = airport("to");
  r.flight.date = date_field(flight, "date", "flight.date");
  r.flight.passengers = party(flight, "passengers", "flight.passengers");
  r.flight.flight_number = json::optional_string(flight, "flightNumber");

  const auto& hotel = member(o, "hotel");
  r.hotel.city = json::require_string(hotel, "city");
  if (r.hotel.city.empty() || r.hotel.city.size() > 100)
    throw json::InvalidField("hotel.city", "must be 1 to 100 bytes");
  r.hotel.check_in = date_field(hotel, "checkIn", "hotel.checkIn");
  r.hotel.check_out = date_field(hotel, "checkOut", "hotel.checkOut");
  if (*parse_date(r.hotel.check_out) <= *parse_date(r.hotel.check_in))
    throw json::InvalidField("hotel.checkOut", "must be after hotel.checkIn");
  r.hotel.guests = party(hotel, "guests", "hotel.guests");
  r.hotel.hotel_id = json::optional_string(hotel, "hotelId");

  if (o.contains("payment")) {
    const auto& payment = member(o, "payment");
    r.payment_method = json::optional_string(payment, "method", "mock");
    if (r.payment_method != "mock" && r.payment_method != "mock_declined" &&
        r.payment_method != "mock_flaky")
      throw json::InvalidField("payment.method", "must be mock or mock_declined");
  }
  return r;
}

void tag_invoke(bj::value_from_tag, bj::value& v, const Trip& t) {
  bj::object o{{"tripId", t.trip_id},
               {"customerId", t.customer_id},
               {"customerEmail", t.customer_email},
               {"status", t.status},
               {"step", t.step},
               {"flight", t.flight ? flight_view(*t.flight) : bj::value(nullptr)},
               {"hotel", t.hotel ? hotel_view(*t.hotel) : bj::value(nullptr)}};
  if (t.payment) {
    o["payment"] = {{"transactionId", t.payment->transaction_id},
                    {"amount", t.payment->amount},
                    {"currency", t.payment->currency},
                    {"method", t.payment->method},
                    {"status", t.payment->status}};
  } else {
    o["payment"] = nullptr;
  }
  o["totalAmount"] = t.total_amount;
  o["currency"] = t.currency;
  if (!t.reason.empty()) {
    o["reason"] = t.reason;
    o["message"] = t.message;
  }
  bj::array compensations;
  for (const auto& c : t.compensations)
    compensations.push_back({{"action", c.action}, {"status", c.status}, {"detail", c.detail}});
  o["compensations"] = std::move(compensations);
  o["notifications"] = bj::value_from(t.notifications);
  o["errors"] = bj::value_from(t.errors);
  o["createdAtMs"] = t.created_at_ms;
  o["updatedAtMs"] = t.updated_at_ms;
  v = std::move(o);
}

Trip tag_invoke(bj::value_to_tag<Trip>, const bj::value& v) {
  const auto& o = json::as_object(v);
  Trip t;
  t.trip_id = json::require_string(o, "tripId");
  t.customer_id = json::require_string(o, "customerId");
  t.customer_email = json::optional_string(o, "customerEmail");
  t.status = json::require_string(o, "status");
  t.step = json::require_string(o, "step");
  if (const auto* f = o.if_contains("flight"); f && f->is_object())
    t.flight = flight_of(f->get_object());
  if (const auto* h = o.if_contains("hotel"); h && h->is_object())
    t.hotel = hotel_of(h->get_object());
  if (const auto* p = o.if_contains("payment"); p && p->is_object()) {
    const auto& po = p->get_object();
    t.payment =
        TripPayment{json::optional_string(po, "transactionId"), json::require_integer(po, "amount"),
                    json::require_string(po, "currency"), json::optional_string(po, "method"),
                    json::require_string(po, "status")};
  }
  t.total_amount = json::require_integer(o, "totalAmount");
  t.currency = json::require_string(o, "currency");
  t.reason = json::optional_string(o, "reason");
  t.message = json::optional_string(o, "message");
  if (const auto* cs = o.if_contains("compensations"); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) {
      const auto& co = json::as_object(c);
      t.compensations.push_back({json::require_string(co, "action"),
                                 json::require_string(co, "status"),
                                 json::optional_string(co, "detail")});
    }
  }
  if (const auto* n = o.if_contains("notifications"))
    t.notifications = bj::value_to<std::vector<std::string>>(*n);
  if (const auto* e = o.if_contains("errors"))
    t.errors = bj::value_to<std::vector<std::string>>(*e);
  t.created_at_ms = json::require_integer(o, "createdAtMs");
  t.updated_at_ms = json::require_integer(o, "updatedAtMs");
  return t;
}

}  // namespace orderd::travel
