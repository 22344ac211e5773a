// Travel's pure domain: dates, the catalog and its file, and seats and room-nights over the
// shared inventory (T1-T5, travel_inventory.hpp), attacked directly: a random walk of holds,
// confirms, cancels and expiries against a counter model, all-or-nothing stays, once-only
// returns, expiry order and batches, and a reload from the rows written.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <limits>
#include <map>
#include <random>

#include "travel/dates.hpp"
#include "travel/travel_catalog.hpp"
#include "travel/travel_inventory.hpp"

namespace orderd::travel {
namespace {

// ---- Dates

TEST(TravelDates, ParsesRealDatesOnlyWithLeapYears) {
  EXPECT_EQ(parse_date("1970-01-01"), 0);
  EXPECT_EQ(parse_date("1970-01-02"), 1);
  EXPECT_EQ(parse_date("2024-12-15"), 20072);
  EXPECT_TRUE(parse_date("2024-02-29"));   // divisible by 4
  EXPECT_FALSE(parse_date("2023-02-29"));  // not
  EXPECT_FALSE(parse_date("1900-02-29"));  // a century is not (and before 1970 anyway)
  EXPECT_FALSE(parse_date("2100-02-29"));  // a century is not
  EXPECT_TRUE(parse_date("2000-02-29"));   // unless divisible by 400
  EXPECT_FALSE(parse_date("2024-02-30"));
  EXPECT_FALSE(parse_date("2024-04-31"));
  EXPECT_TRUE(parse_date("2024-12-31"));
  EXPECT_TRUE(parse_date("9999-12-31"));
  for (const char* bad :
       {"", "2024-1-05", "2024-01-5", "2024/01/05", "2024-13-01", "2024-00-10", "2024-01-00",
        "1969-12-31", "+024-01-01", "2024-01-05 ", "20240105", "2024-01-0a"})
    EXPECT_FALSE(parse_date(bad)) << bad;
}

TEST(TravelDates, FormatIsParsesInverseOverCenturies) {
  for (std::int64_t day = 0; day < 50'000; day += 7) {
    const std::string text = format_date(day);
    ASSERT_EQ(parse_date(text), day) << text;
  }
  EXPECT_EQ(format_date(*parse_date("2024-02-29") + 1), "2024-03-01");
  EXPECT_EQ(format_date(*parse_date("2023-02-28") + 1), "2023-03-01");
}

TEST(TravelDates, StayNightsAreTheHalfOpenRangeWithinTheLimit) {
  EXPECT_EQ(*stay_nights("2024-12-30", "2025-01-02", 30),
            (std::vector<std::string>{"2024-12-30", "2024-12-31", "2025-01-01"}));
  EXPECT_EQ(*stay_nights("2024-02-28", "2024-03-01", 30),
            (std::vector<std::string>{"2024-02-28", "2024-02-29"}));
  EXPECT_FALSE(stay_nights("2024-12-15", "2024-12-15", 30));  // checkOut == checkIn
  EXPECT_FALSE(stay_nights("2024-12-16", "2024-12-15", 30));  // backwards
  EXPECT_FALSE(stay_nights("2024-02-30", "2024-03-02", 30));
  EXPECT_FALSE(stay_nights("2024-12-15", "", 30));
  EXPECT_EQ(stay_nights("2024-12-01", "2024-12-31", 30)->size(), 30u);  // exactly the limit
  EXPECT_FALSE(stay_nights("2024-12-01", "2025-01-01", 30));            // one past it
}

// ---- The catalog

std::string catalog_json(const TravelCatalogSpec& spec) {
  return boost::json::serialize(
      boost::json::object{{"flights", boost::json::value_from(spec.flights)},
                          {"hotels", boost::json::value_from(spec.hotels)}});
}

TEST(TravelCatalog, TheDemoIsValidAndSurvivesItsFile) {
  const TravelCatalogSpec demo = demo_travel_catalog();
  const TravelCatalogSpec parsed = parse_travel_catalog(catalog_json(demo));
  EXPECT_EQ(parsed.flights, demo.flights);
  EXPECT_EQ(parsed.hotels, demo.hotels);
  // The seed's route and the stories the demo must tell.
  for (int day = 13; day <= 17; ++day) {
    const std::string date = "2024-12-" + std::to_string(day);
    std::set<std::int64_t> prices;
    std::set<std::string> airlines;
    for (const auto& f : demo.flights)
      if (f.from == "SFO" && f.to == "JFK" && f.date == date) {
        prices.insert(f.price);
        airlines.insert(f.airline);
      }
    EXPECT_EQ(prices.size(), 4u) << date;
    EXPECT_GE(airlines.size(), 3u) << date;
  }
  int nearly_sold_out = 0;
  for (const auto& f : demo.flights) {
    if (f.seats < 50) {
      EXPECT_EQ(f.date, "2024-12-15");
      EXPECT_EQ(f.from + f.to, "SFOJFK");
      ++nearly_sold_out;
    }
    EXPECT_LE(f.seats, 200);
  }
  EXPECT_EQ(nearly_sold_out, 1);
  int new_york = 0;
  for (const auto& h : demo.hotels) new_york += h.city == "New York";
  EXPECT_GE(new_york, 3);
  const Hotel hilton{"hilton-nyc", "Hilton Midtown", "New York", 28900, "USD", 20, 2};
  EXPECT_NE(std::find(demo.hotels.begin(), demo.hotels.end(), hilton), demo.hotels.end());
  for (const char* city : {"San Francisco", "Los Angeles", "Seattle", "Chicago"})
    EXPECT_TRUE(std::any_of(demo.hotels.begin(), demo.hotels.end(), [&](const Hotel& h) {
      return h.city == city;
    })) << city;
}

std::string one_flight(const std::string& field, boost::json::value value) {
  boost::json::object f{{"flightId", "UA100-2024-12-15"},
                        {"flightNumber", "UA100"},
                        {"airline", "United"},
                        {"from", "SFO"},
                        {"to", "JFK"},
                        {"date", "2024-12-15"},
                        {"departs", "08:00"},
                        {"price", 34900},
                        {"currency", "USD"},
                        {"seats", 50}};
  if (!field.empty()) f[field] = std::move(value);
  return boost::json::serialize(boost::json::object{{"flights", boost::json::array{f}}});
}

std::string one_hotel(const std::string& field, boost::json::value value) {
  boost::json::object h{{"hotelId", "hilton-nyc"}, {"name", "Hilton Midtown"}, {"city", "New York"},
                        {"pricePerNight", 28900},  {"currency", "USD"},        {"rooms", 20},
                        {"roomCapacity", 2}};
  if (!field.empty()) h[field] = std::move(value);
  return boost::json::serialize(boost::json::object{{"hotels", boost::json::array{h}}});
}

// The parse's error names `what`.
void expect_refused(const std::string& text, const std::string& what) {
  try {
    parse_travel_catalog(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(TravelCatalog, AFileIsRefusedNamingWhatIsWrong) {
  EXPECT_EQ(parse_travel_catalog(one_flight("", nullptr)).flights.size(), 1u);
  EXPECT_EQ(parse_travel_catalog(one_hotel("", nullptr)).hotels.size(), 1u);
  expect_refused(one_flight("from", "sfo"), "from");
  expect_refused(one_flight("to", "JFKX"), "to");
  expect_refused(one_flight("to", "SFO"), "differ");
  expect_refused(one_flight("date", "2024-02-30"), "date");
  expect_refused(one_flight("departs", "24:00"), "departs");
  expect_refused(one_flight("departs", "8:00"), "departs");
  expect_refused(one_flight("price", -1), "price");
  expect_refused(one_flight("price", "1"), "price");
  expect_refused(one_flight("seats", -1), "seats");
  expect_refused(one_flight("currency", "usd"), "currency");
  expect_refused(one_flight("flightId", "UA100-2024-12-16"), "flightId");
  expect_refused(one_flight("flightNumber", "ua100"), "flightNumber");
  expect_refused(one_flight("airline", nullptr), "airline");
  expect_refused(one_hotel("hotelId", "Hilton NYC"), "hotelId");
  expect_refused(one_hotel("rooms", -1), "rooms");
  expect_refused(one_hotel("roomCapacity", 0), "roomCapacity");
  expect_refused(one_hotel("pricePerNight", -5), "pricePerNight");
  expect_refused(one_hotel("currency", "US"), "currency");
  expect_refused(one_hotel("city", ""), "city");
  expect_refused("{\"flights\": {}}", "flights");
  expect_refused("[1]", "object");
  expect_refused("{\"flights\": [", "JSON");
  // Duplicates, named.
  auto twice = boost::json::parse(one_flight("", nullptr)).as_object();
  twice["flights"].as_array().push_back(twice["flights"].as_array()[0]);
  expect_refused(boost::json::serialize(twice), "duplicate flightId 'UA100-2024-12-15'");
  auto hotels = boost::json::parse(one_hotel("", nullptr)).as_object();
  hotels["hotels"].as_array().push_back(hotels["hotels"].as_array()[0]);
  expect_refused(boost::json::serialize(hotels), "duplicate hotelId 'hilton-nyc'");
}

// ---- Seats and room-nights

Flight flight(std::string number, std::string date, std::int64_t price, std::int64_t seats,
              std::string from = "SFO", std::string to = "JFK") {
  return {number + "-" + date,
          number,
          "Air",
          std::move(from),
          std::move(to),
          date,
          "08:00",
          price,
          "USD",
          seats};
}

Hotel hotel(std::string id, std::string city, std::int64_t price, std::int64_t rooms,
            std::int64_t capacity = 2) {
  return {std::move(id), "Hotel " + city, std::move(city), price, "USD", rooms, capacity};
}

// Every row written, as the store would keep it (later writes replace earlier ones).
struct Rows {
  std::map<std::pair<std::string, std::string>, std::string> rows;
  void apply(WriteSet& writes) {
    for (auto& w : writes.take()) {
      if (w.value)
        rows[{w.table, w.key}] = *w.value;
      else
        rows.erase({w.table, w.key});
    }
  }
  // A fresh inventory from them, table by table (T5).
  TravelInventory load(TravelLimits limits = {}) const {
    TravelInventory loaded(limits);
    for (const char* table : {TravelInventory::kFlights, TravelInventory::kHotels,
                              TravelInventory::kLevels, TravelInventory::kBookings})
      for (const auto& [at, value] : rows)
        if (at.first == table) loaded.load_row(at.first, at.second, value);
    return loaded;
  }
  std::optional<Booking> booking(const std::string& id) const {
    auto it = rows.find({TravelInventory::kBookings, id});
    if (it == rows.end()) return std::nullopt;
    return boost::json::value_to<Booking>(boost::json::parse(it->second));
  }
};

class TravelInventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add(flight("UA100", "2024-12-15", 34900, 10));
    add(flight("AA200", "2024-12-15", 29900, 5));
    add(flight("DL300", "2024-12-15", 29900, 3));  // ties AA200's price: the number decides
    add(flight("UA100", "2024-12-16", 34900, 10));
    add(hotel("hilton-nyc", "New York", 28900, 4));
    add(hotel("pod-nyc", "New York", 14900, 2));
    add(hotel("tiny-sf", "San Francisco", 10000, 1, 3));
  }
  void add(const Flight& f) {
    WriteSet writes;
    ASSERT_FALSE(inv.add_flight(f, writes));
    rows.apply(writes);
  }
  void add(const Hotel& h) {
    WriteSet writes;
    ASSERT_FALSE(inv.add_hotel(h, writes));
    rows.apply(writes);
  }
  std::variant<Booking, Error> seats(const std::string& id, const std::string& flight_id,
                                     std::int64_t passengers, std::int64_t expires = 0) {
    WriteSet writes;
    auto r = inv.hold_seats({id, "trip:" + id, flight_id, passengers, expires}, now, writes);
    if (std::holds_alternative<Error>(r)) {
      EXPECT_TRUE(writes.empty());
    }
    rows.apply(writes);
    return r;
  }
  std::variant<Booking, Error> rooms(const std::string& id, const std::string& hotel_id,
                                     const std::string& in, const std::string& out,
                                     std::int64_t guests, std::int64_t expires = 0) {
    WriteSet writes;
    auto r = inv.hold_rooms({id, "trip:" + id, hotel_id, in, out, guests, expires}, now, writes);
    if (std::holds_alternative<Error>(r)) {
      EXPECT_TRUE(writes.empty());
    }
    rows.apply(writes);
    return r;
  }
  std::variant<Booking, Error> confirm(const std::string& id) {
    WriteSet writes;
    auto r = inv.confirm(id, now, writes, inv.booking(id) ? std::nullopt : rows.booking(id));
    rows.apply(writes);
    return r;
  }
  std::variant<Booking, Error> cancel(const std::string& id) {
    WriteSet writes;
    auto r = inv.cancel(id, now, writes, inv.booking(id) ? std::nullopt : rows.booking(id));
    rows.apply(writes);
    return r;
  }
  std::int64_t free_seats(const std::string& date, const std::string& number) const {
    for (const auto& o : inv.search_flights("SFO", "JFK", date))
      if (o.flight.flight_number == number) return o.seats_available;
    return -1;
  }
  std::int64_t free_rooms(const std::string& hotel_id, const std::string& in,
                          const std::string& out) const {
    const Hotel* h = inv.hotel(hotel_id);
    auto offers = std::get<std::vector<HotelOffer>>(inv.search_hotels(h->city, in, out));
    for (const auto& o : offers)
      if (o.hotel.hotel_id == hotel_id) return o.rooms_available;
    return -1;
  }
  static std::string reason(const std::variant<Booking, Error>& r) {
    auto* e = std::get_if<Error>(&r);
    return e ? e->reason : "ok";
  }

  TravelInventory inv;
  Rows rows;
  std::int64_t now = 1000;
};

TEST_F(TravelInventoryTest, FlightsAreFoundCheapestFirstWithTheirFreeSeats) {
  auto offers = inv.search_flights("SFO", "JFK", "2024-12-15");
  ASSERT_EQ(offers.size(), 3u);
  EXPECT_EQ(offers[0].flight.flight_number, "AA200");  // 29900, before DL300 by number
  EXPECT_EQ(offers[1].flight.flight_number, "DL300");
  EXPECT_EQ(offers[2].flight.flight_number, "UA100");
  EXPECT_EQ(offers[0].seats_available, 5);
  ASSERT_EQ(reason(seats("b1", "AA200-2024-12-15", 2)), "ok");
  EXPECT_EQ(free_seats("2024-12-15", "AA200"), 3);
  EXPECT_TRUE(inv.search_flights("SFO", "JFK", "2024-12-17").empty());
  EXPECT_TRUE(inv.search_flights("JFK", "SFO", "2024-12-15").empty());
  EXPECT_TRUE(inv.search_flights("SFO", "JFK", "not a date").empty());

  TravelInventory few(TravelLimits{30, 9, 2});
  WriteSet w;
  for (const auto& f : {flight("ZZ1", "2024-12-15", 3, 1), flight("ZZ2", "2024-12-15", 1, 1),
                        flight("ZZ3", "2024-12-15", 2, 1)})
    ASSERT_FALSE(few.add_flight(f, w));
  auto capped = few.search_flights("SFO", "JFK", "2024-12-15");
  ASSERT_EQ(capped.size(), 2u);  // max_search_results, the cheapest kept
  EXPECT_EQ(capped[0].flight.flight_number, "ZZ2");
  EXPECT_EQ(capped[1].flight.flight_number, "ZZ3");
}

TEST_F(TravelInventoryTest, HotelsAreFoundByCityWithTheFewestFreeRoomsOfTheStay) {
  auto found = inv.search_hotels("new york", "2024-12-15", "2024-12-18");
  ASSERT_TRUE(std::holds_alternative<std::vector<HotelOffer>>(found));
  auto offers = std::get<std::vector<HotelOffer>>(found);
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].hotel.hotel_id, "pod-nyc");  // cheapest first
  EXPECT_EQ(offers[1].rooms_available, 4);         // no night created yet: every room (T4)
  ASSERT_EQ(reason(rooms("h1", "hilton-nyc", "2024-12-16", "2024-12-17", 5)), "ok");  // 3 rooms
  EXPECT_EQ(free_rooms("hilton-nyc", "2024-12-15", "2024-12-18"), 1);                 // the 16th's
  EXPECT_EQ(free_rooms("hilton-nyc", "2024-12-15", "2024-12-16"), 4);
  EXPECT_EQ(free_rooms("hilton-nyc", "2024-12-17", "2024-12-19"), 4);
  EXPECT_EQ(std::get<Error>(inv.search_hotels("New York", "2024-02-30", "2024-03-02")).reason,
            "invalid_date");
  EXPECT_EQ(std::get<Error>(inv.search_hotels("New York", "2024-12-15", "2024-12-15")).reason,
            "invalid_stay");
  EXPECT_EQ(std::get<Error>(inv.search_hotels("New York", "2024-12-01", "2025-01-01")).reason,
            "invalid_stay");  // 31 nights > max_nights
  EXPECT_TRUE(
      std::get<std::vector<HotelOffer>>(inv.search_hotels("Paris", "2024-12-15", "2024-12-16"))
          .empty());
}

TEST(TravelRooms, RoomsNeededIsTheCeilingOfGuestsOverCapacity) {
  EXPECT_EQ(TravelInventory::rooms_needed(1, 2), 1);
  EXPECT_EQ(TravelInventory::rooms_needed(2, 2), 1);
  EXPECT_EQ(TravelInventory::rooms_needed(3, 2), 2);
  EXPECT_EQ(TravelInventory::rooms_needed(5, 2), 3);
  EXPECT_EQ(TravelInventory::rooms_needed(7, 3), 3);
  EXPECT_EQ(TravelInventory::rooms_needed(4, 1), 4);
  EXPECT_EQ(TravelInventory::rooms_needed(0, 2), 0);
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(TravelInventory::rooms_needed(max, 2), max / 2 + 1);  // no overflow on the way
}

TEST_F(TravelInventoryTest, OneFullNightRefusesTheWholeStayAndChangesNothing) {
  // pod-nyc has 2 rooms; the 16th is taken whole.
  ASSERT_EQ(reason(rooms("first", "pod-nyc", "2024-12-16", "2024-12-17", 4)), "ok");
  const auto rows_before = rows.rows;
  WriteSet writes;
  auto refused = inv.hold_rooms({"stay", "trip:stay", "pod-nyc", "2024-12-15", "2024-12-18", 1, 0},
                                now, writes);
  ASSERT_EQ(reason(refused), "no_rooms");
  const Error& e = std::get<Error>(refused);
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(boost::json::parse(e.details),
            boost::json::parse(R"({"hotelId":"pod-nyc","night":"2024-12-16","requested":1,)"
                               R"("available":0})"));
  EXPECT_TRUE(writes.empty());
  EXPECT_EQ(rows.rows, rows_before);
  // Nothing held on the free nights, nor even created (T4).
  EXPECT_EQ(inv.inventory().levels(*inventory::ResourceKey::parse("room/pod-nyc/2024-12-15")),
            nullptr);
  EXPECT_EQ(inv.inventory().levels(*inventory::ResourceKey::parse("room/pod-nyc/2024-12-17")),
            nullptr);
  EXPECT_EQ(inv.booking("stay"), nullptr);
  EXPECT_EQ(inv.inventory().holds().size(), 1u);
  EXPECT_EQ(inv.check_all(), std::nullopt);
  // The nights around it are whole.
  ASSERT_EQ(reason(rooms("before", "pod-nyc", "2024-12-15", "2024-12-16", 4)), "ok");
  ASSERT_EQ(reason(rooms("after", "pod-nyc", "2024-12-17", "2024-12-18", 4)), "ok");
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, AHotelBookingHoldsCeilRoomsEveryNightAndPricesThemAll) {
  auto r = rooms("h", "hilton-nyc", "2024-12-15", "2024-12-18", 3, 5000);
  ASSERT_EQ(reason(r), "ok");
  const Booking& b = std::get<Booking>(r);
  EXPECT_EQ(b.quantity, 2);
  EXPECT_EQ(b.nights, (std::vector<std::string>{"2024-12-15", "2024-12-16", "2024-12-17"}));
  EXPECT_EQ(b.amount, 28900 * 2 * 3);
  EXPECT_EQ(b.status, BookingStatus::kHeld);
  EXPECT_EQ(b.hotel_name, "Hotel New York");
  EXPECT_EQ(rows.booking("h"), b);
  const inventory::Hold* hold = inv.inventory().find_hold("h");
  ASSERT_NE(hold, nullptr);
  EXPECT_EQ(hold->owner, "trip:h");
  EXPECT_EQ(hold->expires_at_ms, 5000);
  EXPECT_EQ(hold->lines.size(), 3u);
  EXPECT_EQ(rows.rows.at({TravelInventory::kLevels, "room/hilton-nyc/2024-12-16"}),
            R"({"on_hand":4,"sold":0})");
  EXPECT_EQ(free_rooms("hilton-nyc", "2024-12-15", "2024-12-18"), 2);
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, RequestsAreRefusedWithTheirReasons) {
  EXPECT_EQ(reason(seats("", "UA100-2024-12-15", 1)), "invalid_booking");
  EXPECT_EQ(reason(seats("x", "UA100-2024-12-15", 0)), "invalid_party");
  EXPECT_EQ(reason(seats("x", "UA100-2024-12-15", 10)), "invalid_party");  // max_party 9
  EXPECT_EQ(reason(seats("x", "XX999-2024-12-15", 1)), "unknown_flight");
  EXPECT_EQ(reason(seats("x", "DL300-2024-12-15", 4)), "no_seats");
  EXPECT_EQ(reason(rooms("y", "nowhere", "2024-12-15", "2024-12-16", 1)), "unknown_hotel");
  EXPECT_EQ(reason(rooms("y", "pod-nyc", "2024-12-15", "2024-12-16", 0)), "invalid_party");
  EXPECT_EQ(reason(rooms("y", "pod-nyc", "2024-12-15", "2024-12-15", 1)), "invalid_stay");
  EXPECT_EQ(reason(rooms("y", "pod-nyc", "2024-12-15", "2024-13-01", 1)), "invalid_date");
  EXPECT_EQ(reason(rooms("y", "pod-nyc", "2024-12-01", "2025-01-01", 1)), "invalid_stay");
  ASSERT_EQ(reason(rooms("y", "pod-nyc", "2024-12-01", "2024-12-31", 1)), "ok");  // max_nights
  ASSERT_EQ(reason(seats("x", "UA100-2024-12-15", 1)), "ok");
  EXPECT_EQ(reason(seats("x", "UA100-2024-12-16", 1)), "booking_exists");
  EXPECT_EQ(reason(rooms("x", "pod-nyc", "2024-12-15", "2024-12-16", 1)), "booking_exists");
  const std::string no_seats = std::get<Error>(seats("z", "DL300-2024-12-15", 4)).details;
  EXPECT_EQ(boost::json::parse(no_seats),
            boost::json::parse(R"({"flightId":"DL300-2024-12-15","requested":4,"available":3})"));
  WriteSet w;
  EXPECT_EQ(inv.add_flight(flight("UA100", "2024-12-15", 1, 1), w)->reason, "flight_exists");
  EXPECT_EQ(inv.add_flight(flight("UA100", "2024-12-32", 1, 1), w)->reason, "invalid_flight");
  EXPECT_EQ(inv.add_hotel(hotel("pod-nyc", "X", 1, 1), w)->reason, "hotel_exists");
  EXPECT_EQ(inv.add_hotel(hotel("Bad Id", "X", 1, 1), w)->reason, "invalid_hotel");
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, AnAmountPast64BitsIsRefusedAndChangesNothing) {
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max() / 2;
  add(flight("ZZ9", "2024-12-15", huge, 10));
  EXPECT_EQ(reason(seats("big", "ZZ9-2024-12-15", 2)), "ok");  // huge * 2 fits
  EXPECT_EQ(reason(seats("bigger", "ZZ9-2024-12-15", 3)), "amount_too_large");
  add(hotel("palace", "Nice", huge, 10));
  EXPECT_EQ(reason(rooms("p", "palace", "2024-12-15", "2024-12-17", 2)), "ok");  // 1 room, 2 n.
  EXPECT_EQ(reason(rooms("q", "palace", "2024-12-15", "2024-12-18", 2)), "amount_too_large");
  EXPECT_EQ(reason(rooms("r", "palace", "2024-12-15", "2024-12-16", 5)), "amount_too_large");
  EXPECT_EQ(inv.booking("bigger"), nullptr);
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, ConfirmAndCancelEndOnceAndAConfirmedBookingReturnsItsSeatsOnce) {
  ASSERT_EQ(reason(seats("f", "UA100-2024-12-15", 4, 9000)), "ok");
  auto confirmed = confirm("f");
  ASSERT_EQ(reason(confirmed), "ok");
  EXPECT_EQ(std::get<Booking>(confirmed).status, BookingStatus::kConfirmed);
  EXPECT_EQ(std::get<Booking>(confirmed).expires_at_ms, 0);  // sold: never expires
  EXPECT_FALSE(inv.next_expiry());
  const auto seat = *inventory::ResourceKey::parse("seat/UA100-2024-12-15");
  EXPECT_EQ(*inv.inventory().levels(seat), (inventory::Levels{6, 0, 4}));
  // Again: answered as it is, nothing written.
  WriteSet again;
  auto twice = inv.confirm("f", now, again);
  ASSERT_EQ(reason(twice), "ok");
  EXPECT_EQ(std::get<Booking>(twice), std::get<Booking>(confirmed));
  EXPECT_TRUE(again.empty());
  // Cancel returns the 4 seats, once.
  now = 2000;
  auto cancelled = cancel("f");
  ASSERT_EQ(reason(cancelled), "ok");
  EXPECT_EQ(std::get<Booking>(cancelled).status, BookingStatus::kCancelled);
  EXPECT_EQ(std::get<Booking>(cancelled).updated_at_ms, 2000);
  EXPECT_EQ(*inv.inventory().levels(seat), (inventory::Levels{10, 0, 0}));
  EXPECT_EQ(rows.rows.at({TravelInventory::kLevels, seat.text()}), R"({"on_hand":10,"sold":0})");
  EXPECT_EQ(inv.booking("f"), nullptr);
  for (int i = 0; i < 3; ++i) {
    WriteSet w;
    auto same = inv.cancel("f", now + i, w, rows.booking("f"));
    ASSERT_EQ(reason(same), "ok");
    EXPECT_EQ(std::get<Booking>(same), std::get<Booking>(cancelled));
    EXPECT_TRUE(w.empty());
    EXPECT_EQ(*inv.inventory().levels(seat), (inventory::Levels{10, 0, 0}));
  }
  // A cancelled booking is not confirmed; an unknown one is not found.
  auto refused = confirm("f");
  EXPECT_EQ(reason(refused), "booking_not_held");
  EXPECT_EQ(boost::json::parse(std::get<Error>(refused).details),
            boost::json::parse(R"({"bookingId":"f","status":"cancelled"})"));
  WriteSet w;
  EXPECT_EQ(reason(inv.cancel("f", now, w)), "booking_not_found");
  EXPECT_EQ(reason(inv.confirm("nope", now, w)), "booking_not_found");
  // A row saying held of a booking memory has ended: its end is still committing.
  Booking lagging = *rows.booking("f");
  lagging.status = BookingStatus::kHeld;
  auto ending = inv.cancel("f", now, w, lagging);
  EXPECT_EQ(reason(ending), "booking_not_held");
  EXPECT_NE(std::get<Error>(ending).details.find("ending"), std::string::npos);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, CancellingAHeldBookingReleasesEveryNight) {
  ASSERT_EQ(reason(rooms("h", "pod-nyc", "2024-12-15", "2024-12-18", 4, 9000)), "ok");
  EXPECT_EQ(free_rooms("pod-nyc", "2024-12-15", "2024-12-18"), 0);
  ASSERT_EQ(reason(cancel("h")), "ok");
  EXPECT_EQ(free_rooms("pod-nyc", "2024-12-15", "2024-12-18"), 2);
  EXPECT_FALSE(inv.next_expiry());
  EXPECT_EQ(rows.booking("h")->status, BookingStatus::kCancelled);
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, ExpiryEndsTheDueHeldBookingsEarliestFirstAtMostTheLimit) {
  const std::vector<std::pair<std::string, std::int64_t>> holds = {
      {"e500", 500}, {"e100", 100}, {"e300", 300}, {"e200", 200}, {"e400", 400}, {"never", 0}};
  for (const auto& [id, at] : holds) ASSERT_EQ(reason(seats(id, "UA100-2024-12-15", 1, at)), "ok");
  ASSERT_EQ(reason(seats("kept", "UA100-2024-12-16", 1, 150)), "ok");
  ASSERT_EQ(reason(confirm("kept")), "ok");  // confirmed before its time: never expires
  EXPECT_EQ(inv.next_expiry(), 100);
  WriteSet writes;
  EXPECT_EQ(inv.expire_due(350, 2, writes), 2u);
  rows.apply(writes);
  EXPECT_EQ(inv.booking("e100"), nullptr);
  EXPECT_EQ(inv.booking("e200"), nullptr);
  EXPECT_NE(inv.booking("e300"), nullptr);  // due, past the limit
  EXPECT_EQ(rows.booking("e100")->status, BookingStatus::kExpired);
  EXPECT_EQ(rows.booking("e200")->updated_at_ms, 350);
  EXPECT_EQ(inv.next_expiry(), 300);
  EXPECT_EQ(inv.expire_due(350, 10, writes), 1u);
  rows.apply(writes);
  EXPECT_EQ(rows.booking("e300")->status, BookingStatus::kExpired);
  EXPECT_EQ(inv.expire_due(350, 10, writes), 0u);
  EXPECT_TRUE(writes.empty());
  EXPECT_EQ(inv.next_expiry(), 400);
  EXPECT_EQ(free_seats("2024-12-15", "UA100"), 7);  // e400, e500, never
  EXPECT_EQ(inv.booking("kept")->status, BookingStatus::kConfirmed);
  // An expired booking: a cancel finds nothing to do, a confirm is refused.
  auto cancelled = cancel("e100");
  ASSERT_EQ(reason(cancelled), "ok");
  EXPECT_EQ(std::get<Booking>(cancelled).status, BookingStatus::kExpired);
  EXPECT_EQ(reason(confirm("e100")), "booking_not_held");
  EXPECT_EQ(inv.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, BookingsOfAnOwnerAreItsOpenOnesInIdOrder) {
  WriteSet w;
  for (const char* id : {"c", "a", "b"})
    ASSERT_EQ(reason(inv.hold_seats({id, "trip:t", "UA100-2024-12-15", 1, 0}, now, w)), "ok");
  ASSERT_EQ(reason(inv.cancel("b", now, w)), "ok");
  auto mine = inv.bookings_of("trip:t");
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0]->id, "a");
  EXPECT_EQ(mine[1]->id, "c");
  EXPECT_TRUE(inv.bookings_of("trip:other").empty());
}

