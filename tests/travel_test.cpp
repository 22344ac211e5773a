// Issue 17's proof, over HTTP against the real orderd binary: seed 003's TripOrchestrator books
// real seats and rooms, and every way a booking can go wrong gives back what it held. Each case
// is the attack it is: the seed's curl as printed, the same call twice, a sold-out route, a full
// hotel, a declined card, a cancel after and during the booking, a caller reaching for the
// internal handlers, 200 bookings racing for 50 seats, and a customer reaching for another's
// trips.
//
// What must hold after every case (docs/API.md, issue 17 "Done when"): per flight, seatsAvailable
// plus the seats of its confirmed trips is the catalog's seats; per hotel and night, likewise
// with rooms; a trip that did not end confirmed holds nothing, and the compensations it shows
// ran in reverse (refund_payment, release_hotel, release_flight). Every wait is a condition
// awaited with a deadline, never a sleep.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auth/jwt_signer.hpp"
#include "client/http_client.hpp"
#include "payments/mock_gateway_state.hpp"
#include "support/json_fields.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using namespace std::chrono_literals;
using client::Headers;
using client::HttpClient;
using client::HttpResult;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

// ---- The seed's request, as its curl prints it ------------------------------------------------

// ../shared/seeds/003: `curl -X POST http://localhost:8080/TripOrchestrator/trip-001/BookTrip
// -H 'Content-Type: application/json' -d '...'`, the body byte for byte.
constexpr const char* kSeedPath = "/TripOrchestrator/trip-001/BookTrip";
constexpr const char* kSeedBody = R"({
    "customerId": "customer-123",
    "customerEmail": "alice@example.com",
    "flight": {
      "from": "SFO",
      "to": "JFK",
      "date": "2024-12-15",
      "passengers": 2
    },
    "hotel": {
      "city": "New York",
      "checkIn": "2024-12-15",
      "checkOut": "2024-12-18",
      "guests": 2
    }
  })";

// ---- A catalog of the test's own (--travel-catalog FILE, travel/travel_catalog.hpp) ----------

constexpr const char* kDate = "2024-12-15";
constexpr const char* kCheckIn = "2024-12-15";
constexpr const char* kCheckOut = "2024-12-18";  // three nights

struct CatalogFlight {
  std::string number;
  std::int64_t seats = 0;
  std::int64_t price = 30000;
  std::string id() const { return number + "-" + kDate; }
};

struct CatalogHotel {
  std::string id;
  std::int64_t rooms = 0;
  std::int64_t capacity = 2;
  std::int64_t price = 20000;
};

// Flights SFO->JFK on kDate and hotels in New York: every trip of this file asks for those.
std::string catalog_json(const std::vector<CatalogFlight>& flights,
                         const std::vector<CatalogHotel>& hotels) {
  json::array fs, hs;
  for (const auto& f : flights)
    fs.push_back({{"flightId", f.id()},
                  {"flightNumber", f.number},
                  {"airline", "Test Air"},
                  {"from", "SFO"},
                  {"to", "JFK"},
                  {"date", kDate},
                  {"departs", "08:00"},
                  {"price", f.price},
                  {"currency", "USD"},
                  {"seats", f.seats}});
  for (const auto& h : hotels)
    hs.push_back({{"hotelId", h.id},
                  {"name", "Hotel " + h.id},
                  {"city", "New York"},
                  {"pricePerNight", h.price},
                  {"currency", "USD"},
                  {"rooms", h.rooms},
                  {"roomCapacity", h.capacity}});
  return json::serialize(json::object{{"flights", fs}, {"hotels", hs}});
}

// ---- A trip request ----------------------------------------------------------------------------

// The seed's body by default; a case changes what its attack needs.
struct TripWish {
  std::string customer_id = "customer-123";
  std::string email = "alice@example.com";
  std::int64_t passengers = 2;
  std::string flight_number;  // empty: the cheapest with the seats
  std::int64_t guests = 2;
  std::string hotel_id;  // empty: the cheapest with the rooms
  std::string payment;   // empty: none (the default, "mock")
};

std::string body_of(const TripWish& w) {
  json::object flight{
      {"from", "SFO"}, {"to", "JFK"}, {"date", kDate}, {"passengers", w.passengers}};
  if (!w.flight_number.empty()) flight["flightNumber"] = w.flight_number;
  json::object hotel{
      {"city", "New York"}, {"checkIn", kCheckIn}, {"checkOut", kCheckOut}, {"guests", w.guests}};
  if (!w.hotel_id.empty()) hotel["hotelId"] = w.hotel_id;
  json::object body{{"customerId", w.customer_id},
                    {"customerEmail", w.email},
                    {"flight", std::move(flight)},
                    {"hotel", std::move(hotel)}};
  if (!w.payment.empty()) body["payment"] = json::object{{"method", w.payment}};
  return json::serialize(body);
}

