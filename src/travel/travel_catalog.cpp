#include "travel/travel_catalog.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <set>
#include <stdexcept>
#include <system_error>

#include "common/json_fields.hpp"
#include "travel/dates.hpp"

namespace orderd::travel {
namespace {

bool all_of(std::string_view text, bool (*ok)(char)) {
  for (char c : text)
    if (!ok(c)) return false;
  return true;
}
bool upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool upper_or_digit(char c) {
  return upper(c) || digit(c);
}
bool slug(char c) {
  return (c >= 'a' && c <= 'z') || digit(c) || c == '-';
}

bool currency_code(std::string_view code) {
  return code.size() == 3 && all_of(code, upper);
}

bool clock_time(std::string_view text) {
  if (text.size() != 5 || text[2] != ':' || !digit(text[0]) || !digit(text[1]) || !digit(text[3]) ||
      !digit(text[4]))
    return false;
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  return hours < 24 && minutes < 60;
}

}  // namespace

bool is_airport_code(std::string_view code) {
  return code.size() == 3 && all_of(code, upper);
}

std::optional<std::string> flight_problem(const Flight& f) {
  if (f.flight_number.size() < 2 || f.flight_number.size() > 8 ||
      !all_of(f.flight_number, upper_or_digit))
    return "flightNumber must be 2 to 8 upper-case letters or digits";
  if (!parse_date(f.date)) return "date must be a valid YYYY-MM-DD";
  if (f.flight_id != f.flight_number + "-" + f.date)
    return "flightId must be '" + f.flight_number + "-" + f.date + "'";
  if (f.airline.empty()) return "airline must not be empty";
  if (!is_airport_code(f.from)) return "from must be an IATA code (3 upper-case letters)";
  if (!is_airport_code(f.to)) return "to must be an IATA code (3 upper-case letters)";
  if (f.from == f.to) return "to must differ from from";
  if (!clock_time(f.departs)) return "departs must be HH:MM";
  if (f.price < 0) return "price must be at least 0";
  if (!currency_code(f.currency)) return "currency must be 3 upper-case letters";
  if (f.seats < 0) return "seats must be at least 0";
  return std::nullopt;
}

std::optional<std::string> hotel_problem(const Hotel& h) {
  if (h.hotel_id.empty() || h.hotel_id.size() > 64 || !all_of(h.hotel_id, slug))
    return "hotelId must be 1 to 64 of [a-z0-9-]";
  if (h.name.empty()) return "name must not be empty";
  if (h.city.empty()) return "city must not be empty";
  if (h.price_per_night < 0) return "pricePerNight must be at least 0";
  if (!currency_code(h.currency)) return "currency must be 3 upper-case letters";
  if (h.rooms < 0) return "rooms must be at least 0";
  if (h.room_capacity < 1) return "roomCapacity must be at least 1";
  return std::nullopt;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Flight& f) {
  v = {{"flightId", f.flight_id},
       {"flightNumber", f.flight_number},
       {"airline", f.airline},
       {"from", f.from},
       {"to", f.to},
       {"date", f.date},
       {"departs", f.departs},
       {"price", f.price},
       {"currency", f.currency},
       {"seats", f.seats}};
}

Flight tag_invoke(boost::json::value_to_tag<Flight>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Flight f;
  f.flight_number = json::require_string(o, "flightNumber");
  f.date = json::require_string(o, "date");
  // A file may leave the id out: it can only be "<flightNumber>-<date>".
  f.flight_id = json::optional_string(o, "flightId", f.flight_number + "-" + f.date);
  f.airline = json::require_string(o, "airline");
  f.from = json::require_string(o, "from");
  f.to = json::require_string(o, "to");
  f.departs = json::require_string(o, "departs");
  f.price = json::require_integer(o, "price");
  f.currency = json::optional_string(o, "currency", "USD");
  f.seats = json::require_integer(o, "seats");
  return f;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Hotel& h) {
  v = {{"hotelId", h.hotel_id},
       {"name", h.name},
       {"city", h.city},
       {"pricePerNight", h.price_per_night},
       {"currency", h.currency},
       {"rooms", h.rooms},
       {"roomCapacity", h.room_capacity}};
}

Hotel tag_invoke(boost::json::value_to_tag<Hotel>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Hotel h;
  h.hotel_id = json::require_string(o, "hotelId");
  h.name = json::require_string(o, "name");
  h.city = json::require_string(o, "city");
  h.price_per_night = json::require_integer(o, "pricePerNight");
  h.currency = json::optional_string(o, "currency", "USD");
  h.rooms = json::require_integer(o, "rooms");
  h.room_capacity = o.contains("roomCapacity") ? json::require_integer(o, "roomCapacity") : 2;
  return h;
}

TravelCatalogSpec demo_travel_catalog() {
  TravelCatalogSpec spec;
  auto add = [&](std::string number, std::string airline, std::string from, std::string to,
                 std::string date, std::string departs, std::int64_t price, std::int64_t seats) {
    spec.flights.push_back({number + "-" + date, number, std::move(airline), std::move(from),
                            std::move(to), date, std::move(departs), price, "USD", seats});
  };
  // SFO->JFK, four a day around the seed's 2024-12-15, dearer towards the weekend. On the 15th
  // the cheapest (B6400) has 3 seats left: a party of 4 must take the next one.
  for (int day = 13; day <= 17; ++day) {
    const std::string date = "2024-12-" + std::to_string(day);
    const std::int64_t step = (day - 13) * 1000;
    add("UA100", "United", "SFO", "JFK", date, "08:00", 34900 + step, 150);
    add("AA200", "American", "SFO", "JFK", date, "10:30", 29900 + step, 120);
    add("DL300", "Delta", "SFO", "JFK", date, "13:15", 41900 + step, 180);
    add("B6400", "JetBlue", "SFO", "JFK", date, "17:45", 25900 + step, day == 15 ? 3 : 60);
    add("UA500", "United", "SFO", "LAX", date, "07:10", 12900 + step, 90);
    add("AS600", "Alaska", "LAX", "SEA", date, "09:40", 15900 + step, 80);
    add("AA700", "American", "BOS", "ORD", date, "06:55", 18900 + step, 100);
  }
  // The way back, through the week after.
  for (int day = 15; day <= 20; ++day) {
    const std::string date = "2024-12-" + std::to_string(day);
    add("UA101", "United", "JFK", "SFO", date, "09:00", 36900, 150);
    add("B6401", "JetBlue", "JFK", "SFO", date, "19:20", 27900, 60);
  }
  spec.hotels = {
      {"hilton-nyc", "Hilton Midtown", "New York", 28900, "USD", 20, 2},
      {"pod-times-square", "Pod Times Square", "New York", 14900, "USD", 30, 2},
      {"plaza-nyc", "The Plaza", "New York", 69900, "USD", 10, 2},
      {"hyatt-sf", "Hyatt Regency San Francisco", "San Francisco", 25900, "USD", 25, 2},
      {"ace-la", "Ace Hotel Downtown LA", "Los Angeles", 21900, "USD", 20, 2},
      {"fairmont-sea", "Fairmont Olympic", "Seattle", 27900, "USD", 15, 2},
      {"palmer-chi", "Palmer House", "Chicago", 19900, "USD", 30, 2},
  };
  return spec;
}

TravelCatalogSpec parse_travel_catalog(std::string_view json_text) {
  boost::json::value root;
  try {
    root = boost::json::parse(json_text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("travel catalog: not JSON: ") + e.what());
  }
  if (!root.is_object()) throw std::invalid_argument("travel catalog: must be a JSON object");
  const auto& top = root.get_object();
  TravelCatalogSpec spec;
  auto entries = [&](const char* field) -> const boost::json::array* {
    auto it = top.find(field);
    if (it == top.end()) return nullptr;
    if (!it->value().is_array())
      throw std::invalid_argument(std::string("travel catalog: ") + field + " must be an array");
    return &it->value().get_array();
  };
  std::set<std::string> ids;
  if (const auto* flights = entries("flights")) {
    for (std::size_t i = 0; i < flights->size(); ++i) {
      const std::string where = "travel catalog: flights[" + std::to_string(i) + "]";
      Flight f;
      try {
        f = boost::json::value_to<Flight>((*flights)[i]);
      } catch (const json::InvalidField& e) {
        throw std::invalid_argument(where + ": " + e.what());
      }
      if (auto problem = flight_problem(f)) throw std::invalid_argument(where + ": " + *problem);
      if (!ids.insert(f.flight_id).second)
        throw std::invalid_argument(where + ": duplicate flightId '" + f.flight_id + "'");
      spec.flights.push_back(std::move(f));
    }
  }
  ids.clear();
  if (const auto* hotels = entries("hotels")) {
    for (std::size_t i = 0; i < hotels->size(); ++i) {
      const std::string where = "travel catalog: hotels[" + std::to_string(i) + "]";
      Hotel h;
      try {
        h = boost::json::value_to<Hotel>((*hotels)[i]);
      } catch (const json::InvalidField& e) {
        throw std::invalid_argument(where + ": " + e.what());
      }
      if (auto problem = hotel_problem(h)) throw std::invalid_argument(where + ": " + *problem);
      if (!ids.insert(h.hotel_id).second)
        throw std::invalid_argument(where + ": duplicate hotelId '" + h.hotel_id + "'");
      spec.hotels.push_back(std::move(h));
    }
  }
  return spec;
}

}  // namespace orderd::travel