// ---- The random walk: a counter model, check_all after every step, a reload at the end.

struct Model {
  std::map<std::string, std::int64_t> capacity;  // resource -> seats or rooms
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> open;  // id ->
  std::map<std::string, std::int64_t> quantity;
  std::map<std::string, std::int64_t> expires;
  std::map<std::string, bool> confirmed;
  std::int64_t used(const std::string& resource) const {
    std::int64_t n = 0;
    for (const auto& [id, o] : open)
      for (const auto& r : o.second)
        if (r == resource) n += quantity.at(id);
    return n;
  }
};

TEST_F(TravelInventoryTest, ARandomWalkNeverOverbooksAndMatchesACounterModel) {
  std::mt19937_64 rng(17);
  Model model;
  const std::vector<std::string> flights = {"UA100-2024-12-15", "AA200-2024-12-15",
                                            "DL300-2024-12-15", "UA100-2024-12-16"};
  for (const auto& f : flights) model.capacity["seat/" + f] = inv.flight(f)->seats;
  const std::vector<std::string> hotels = {"hilton-nyc", "pod-nyc", "tiny-sf"};
  const std::vector<std::string> days = {"2024-12-14", "2024-12-15", "2024-12-16", "2024-12-17",
                                         "2024-12-18"};
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  int next_id = 0, held = 0, refused = 0, confirmed = 0, cancelled = 0, expired = 0;
  std::vector<std::string> ids;
  for (int step = 0; step < 4000; ++step) {
    now += static_cast<std::int64_t>(pick(20));
    const std::size_t op = pick(10);
    if (op < 4) {  // hold seats or rooms
      const std::string id = "b" + std::to_string(next_id++);
      const std::int64_t party = 1 + static_cast<std::int64_t>(pick(5));
      const std::int64_t expires =
          pick(3) == 0 ? 0 : now + 1 + static_cast<std::int64_t>(pick(200));
      std::vector<std::string> resources;
      std::int64_t units = party;
      std::variant<Booking, Error> r;
      if (pick(2) == 0) {
        const std::string f = flights[pick(flights.size())];
        resources = {"seat/" + f};
        r = seats(id, f, party, expires);
      } else {
        const std::string h = hotels[pick(hotels.size())];
        const std::size_t in = pick(days.size() - 1);
        const std::size_t out = in + 1 + pick(days.size() - 1 - in);
        units = TravelInventory::rooms_needed(party, inv.hotel(h)->room_capacity);
        for (std::size_t d = in; d < out; ++d) {
          resources.push_back("room/" + h + "/" + days[d]);
          model.capacity.try_emplace(resources.back(), inv.hotel(h)->rooms);
        }
        r = rooms(id, h, days[in], days[out], party, expires);
      }
      bool fits = true;
      for (const auto& res : resources)
        fits = fits && model.used(res) + units <= model.capacity.at(res);
      ASSERT_EQ(std::holds_alternative<Booking>(r), fits) << "step " << step << ": " << reason(r);
      if (fits) {
        model.open[id] = {"held", resources};
        model.quantity[id] = units;
        model.expires[id] = expires;
        ids.push_back(id);
        ++held;
      } else {
        const std::string why = reason(r);
        ASSERT_TRUE(why == "no_seats" || why == "no_rooms") << why;
        ++refused;
      }
    } else if (op < 6 && !ids.empty()) {  // confirm
      const std::string id = ids[pick(ids.size())];
      auto r = confirm(id);
      auto it = model.open.find(id);
      ASSERT_EQ(std::holds_alternative<Booking>(r), it != model.open.end()) << id;
      if (it != model.open.end()) {
        it->second.first = "confirmed";
        model.expires[id] = 0;
        ++confirmed;
      }
    } else if (op < 8 && !ids.empty()) {  // cancel: open or ended, always answered
      const std::string id = ids[pick(ids.size())];
      auto r = cancel(id);
      ASSERT_TRUE(std::holds_alternative<Booking>(r)) << id << ": " << reason(r);
      if (model.open.erase(id)) ++cancelled;
    } else {  // the timer
      WriteSet writes;
      const std::size_t limit = 1 + pick(3);
      const std::size_t due = inv.expire_due(now, limit, writes);
      rows.apply(writes);
      std::vector<std::pair<std::int64_t, std::string>> model_due;
      for (const auto& [id, o] : model.open)
        if (o.first == "held" && model.expires[id] > 0 && model.expires[id] <= now)
          model_due.push_back({model.expires[id], id});
      std::sort(model_due.begin(), model_due.end());
      ASSERT_EQ(due, std::min(limit, model_due.size()));
      for (std::size_t i = 0; i < due; ++i) {
        ASSERT_EQ(rows.booking(model_due[i].second)->status, BookingStatus::kExpired);
        model.open.erase(model_due[i].second);
        ++expired;
      }
    }
    ASSERT_EQ(inv.check_all(), std::nullopt) << "step " << step;
    if (step % 50 == 0) {
      for (const auto& [res, cap] : model.capacity) {
        const auto key = *inventory::ResourceKey::parse(res);
        const inventory::Levels* l = inv.inventory().levels(key);
        const std::int64_t free = l ? l->available() : cap;
        ASSERT_EQ(free, cap - model.used(res)) << res << " at step " << step;
      }
    }
  }
  // The walk went everywhere it should.
  EXPECT_GT(held, 300);
  EXPECT_GT(refused, 50);
  EXPECT_GT(confirmed, 50);
  EXPECT_GT(cancelled, 50);
  EXPECT_GT(expired, 50);

  // T5: the rows rebuild it exactly.
  TravelInventory loaded = rows.load();
  EXPECT_EQ(loaded.check_all(), std::nullopt);
  EXPECT_EQ(loaded.next_expiry(), inv.next_expiry());
  EXPECT_EQ(loaded.inventory().holds().size(), inv.inventory().holds().size());
  for (const auto& id : ids) {
    const Booking* a = inv.booking(id);
    const Booking* b = loaded.booking(id);
    ASSERT_EQ(a == nullptr, b == nullptr) << id;
    if (!a) continue;
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(loaded.bookings_of(a->owner).size(), inv.bookings_of(a->owner).size());
  }
  for (const auto& date : {"2024-12-15", "2024-12-16"}) {
    auto x = inv.search_flights("SFO", "JFK", date), y = loaded.search_flights("SFO", "JFK", date);
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].flight, y[i].flight);
      EXPECT_EQ(x[i].seats_available, y[i].seats_available);
    }
  }
  for (const auto& city : {"New York", "San Francisco"})
    for (std::size_t in = 0; in + 1 < days.size(); ++in) {
      auto x = std::get<std::vector<HotelOffer>>(inv.search_hotels(city, days[in], days.back()));
      auto y = std::get<std::vector<HotelOffer>>(loaded.search_hotels(city, days[in], days.back()));
      ASSERT_EQ(x.size(), y.size());
      for (std::size_t i = 0; i < x.size(); ++i)
        EXPECT_EQ(x[i].rooms_available, y[i].rooms_available) << city << " " << days[in];
    }
  // And the loaded one goes on as the original would.
  WriteSet a, b;
  EXPECT_EQ(inv.expire_due(now + 1000, 1000, a), loaded.expire_due(now + 1000, 1000, b));
  EXPECT_EQ(a.rows().size(), b.rows().size());
  EXPECT_EQ(loaded.check_all(), std::nullopt);
}

TEST_F(TravelInventoryTest, LoadingRefusesMalformedRows) {
  TravelInventory fresh;
  EXPECT_THROW(fresh.load_row(TravelInventory::kFlights, "x", "{"), std::invalid_argument);
  EXPECT_THROW(fresh.load_row(TravelInventory::kFlights, "other",
                              rows.rows.at({TravelInventory::kFlights, "UA100-2024-12-15"})),
               std::invalid_argument);
  EXPECT_THROW(
      fresh.load_row(TravelInventory::kLevels, "seat/XX1-2024-12-15", R"({"on_hand":1,"sold":0})"),
      std::invalid_argument);  // an unknown flight's
  EXPECT_THROW(fresh.load_row("elsewhere", "k", "{}"), std::invalid_argument);
  ASSERT_EQ(reason(seats("b", "UA100-2024-12-15", 2)), "ok");
  auto text = rows.rows.at({TravelInventory::kBookings, "b"});
  text.replace(text.find("\"held\""), 6, "\"lost\"");
  TravelInventory other = Rows{{}}.load();
  EXPECT_THROW(other.load_row(TravelInventory::kBookings, "b", text), std::invalid_argument);
}

}  // namespace
}  // namespace orderd::travel