// ---- Reading answers ---------------------------------------------------------------------------

json::object object_or_empty(const HttpResult& r) {
  auto o = object_of(r.body);
  return o ? *o : json::object();
}

bool is_null(const json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v && v->is_null();
}

const json::array& array_at(const json::object& o, const char* name) {
  static const json::array empty;
  const auto* v = o.if_contains(name);
  return v && v->is_array() ? v->as_array() : empty;
}

// The compensations a trip shows, as "action status" in the order they ran.
std::vector<std::string> compensations_of(const json::object& trip) {
  std::vector<std::string> out;
  for (const auto& c : array_at(trip, "compensations"))
    if (c.is_object())
      out.push_back(string_at(c.as_object(), "action") + " " + string_at(c.as_object(), "status"));
  return out;
}

// What the gateway did for one trip, as "authorized A, captured C, voided V, refunded R".
std::string money_text(const payments::MoneyCount& m) {
  return "authorized " + std::to_string(m.authorized) + ", captured " + std::to_string(m.captured) +
         ", voided " + std::to_string(m.voided) + ", refunded " + std::to_string(m.refunded);
}
const std::string kNoMoney = money_text({});
const std::string kChargedOnce = money_text({1, 1, 0, 0});
const std::string kRefundedOnce = money_text({1, 1, 0, 1});

using Compensations = std::vector<std::string>;
const Compensations kNone{};
const Compensations kReleaseFlight{"release_flight done"};
const Compensations kReleaseBoth{"release_hotel done", "release_flight done"};
const Compensations kUndoAll{"refund_payment done", "release_hotel done", "release_flight done"};

std::string code_of(const HttpResult& r) {
  auto o = object_of(r.body);
  if (!o) return "";
  if (auto s = string_at(*o, "code"); !s.empty()) return s;
  return std::to_string(int_at(*o, "code", 0));
}

// Polls `done` until it holds or `within` has passed; true if it held.
bool await(std::chrono::milliseconds within, const std::function<bool()>& done,
           std::chrono::milliseconds every = 10ms) {
  const auto deadline = Clock::now() + within;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

// ---- Tokens (authentication on: --jwt-hs256-secret-file) ---------------------------------------

const std::string kSecret = "travel-test-secret-of-more-than-32-bytes!";

std::string token(const std::string& sub, const std::string& role) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return auth::mint_hs256({{"sub", sub}, {"roles", json::array{role.c_str()}}, {"exp", now + 3600}},
                          kSecret);
}

Headers bearer(const std::string& t) {
  Headers h;
  if (!t.empty()) h.emplace_back("authorization", "Bearer " + t);
  return h;
}

// ---- The server --------------------------------------------------------------------------------

class TravelTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<OrderdProcess> orderd;
  std::unique_ptr<HttpClient> api;

  // orderd with `catalog` ("demo", or a catalog's JSON written to a file) and `flags`. False
  // (and a test failure) when it does not start.
  bool start(const std::string& catalog, std::vector<std::string> flags = {}) {
    std::string travel_catalog = catalog;
    if (catalog != "demo") {
      travel_catalog = (dir.path() / "travel.json").string();
      std::ofstream(travel_catalog) << catalog;
    }
    std::vector<std::string> args{
        "--travel-catalog",     travel_catalog, "--latency-scale", "0", "--failure-scale", "0",
        "--mock-gateway-state", gateway_state()};
    args.insert(args.end(), flags.begin(), flags.end());
    try {
      orderd = std::make_unique<OrderdProcess>((dir.path() / "data").string(), args);
    } catch (const std::exception& e) {
      std::string line;
      for (const auto& a : args) line += " " + a;
      ADD_FAILURE() << "orderd serve" << line << ": " << e.what() << " (an unknown flag?)";
      return false;
    }
    api = std::make_unique<HttpClient>(orderd->port());
    return true;
  }

  // The mock gateway's own record of what it did (--mock-gateway-state), outside orderd.
  std::string gateway_state() const { return (dir.path() / "gateway.state").string(); }
  // What the gateway did for the trip: authorizations, captures, voids, refunds that succeeded.
  payments::MoneyCount money_at_gateway(const std::string& trip_id) const {
    const auto state = payments::read_gateway_state(gateway_state());
    auto it = state.find("trip:" + trip_id);
    return it == state.end() ? payments::MoneyCount{} : it->second;
  }

  // With authentication on: HS256 tokens signed with kSecret.
  bool start_with_authentication(const std::string& catalog) {
    const std::string secret = (dir.path() / "jwt-secret").string();
    std::ofstream(secret) << kSecret;
    return start(catalog, {"--jwt-hs256-secret-file", secret});
  }

  HttpResult book(const std::string& trip_id, const std::string& body, const std::string& as = "") {
    return api->post("/TripOrchestrator/" + trip_id + "/BookTrip", body, bearer(as));
  }
  HttpResult get_status(const std::string& trip_id, const std::string& as = "") {
    return api->post("/TripOrchestrator/" + trip_id + "/GetStatus", "{}", bearer(as));
  }
  HttpResult cancel(const std::string& trip_id, const std::string& as = "") {
    return api->post("/TripOrchestrator/" + trip_id + "/CancelTrip",
                     R"({"reason":"plans changed"})", bearer(as));
  }

  // A trip that must end `status`: its record (a test failure if the answer is not a 200 trip).
  json::object booked(const std::string& trip_id, const TripWish& wish, const std::string& status) {
    HttpResult r = book(trip_id, body_of(wish));
    EXPECT_EQ(r.status, 200u) << trip_id << ": " << r.body;
    json::object trip = object_or_empty(r);
    EXPECT_EQ(string_at(trip, "status"), status) << trip_id << ": " << r.body;
    EXPECT_EQ(string_at(trip, "tripId"), trip_id) << r.body;
    return trip;
  }

  // Free seats on `flight_id` (FlightService/Search, public), -1 when the search does not list it.
  std::int64_t seats_available(const std::string& flight_id, const std::string& as = "") {
    HttpResult r =
        api->post("/FlightService/Search",
                  R"({"from":"SFO","to":"JFK","date":")" + std::string(kDate) + "\"}", bearer(as));
    EXPECT_EQ(r.status, 200u) << r.body;
    const json::object found = object_or_empty(r);  // outlives the loop
    for (const auto& f : array_at(found, "flights"))
      if (f.is_object() && string_at(f.as_object(), "flightId") == flight_id)
        return int_at(f.as_object(), "seatsAvailable", -1);
    return -1;
  }

  // Free rooms of `hotel_id` over the test's stay (the fewest over its nights), -1 when unlisted.
  std::int64_t rooms_available(const std::string& hotel_id) {
    HttpResult r = api->post("/HotelService/Search", R"({"city":"New York","checkIn":")" +
                                                         std::string(kCheckIn) +
                                                         R"(","checkOut":")" + kCheckOut + "\"}");
    EXPECT_EQ(r.status, 200u) << r.body;
    const json::object found = object_or_empty(r);  // outlives the loop
    for (const auto& h : array_at(found, "hotels"))
      if (h.is_object() && string_at(h.as_object(), "hotelId") == hotel_id)
        return int_at(h.as_object(), "roomsAvailable", -1);
    return -1;
  }

  // The notifications listed at `query` ("?trip_id=..."), newest first.
  json::array notifications(const std::string& query, const std::string& as = "") {
    HttpResult r = api->request("GET", "/api/v1/notifications" + query, "", bearer(as));
    EXPECT_EQ(r.status, 200u) << r.body;
    return array_at(object_or_empty(r), "data");
  }
};

// ---- 1. The seed's curl -----------------------------------------------------------------------

