#pragma once
// What can be booked: flights (a number on a date, its seats) and hotels (rooms in a city, a
// price per night). A fresh store starts with the demo catalog, a catalog file, or nothing
// (--travel-catalog demo|none|FILE, independent of the shop's --catalog). A file reads:
//   {"flights": [{"flightId": "UA100-2024-12-15", "flightNumber": "UA100", "airline": "United",
//                 "from": "SFO", "to": "JFK", "date": "2024-12-15", "departs": "08:00",
//                 "price": 34900, "currency": "USD", "seats": 50}, ...],
//    "hotels":  [{"hotelId": "hilton-nyc", "name": "Hilton Midtown", "city": "New York",
//                 "pricePerNight": 28900, "currency": "USD", "rooms": 20,
//                 "roomCapacity": 2}, ...]}
// Prices are integer minor units. Dates are YYYY-MM-DD (travel/dates.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

namespace orderd::travel {

struct Flight {
  std::string flight_id;      // unique: "<flightNumber>-<date>"
  std::string flight_number;  // "UA100"
  std::string airline;
  std::string from;  // IATA code, 3 upper-case letters
  std::string to;
  std::string date;        // YYYY-MM-DD
  std::string departs;     // HH:MM, local
  std::int64_t price = 0;  // per seat, minor units, >= 0
  std::string currency = "USD";
  std::int64_t seats = 0;  // the aircraft's seats for sale, >= 0
  bool operator==(const Flight&) const = default;
};

struct Hotel {
  std::string hotel_id;  // unique, [a-z0-9-]
  std::string name;
  std::string city;
  std::int64_t price_per_night = 0;  // per room, minor units, >= 0
  std::string currency = "USD";
  std::int64_t rooms = 0;          // rooms for sale every night, >= 0
  std::int64_t room_capacity = 2;  // guests per room, >= 1
  bool operator==(const Hotel&) const = default;
};

struct TravelCatalogSpec {
  std::vector<Flight> flights;
  std::vector<Hotel> hotels;
};

// What is wrong with a flight or a hotel, naming the field ("seats must be at least 0"); nullopt
// when it is valid. A flight: flightId is "<flightNumber>-<date>", flightNumber 2-8 of [A-Z0-9],
// airline non-empty, from and to distinct IATA codes, date valid, departs HH:MM, price >= 0,
// currency 3 upper-case letters, seats >= 0. A hotel: hotelId 1-64 of [a-z0-9-], name and city
// non-empty, pricePerNight >= 0, currency, rooms >= 0, roomCapacity >= 1. The catalog's parse
// and TravelInventory::add_flight / add_hotel both ask these.
std::optional<std::string> flight_problem(const Flight& flight);
std::optional<std::string> hotel_problem(const Hotel& hotel);

// SFO->JFK with several flights and prices on each day 2024-12-13..2024-12-17 (one of them
// nearly sold out), a few more routes (JFK->SFO, SFO->LAX, LAX->SEA, BOS->ORD), and hotels in
// New York, San Francisco, Los Angeles, Seattle and Chicago; all in USD.
TravelCatalogSpec demo_travel_catalog();
// An IATA airport code: 3 upper-case letters. The one check the catalog and every request make.
bool is_airport_code(std::string_view code);
// Throws std::invalid_argument naming what is wrong (a field, a duplicate id, a bad date).
TravelCatalogSpec parse_travel_catalog(std::string_view json_text);

// The catalog rows' JSON, with the field names above.
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Flight& f);
Flight tag_invoke(boost::json::value_to_tag<Flight>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Hotel& h);
Hotel tag_invoke(boost::json::value_to_tag<Hotel>, const boost::json::value& v);

}  // namespace orderd::travel