// The seed's curl, as printed (port aside), with the demo catalog: the trip is confirmed on an
// SFO->JFK flight on the day for 2 and a New York hotel for 3 nights, charged the sum of both, and
// alice is mailed the confirmation.
TEST_F(TravelTest, TheSeedsCurlConfirmsATripAndMailsTheConfirmation) {
  ASSERT_TRUE(start("demo"));
  HttpResult r = api->post(kSeedPath, kSeedBody, {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  const json::object trip = object_or_empty(r);
  EXPECT_EQ(string_at(trip, "tripId"), "trip-001") << r.body;
  EXPECT_EQ(string_at(trip, "status"), "confirmed") << r.body;
  EXPECT_EQ(string_at(trip, "customerId"), "customer-123");
  EXPECT_EQ(string_at(trip, "customerEmail"), "alice@example.com");

  const json::object& flight = object_at(trip, "flight");
  EXPECT_EQ(string_at(flight, "from"), "SFO") << r.body;
  EXPECT_EQ(string_at(flight, "to"), "JFK");
  EXPECT_EQ(string_at(flight, "date"), "2024-12-15");
  EXPECT_EQ(int_at(flight, "passengers"), 2);
  EXPECT_FALSE(string_at(flight, "reservationId").empty()) << r.body;
  EXPECT_FALSE(string_at(flight, "flightNumber").empty()) << r.body;
  EXPECT_GT(int_at(flight, "pricePerSeat"), 0);
  EXPECT_EQ(int_at(flight, "amount"), 2 * int_at(flight, "pricePerSeat")) << r.body;

  const json::object& hotel = object_at(trip, "hotel");
  EXPECT_EQ(string_at(hotel, "city"), "New York") << r.body;
  EXPECT_EQ(string_at(hotel, "checkIn"), "2024-12-15");
  EXPECT_EQ(string_at(hotel, "checkOut"), "2024-12-18");
  EXPECT_EQ(int_at(hotel, "nights"), 3) << r.body;
  EXPECT_FALSE(string_at(hotel, "reservationId").empty()) << r.body;
  EXPECT_GE(int_at(hotel, "rooms"), 1);
  EXPECT_EQ(int_at(hotel, "amount"),
            int_at(hotel, "pricePerNight") * int_at(hotel, "nights") * int_at(hotel, "rooms"))
      << r.body;

  EXPECT_GT(int_at(trip, "totalAmount"), 0) << r.body;
  EXPECT_EQ(int_at(trip, "totalAmount"), int_at(flight, "amount") + int_at(hotel, "amount"))
      << r.body;
  const json::object& payment = object_at(trip, "payment");
  EXPECT_EQ(string_at(payment, "status"), "captured") << r.body;
  EXPECT_FALSE(string_at(payment, "transactionId").empty()) << r.body;
  EXPECT_EQ(int_at(payment, "amount"), int_at(trip, "totalAmount")) << r.body;
  EXPECT_EQ(compensations_of(trip), kNone) << r.body;
  EXPECT_EQ(money_text(money_at_gateway("trip-001")), kChargedOnce);

  // GetStatus shows the same confirmed trip.
  HttpResult status = get_status("trip-001");
  EXPECT_EQ(status.status, 200u) << status.body;
  EXPECT_EQ(string_at(object_or_empty(status), "status"), "confirmed") << status.body;

  // The confirmation is in the mailbox, to alice, about trip-001.
  json::array mail;
  EXPECT_TRUE(await(5s, [&] {
    mail = notifications("?trip_id=trip-001");
    return !mail.empty();
  })) << "no notification for trip-001";
  ASSERT_EQ(mail.size(), 1u) << json::serialize(mail);
  const json::object& sent = mail[0].as_object();
  EXPECT_EQ(string_at(sent, "to"), "alice@example.com") << json::serialize(sent);
  EXPECT_EQ(string_at(sent, "trip_id"), "trip-001");
  EXPECT_EQ(string_at(sent, "kind"), "trip.confirmed");
  EXPECT_FALSE(string_at(sent, "subject").empty());
  const json::array& ids = array_at(trip, "notifications");
  ASSERT_EQ(ids.size(), 1u) << r.body;
  EXPECT_EQ(ids[0], sent.at("id")) << "the trip names the notification it sent";
}

// ---- 2. The same call twice --------------------------------------------------------------------

// A retried BookTrip attaches to the booking and answers its result; nothing is booked twice.
// Another body for the same trip id is a conflict.
TEST_F(TravelTest, ASecondIdenticalCallAttachesAndAnotherBodyConflicts) {
  ASSERT_TRUE(start(catalog_json({{"TA1", 10}}, {{"inn", 10}})));
  HttpResult first = book("trip-twice", body_of({}));
  ASSERT_EQ(first.status, 200u) << first.body;
  ASSERT_EQ(string_at(object_or_empty(first), "status"), "confirmed") << first.body;

  HttpResult again = book("trip-twice", body_of({}));
  EXPECT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(again.body, first.body) << "the same call attaches and answers the same";

  TripWish other;
  other.passengers = 1;
  HttpResult conflict = book("trip-twice", body_of(other));
  EXPECT_EQ(conflict.status, 409u) << conflict.body;
  EXPECT_NE(conflict.body.find("already invoked"), std::string::npos) << conflict.body;

  // Booked once: two seats and one room taken, whatever was asked after.
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10 - 2);
  EXPECT_EQ(rooms_available("inn"), 10 - 1);
  EXPECT_EQ(get_status("trip-twice").body, first.body);
  EXPECT_EQ(money_text(money_at_gateway("trip-twice")), kChargedOnce);
}

// A body orderd cannot read is refused before anything starts: no trip exists after it.
TEST_F(TravelTest, ABadBodyIsRefusedBeforeAnythingStarts) {
  ASSERT_TRUE(start(catalog_json({{"TA1", 10}}, {{"inn", 10}})));
  TripWish zero;
  zero.passengers = 0;
  HttpResult r = book("trip-bad", body_of(zero));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(get_status("trip-bad").status, 404u);
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10);
  // The id is free: a good body books it.
  booked("trip-bad", {}, "confirmed");
}

// ---- 3. A sold-out route -----------------------------------------------------------------------

// The route's only flight has N seats: N trips of one take them all, and the next fails no_seats
// holding nothing: no flight, no hotel, nothing to compensate, and the hotel's rooms untouched.
TEST_F(TravelTest, ASoldOutRouteFailsWithNothingHeld) {
  constexpr std::int64_t kSeats = 3;
  constexpr std::int64_t kRooms = 10;
  ASSERT_TRUE(start(catalog_json({{"TA1", kSeats}}, {{"inn", kRooms}})));
  TripWish one;
  one.passengers = 1;
  one.guests = 1;
  for (int i = 0; i < kSeats; ++i) booked("trip-seat-" + std::to_string(i), one, "confirmed");
  ASSERT_EQ(seats_available("TA1-2024-12-15"), 0);
  ASSERT_EQ(rooms_available("inn"), kRooms - kSeats);

  const json::object trip = booked("trip-too-late", one, "failed");
  EXPECT_EQ(string_at(trip, "reason"), "no_seats") << json::serialize(trip);
  EXPECT_TRUE(is_null(trip, "flight")) << json::serialize(trip);
  EXPECT_TRUE(is_null(trip, "hotel")) << json::serialize(trip);
  EXPECT_TRUE(is_null(trip, "payment")) << json::serialize(trip);
  EXPECT_EQ(compensations_of(trip), kNone) << json::serialize(trip);
  // Nothing held: the hotel's rooms are as the confirmed trips left them.
  EXPECT_EQ(rooms_available("inn"), kRooms - kSeats);
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 0);
  EXPECT_EQ(money_text(money_at_gateway("trip-too-late")), kNoMoney);
}

// ---- 4. A full hotel ---------------------------------------------------------------------------

// The named hotel's only room is taken: the flight reserved for the trip is released, and its
// seats are back.
TEST_F(TravelTest, AFullHotelReleasesTheFlight) {
  constexpr std::int64_t kSeats = 10;
  ASSERT_TRUE(start(catalog_json({{"TA1", kSeats}}, {{"tiny", 1}, {"big", 20, 2, 50000}})));
  TripWish tiny;
  tiny.hotel_id = "tiny";
  booked("trip-fills-tiny", tiny, "confirmed");
  ASSERT_EQ(rooms_available("tiny"), 0);
  ASSERT_EQ(seats_available("TA1-2024-12-15"), kSeats - 2);

  const json::object trip = booked("trip-tiny-full", tiny, "failed");
  EXPECT_EQ(string_at(trip, "reason"), "no_rooms") << json::serialize(trip);
  EXPECT_EQ(compensations_of(trip), kReleaseFlight) << json::serialize(trip);
  EXPECT_TRUE(is_null(trip, "hotel")) << json::serialize(trip);
  EXPECT_EQ(string_at(object_at(trip, "flight"), "flightId"), "TA1-2024-12-15")
      << json::serialize(trip);
  EXPECT_NE(string_at(object_at(trip, "flight"), "status"), "held") << json::serialize(trip);
  // The seats are back: only the first trip's two are taken; the big hotel was never touched.
  EXPECT_EQ(seats_available("TA1-2024-12-15"), kSeats - 2);
  EXPECT_EQ(rooms_available("tiny"), 0);
  EXPECT_EQ(rooms_available("big"), 20);
  EXPECT_EQ(money_text(money_at_gateway("trip-tiny-full")), kNoMoney);
}

// ---- 5. A declined payment ---------------------------------------------------------------------

// The card is declined after both were reserved: the hotel, then the flight, are released, and
// every seat and room is back.
TEST_F(TravelTest, ADeclinedPaymentReleasesTheHotelThenTheFlight) {
  ASSERT_TRUE(start(catalog_json({{"TA1", 10}}, {{"inn", 5}})));
  TripWish declined;
  declined.payment = "mock_declined";
  const json::object trip = booked("trip-declined", declined, "failed");
  EXPECT_EQ(string_at(trip, "reason"), "payment_declined") << json::serialize(trip);
  EXPECT_EQ(compensations_of(trip), kReleaseBoth) << json::serialize(trip);
  EXPECT_EQ(string_at(object_at(trip, "payment"), "status"), "declined") << json::serialize(trip);
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10);
  EXPECT_EQ(rooms_available("inn"), 5);
  const payments::MoneyCount money = money_at_gateway("trip-declined");
  EXPECT_EQ(money.captured + money.refunded, 0u) << money_text(money);
  // The customer hears it failed.
  json::array mail;
  EXPECT_TRUE(await(5s, [&] {
    mail = notifications("?trip_id=trip-declined");
    return !mail.empty();
  }));
  ASSERT_FALSE(mail.empty());
  EXPECT_EQ(string_at(mail[0].as_object(), "kind"), "trip.failed") << json::serialize(mail);
}

// ---- 6. Cancelling -----------------------------------------------------------------------------

// CancelTrip after the confirmation refunds, releases the hotel and the flight, in that order;
// asked again, it answers the same and refunds nothing more.
TEST_F(TravelTest, CancellingAConfirmedTripUndoesItOnceHoweverOftenAsked) {
  ASSERT_TRUE(start(catalog_json({{"TA1", 10}}, {{"inn", 5}})));
  booked("trip-cancel", {}, "confirmed");
  ASSERT_EQ(seats_available("TA1-2024-12-15"), 8);
  ASSERT_EQ(rooms_available("inn"), 4);

  HttpResult first = cancel("trip-cancel");
  ASSERT_EQ(first.status, 200u) << first.body;
  const json::object trip = object_or_empty(first);
  EXPECT_EQ(string_at(trip, "status"), "cancelled") << first.body;
  EXPECT_EQ(compensations_of(trip), kUndoAll) << first.body;
  EXPECT_EQ(string_at(object_at(trip, "payment"), "status"), "refunded") << first.body;

  HttpResult second = cancel("trip-cancel");
  EXPECT_EQ(second.status, 200u) << second.body;
  EXPECT_EQ(second.body, first.body) << "a second CancelTrip answers what the first did";

  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10);
  EXPECT_EQ(rooms_available("inn"), 5);
  HttpResult status = get_status("trip-cancel");
  EXPECT_EQ(string_at(object_or_empty(status), "status"), "cancelled") << status.body;
  EXPECT_EQ(compensations_of(object_or_empty(status)), kUndoAll) << status.body;
  EXPECT_EQ(money_text(money_at_gateway("trip-cancel")), kRefundedOnce);
  // A BookTrip retried after the cancel does not book again.
  EXPECT_EQ(book("trip-cancel", body_of({})).status, 200u);
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10);
  json::array mail;
  EXPECT_TRUE(await(5s, [&] {
    mail = notifications("?trip_id=trip-cancel");
    return mail.size() >= 2;
  }));
  ASSERT_EQ(mail.size(), 2u) << "the confirmation and the cancellation: " << json::serialize(mail);
  EXPECT_EQ(string_at(mail[0].as_object(), "kind"), "trip.cancelled") << json::serialize(mail);
}

// CancelTrip while BookTrip's charge is at the gateway: the booking notices the cancel once the
// charge is back, refunds it, releases both, and ends cancelled.
TEST_F(TravelTest, CancellingWhileTheChargeIsInFlightEndsCancelledWithEverythingReleased) {
  ASSERT_TRUE(start(catalog_json({{"TA1", 10}}, {{"inn", 5}}), {"--payment-latency-ms", "700"}));
  HttpResult sent = api->post("/TripOrchestrator/trip-in-flight/BookTrip/send", body_of({}));
  ASSERT_EQ(sent.status, 202u) << sent.body;

  json::object status;
  ASSERT_TRUE(await(10s,
                    [&] {
                      status = object_or_empty(get_status("trip-in-flight"));
                      return string_at(status, "step") == "charging";
                    }))
      << "the booking never reached its charge: " << json::serialize(status);
  EXPECT_EQ(string_at(status, "status"), "booking") << json::serialize(status);
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 8) << "the seats are held while charging";

  HttpResult cancelled = cancel("trip-in-flight");
  json::object trip = object_or_empty(cancelled);
  if (cancelled.status == 200u && string_at(trip, "status") == "booking") trip = {};
  EXPECT_TRUE(await(10s,
                    [&] {
                      if (string_at(trip, "status") == "cancelled") return true;
                      trip = object_or_empty(get_status("trip-in-flight"));
                      return string_at(trip, "status") == "cancelled";
                    }))
      << "CancelTrip answered " << cancelled.status << " " << cancelled.body << "; the trip is "
      << json::serialize(trip);
  EXPECT_EQ(string_at(trip, "reason"), "trip_cancelled") << json::serialize(trip);
  EXPECT_EQ(compensations_of(trip), kUndoAll) << json::serialize(trip);
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10);
  EXPECT_EQ(rooms_available("inn"), 5);
  EXPECT_EQ(money_text(money_at_gateway("trip-in-flight")), kRefundedOnce);
  // BookTrip's own answer, attached to, says the same.
  HttpResult attached = book("trip-in-flight", body_of({}));
  EXPECT_EQ(attached.status, 200u) << attached.body;
  EXPECT_EQ(string_at(object_or_empty(attached), "status"), "cancelled") << attached.body;
}

// ---- 7. Internal handlers ----------------------------------------------------------------------

// What a caller of the public ingress must not reach: holding seats or rooms, charging or
// refunding, mailing anyone. Each answers as a path that does not exist.
const std::vector<std::pair<std::string, std::string>> kInternal = {
    {"/FlightService/Reserve",
     R"({"reservationId":"flt_x","tripId":"x","flightId":"TA1-2024-12-15","passengers":5})"},
    {"/FlightService/Confirm", R"({"reservationId":"flt_x"})"},
    {"/FlightService/Cancel", R"({"reservationId":"flt_x"})"},
    {"/HotelService/Reserve",
     R"({"reservationId":"htl_x","tripId":"x","hotelId":"inn","checkIn":"2024-12-15","checkOut":"2024-12-18","guests":2})"},
    {"/HotelService/Confirm", R"({"reservationId":"htl_x"})"},
    {"/HotelService/Cancel", R"({"reservationId":"htl_x"})"},
    {"/TripPaymentService/Charge",
     R"({"tripId":"x","amount":100,"currency":"USD","method":"mock"})"},
    {"/TripPaymentService/Refund", R"({"tripId":"x"})"},
    {"/NotificationService/SendEmail",
     R"({"to":"victim@example.com","subject":"hi","body":"pay here","kind":"trip.confirmed"})"},
};

TEST_F(TravelTest, InternalHandlersAreNotFoundOnThePublicIngress) {
  ASSERT_TRUE(start(catalog_json({{"TA1", 10}}, {{"inn", 5}})));
  for (const auto& [path, body] : kInternal) {
    HttpResult r = api->post(path, body);
    EXPECT_EQ(r.status, 404u) << path << ": " << r.body;
  }
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 10) << "the search is public, and nothing is held";
  EXPECT_EQ(rooms_available("inn"), 5);
  EXPECT_TRUE(notifications("").empty()) << "nobody was mailed";
}

TEST_F(TravelTest, InternalHandlersAreNotFoundForACustomer) {
  ASSERT_TRUE(start_with_authentication(catalog_json({{"TA1", 10}}, {{"inn", 5}})));
  const std::string customer = token("customer-a", "customer");
  for (const auto& [path, body] : kInternal) {
    HttpResult r = api->post(path, body, bearer(customer));
    EXPECT_EQ(r.status, 404u) << path << ": " << r.body;
  }
  EXPECT_EQ(seats_available("TA1-2024-12-15", customer), 10)
      << "the search is open to a customer, and nothing is held";
  HttpResult mail = api->request("GET", "/api/v1/notifications", "", bearer(token("ops", "admin")));
  EXPECT_EQ(mail.status, 200u) << mail.body;
  EXPECT_TRUE(array_at(object_or_empty(mail), "data").empty())
      << "nobody was mailed: " << mail.body;
}

// ---- 8. Concurrency ----------------------------------------------------------------------------

// 200 trips of one passenger each race for the 50 seats of the route's only flight (the hotel
// has a room for every one of them, so seats are the only contention): exactly 50 are confirmed,
// the other 150 fail no_seats, the flight ends with no seat free and none oversold, and every
// room a failed trip held is back.
TEST_F(TravelTest, TwoHundredConcurrentBookingsConfirmExactlyTheFiftySeats) {
  constexpr int kTrips = 200;
  constexpr std::int64_t kSeats = 50;
  constexpr std::int64_t kRooms = 200;
  constexpr int kClients = kTrips;  // a connection each, all sent at once
  ASSERT_TRUE(start(catalog_json({{"TA1", kSeats}}, {{"inn", kRooms, 1}})));
  const std::uint16_t port = orderd->port();

  std::vector<HttpResult> answers(kTrips);
  std::latch go(kClients);
  {
    std::vector<std::jthread> clients;
    for (int c = 0; c < kClients; ++c)
      clients.emplace_back([&, c] {
        std::optional<HttpClient> client;
        try {
          client.emplace(port);
        } catch (const std::exception&) {
        }
        go.arrive_and_wait();
        if (!client) return;
        TripWish one;
        one.passengers = 1;
        one.guests = 1;
        for (int i = c; i < kTrips; i += kClients) {
          one.customer_id = "customer-" + std::to_string(i);
          try {
            answers[i] = client->post("/TripOrchestrator/race-" + std::to_string(i) + "/BookTrip",
                                      body_of(one));
          } catch (const std::exception& e) {
            answers[i].body = e.what();
          }
        }
      });
  }

  int confirmed = 0, failed = 0;
  std::set<std::string> seat_reservations;
  for (int i = 0; i < kTrips; ++i) {
    const HttpResult& r = answers[i];
    ASSERT_EQ(r.status, 200u) << "race-" << i << ": " << r.body;
    const json::object trip = object_or_empty(r);
    const std::string status = string_at(trip, "status");
    if (status == "confirmed") {
      ++confirmed;
      EXPECT_EQ(int_at(object_at(trip, "flight"), "passengers"), 1) << r.body;
      EXPECT_EQ(int_at(object_at(trip, "hotel"), "rooms"), 1) << r.body;
      seat_reservations.insert(string_at(object_at(trip, "flight"), "reservationId"));
      EXPECT_EQ(money_text(money_at_gateway("race-" + std::to_string(i))), kChargedOnce);
    } else {
      ++failed;
      EXPECT_EQ(status, "failed") << r.body;
      EXPECT_EQ(string_at(trip, "reason"), "no_seats") << r.body;
      EXPECT_TRUE(is_null(trip, "flight")) << r.body;
      // A room held before the seats ran out was released.
      const Compensations expected =
          is_null(trip, "hotel") ? kNone : Compensations{"release_hotel done"};
      EXPECT_EQ(compensations_of(trip), expected) << r.body;
      EXPECT_EQ(money_text(money_at_gateway("race-" + std::to_string(i))), kNoMoney);
    }
  }
  EXPECT_EQ(confirmed, kSeats) << "the flight has " << kSeats << " seats";
  EXPECT_EQ(failed, kTrips - kSeats);
  EXPECT_EQ(seat_reservations.size(), static_cast<std::size_t>(confirmed));
  EXPECT_EQ(seats_available("TA1-2024-12-15"), 0) << "all sold, none oversold";
  EXPECT_EQ(rooms_available("inn"), kRooms - confirmed) << "every failed trip's room is back";
}

// ---- 9. Authentication on ----------------------------------------------------------------------

// Customer A books as itself only, and sees B's trip exactly as a trip that does not exist; an
// admin sees both; A's mailbox lists only A's mail.
TEST_F(TravelTest, ACustomerBooksAsItselfAndSeesOnlyItsOwnTrips) {
  ASSERT_TRUE(start_with_authentication(catalog_json({{"TA1", 20}}, {{"inn", 10}})));
  const std::string a = token("customer-a", "customer");
  const std::string b = token("customer-b", "customer");
  const std::string admin = token("ops", "admin");
  TripWish as_a, as_b;
  as_a.customer_id = "customer-a";
  as_a.email = "a@example.com";
  as_b.customer_id = "customer-b";
  as_b.email = "b@example.com";

  EXPECT_EQ(book("trip-anonymous", body_of(as_a)).status, 401u);

  HttpResult mine = book("trip-a", body_of(as_a), a);
  ASSERT_EQ(mine.status, 200u) << mine.body;
  EXPECT_EQ(string_at(object_or_empty(mine), "status"), "confirmed") << mine.body;

  HttpResult for_b = book("trip-a-for-b", body_of(as_b), a);
  EXPECT_EQ(for_b.status, 403u) << "A books in B's name: " << for_b.body;
  EXPECT_EQ(get_status("trip-a-for-b", admin).status, 404u) << "nothing started";

  HttpResult theirs = book("trip-b", body_of(as_b), b);
  ASSERT_EQ(theirs.status, 200u) << theirs.body;
  ASSERT_EQ(string_at(object_or_empty(theirs), "status"), "confirmed") << theirs.body;
  EXPECT_EQ(seats_available("TA1-2024-12-15", a), 20 - 4);

  // A on B's trip: exactly what A gets for a trip that does not exist.
  const std::string unknown_id = "trip-nobody";
  for (const auto& handler : {"GetStatus", "CancelTrip"}) {
    auto at = [&](const std::string& id) {
      std::string p = "/TripOrchestrator/" + id + "/" + handler;
      return api->post(p, "{}", bearer(a));
    };
    HttpResult got = at("trip-b");
    HttpResult unknown = at(unknown_id);
    EXPECT_EQ(got.status, 404u) << handler << ": " << got.body;
    EXPECT_EQ(got.status, unknown.status) << handler << ": " << unknown.body;
    std::string shown = got.body;
    if (auto p = shown.find("trip-b"); p != std::string::npos)
      shown.replace(p, std::string("trip-b").size(), unknown_id);
    EXPECT_EQ(shown, unknown.body) << handler << ": B's trip must look unknown to A";
    EXPECT_EQ(code_of(got), code_of(unknown));
  }

  // B's trip is untouched, and the admin sees it.
  HttpResult seen = get_status("trip-b", admin);
  EXPECT_EQ(seen.status, 200u) << seen.body;
  EXPECT_EQ(string_at(object_or_empty(seen), "status"), "confirmed") << seen.body;
  EXPECT_EQ(string_at(object_or_empty(seen), "customerId"), "customer-b") << seen.body;
  EXPECT_EQ(seats_available("TA1-2024-12-15", a), 20 - 4);
  EXPECT_EQ(get_status("trip-b", b).status, 200u);

  // A's mailbox: A's confirmation, never B's, even asked for by trip id.
  json::array mail;
  EXPECT_TRUE(await(5s, [&] {
    mail = notifications("", a);
    return !mail.empty();
  }));
  for (const auto& n : mail) {
    EXPECT_EQ(string_at(n.as_object(), "trip_id"), "trip-a") << json::serialize(mail);
    EXPECT_EQ(string_at(n.as_object(), "to"), "a@example.com") << json::serialize(mail);
  }
  EXPECT_TRUE(notifications("?trip_id=trip-b", a).empty());
  EXPECT_EQ(notifications("?trip_id=trip-b", admin).size(), 1u);
}

}  // namespace
}  // namespace orderd::testing
