// TripOrchestrator over the real engine and SQLite store, with the shop's payment desk and the
// mailbox: every way a booking ends, what it leaves held and charged, and a crash at every
// commit of a booking.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <optional>

#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "notifications/mailbox.hpp"
#include "notifications/notification_service.hpp"
#include "support/engine_harness.hpp"
#include "travel/travel.hpp"
#include "travel/trip.hpp"

namespace orderd::travel {
namespace {

using testing::EngineHarness;

constexpr const char* kDate = "2024-12-15";

TravelCatalogSpec small_catalog() {
  TravelCatalogSpec spec;
  // The cheapest flight has 2 seats; the dearer one 5.
  spec.flights.push_back(
      {"UA1-2024-12-15", "UA1", "United", "SFO", "JFK", kDate, "08:00", 25000, "USD", 2});
  spec.flights.push_back(
      {"AA1-2024-12-15", "AA1", "American", "SFO", "JFK", kDate, "09:00", 30000, "USD", 5});
  // The cheapest hotel has 1 room (2 guests); the dearer one 5.
  spec.hotels.push_back({"cheap-nyc", "Cheap Inn", "New York", 10000, "USD", 1, 2});
  spec.hotels.push_back({"mid-nyc", "Midtown Hotel", "New York", 20000, "USD", 5, 2});
  return spec;
}

boost::json::object trip_body(std::int64_t passengers, std::int64_t guests,
                              std::string method = "mock") {
  return {
      {"customerId", "customer-123"},
      {"customerEmail", "alice@example.com"},
      {"flight", {{"from", "SFO"}, {"to", "JFK"}, {"date", kDate}, {"passengers", passengers}}},
      {"hotel",
       {{"city", "New York"}, {"checkIn", kDate}, {"checkOut", "2024-12-18"}, {"guests", guests}}},
      {"payment", {{"method", method}}}};
}

class TripOrchestratorTest : public ::testing::Test {
 protected:
  TripOrchestratorTest() : shop(fast_payments()), travel(TravelOptions{}, shop.payments) {
    shop.register_services(harness.registry);
    travel.register_services(harness.registry);
    notifications::register_notification_service(harness.registry, mailbox);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      travel.attach(engine, scheduler);
      travel.load(store);
      if (travel.inventory.empty()) {
        seeding = true;
        engine.write_rows(seed_travel_rows(travel, small_catalog()), [this] { seeding = false; });
      }
    };
  }
  static commerce::ShopOptions fast_payments() {
    commerce::ShopOptions options;
    options.payment_timeout_ms = 50;
    return options;
  }
  void SetUp() override {
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return !seeding; }));
  }

  InvocationOutcome call(const std::string& trip_id, const std::string& handler,
                         const boost::json::value& body) {
    std::optional<InvocationOutcome> result;
    InvokeRequest request;
    request.service = "TripOrchestrator";
    request.handler = handler;
    request.object_key = trip_id;
    request.input = json::dump(body);
    harness.engine().invoke(std::move(request),
                            [&](InvocationOutcome o) { result = std::move(o); });
    EXPECT_TRUE(harness.run_until([&] { return result.has_value(); }));
    return result.value_or(InvocationOutcome{});
  }
  Trip book(const std::string& trip_id, const boost::json::value& body) {
    InvocationOutcome outcome = call(trip_id, "BookTrip", body);
    EXPECT_TRUE(outcome.ok) << outcome.body;
    return boost::json::value_to<Trip>(boost::json::parse(outcome.body));
  }
  Trip cancel(const std::string& trip_id) {
    InvocationOutcome outcome = call(trip_id, "CancelTrip", boost::json::object{});
    EXPECT_TRUE(outcome.ok) << outcome.body;
    return boost::json::value_to<Trip>(boost::json::parse(outcome.body));
  }
  const inventory::Levels& seats(const std::string& flight_id) {
    const auto key = *inventory::ResourceKey::of("seat", flight_id);
    return *travel.inventory.inventory().levels(key);
  }
  std::int64_t payment_records(const std::string& trip_id, const std::string& type) {
    return harness.query_int(
        "SELECT count(*) FROM rows WHERE tbl = 'payment_records' AND CAST(key AS TEXT) LIKE "
        "'trip:" +
        trip_id + "/%' AND CAST(value AS TEXT) LIKE '%\"type\":\"" + type +
        "\"%' AND CAST(value AS TEXT) LIKE '%\"status\":\"succeeded\"%'");
  }
  std::int64_t mails(const std::string& trip_id) {
    return harness.query_int(
        "SELECT count(*) FROM rows WHERE tbl = 'notifications' AND CAST(value AS TEXT) LIKE "
        "'%" +
        trip_id + "%'");
  }
  // Nothing is held for any trip: every seat and room-night is free or sold.
  void expect_nothing_held() {
    for (const auto& [id, booking] : travel.inventory.inventory().holds())
      ADD_FAILURE() << "still held: " << id;
    EXPECT_EQ(travel.inventory.check_all(), std::nullopt);
  }
  static std::vector<std::string> actions(const Trip& trip) {
    std::vector<std::string> out;
    for (const auto& c : trip.compensations) out.push_back(c.action + ":" + c.status);
    return out;
  }

  EngineHarness harness;
  commerce::Shop shop;
  Travel travel;
  notifications::Mailbox mailbox;
  bool seeding = false;
};

TEST_F(TripOrchestratorTest, TheSeedsTripIsConfirmedOnTheCheapestFlightAndHotelThatFit) {
  Trip trip = book("trip-001", trip_body(2, 2));
  EXPECT_EQ(trip.status, "confirmed") << trip.message;
  ASSERT_TRUE(trip.flight && trip.hotel && trip.payment);
  EXPECT_EQ(trip.flight->flight_number, "UA1");
  EXPECT_EQ(trip.flight->status, "confirmed");
  EXPECT_EQ(trip.hotel->hotel_id, "cheap-nyc");
  EXPECT_EQ(trip.hotel->nights, 3);
  EXPECT_EQ(trip.hotel->rooms, 1);
  EXPECT_EQ(trip.total_amount, 2 * 25000 + 3 * 10000);
  EXPECT_EQ(trip.payment->amount, trip.total_amount);
  EXPECT_FALSE(trip.payment->transaction_id.empty());
  EXPECT_TRUE(trip.compensations.empty());
  EXPECT_EQ(seats("UA1-2024-12-15").sold, 2);
  EXPECT_EQ(payment_records("trip-001", "authorize"), 1);
  EXPECT_EQ(payment_records("trip-001", "capture"), 1);
  EXPECT_EQ(trip.notifications.size(), 1u);
  EXPECT_EQ(mails("trip-001"), 1);
  expect_nothing_held();
}

TEST_F(TripOrchestratorTest, TheCheapestFlightWithoutEnoughSeatsIsPassedOver) {
  Trip trip = book("trip-002", trip_body(3, 2));
  EXPECT_EQ(trip.status, "confirmed") << trip.message;
  EXPECT_EQ(trip.flight->flight_number, "AA1");
  EXPECT_EQ(seats("UA1-2024-12-15").sold, 0);
  EXPECT_EQ(seats("AA1-2024-12-15").sold, 3);
}

TEST_F(TripOrchestratorTest, ARouteWithNoFlightThatHasTheSeatsFailsWithNothingHeld) {
  Trip trip = book("trip-003", trip_body(6, 2));
  EXPECT_EQ(trip.status, "failed");
  EXPECT_EQ(trip.reason, "no_seats");
  EXPECT_FALSE(trip.flight);
  EXPECT_FALSE(trip.hotel);
  EXPECT_TRUE(trip.compensations.empty());
  EXPECT_EQ(payment_records("trip-003", "authorize"), 0);
  expect_nothing_held();
}

TEST_F(TripOrchestratorTest, AFullHotelReleasesTheFlight) {
  // The named hotel has one room; four guests need two.
  auto body = trip_body(2, 4);
  body["hotel"].as_object()["hotelId"] = "cheap-nyc";
  Trip trip = book("trip-004", body);
  EXPECT_EQ(trip.status, "failed");
  EXPECT_EQ(trip.reason, "no_rooms");
  EXPECT_EQ(actions(trip), std::vector<std::string>{"release_flight:done"});
  ASSERT_TRUE(trip.flight);
  EXPECT_EQ(trip.flight->status, "cancelled");
  EXPECT_EQ(seats("UA1-2024-12-15").available(), 2);
  EXPECT_EQ(payment_records("trip-004", "authorize"), 0);
  expect_nothing_held();
}

TEST_F(TripOrchestratorTest, ADeclinedPaymentReleasesTheHotelThenTheFlight) {
  Trip trip = book("trip-005", trip_body(2, 2, "mock_declined"));
  EXPECT_EQ(trip.status, "failed");
  EXPECT_EQ(trip.reason, "payment_declined");
  EXPECT_EQ(actions(trip), (std::vector<std::string>{"release_hotel:done", "release_flight:done"}));
  EXPECT_EQ(seats("UA1-2024-12-15").available(), 2);
  EXPECT_EQ(seats("UA1-2024-12-15").sold, 0);
  EXPECT_EQ(payment_records("trip-005", "capture"), 0);
  expect_nothing_held();
}

TEST_F(TripOrchestratorTest, CancellingAConfirmedTripRefundsOnceHoweverOftenItIsAsked) {
  Trip trip = book("trip-006", trip_body(2, 2));
  ASSERT_EQ(trip.status, "confirmed");
  Trip cancelled = cancel("trip-006");
  EXPECT_EQ(cancelled.status, "cancelled");
  EXPECT_EQ(actions(cancelled),
            (std::vector<std::string>{"refund_payment:done", "release_hotel:done",
                                      "release_flight:done"}));
  Trip again = cancel("trip-006");
  EXPECT_EQ(again.status, "cancelled");
  EXPECT_EQ(again.compensations.size(), cancelled.compensations.size());
  EXPECT_EQ(payment_records("trip-006", "refund"), 1);
  EXPECT_EQ(seats("UA1-2024-12-15").sold, 0);
  EXPECT_EQ(seats("UA1-2024-12-15").available(), 2);
  EXPECT_EQ(mails("trip-006"), 2);  // confirmed, then cancelled
  InvocationOutcome status = call("trip-006", "GetStatus", boost::json::object{});
  ASSERT_TRUE(status.ok) << status.body;
  EXPECT_EQ(boost::json::value_to<Trip>(boost::json::parse(status.body)).status, "cancelled");
  expect_nothing_held();
}

TEST_F(TripOrchestratorTest, APartyOrAStayPastTheLimitsFailsWithNothingHeld) {
  Trip party = book("trip-big", trip_body(10, 2));  // --travel-max-party is 9
  EXPECT_EQ(party.status, "failed");
  EXPECT_EQ(party.reason, "invalid_party");
  auto body = trip_body(1, 1);
  body["hotel"].as_object()["checkOut"] = "2025-02-15";  // 62 nights, past 30
  Trip stay = book("trip-long", body);
  EXPECT_EQ(stay.status, "failed");
  EXPECT_EQ(stay.reason, "invalid_stay");
  for (const Trip* t : {&party, &stay}) {
    EXPECT_FALSE(t->flight);
    EXPECT_FALSE(t->hotel);
    EXPECT_TRUE(t->compensations.empty());
  }
  expect_nothing_held();
}

TEST_F(TripOrchestratorTest, AFlightServiceCannotCancelAHotelsBooking) {
  Trip trip = book("trip-kind", trip_body(1, 1));
  ASSERT_EQ(trip.status, "confirmed");
  InvocationOutcome wrong = harness.call(
      "FlightService", "Cancel", "{\"reservationId\":\"" + trip.hotel->reservation_id + "\"}");
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(wrong.body.find("no flight booking"), std::string::npos) << wrong.body;
  ASSERT_NE(travel.inventory.booking(trip.hotel->reservation_id), nullptr);
  EXPECT_EQ(travel.inventory.booking(trip.hotel->reservation_id)->status,
            BookingStatus::kConfirmed);
}

TEST_F(TripOrchestratorTest, AnUnknownTripIsNotFound) {
  InvocationOutcome status = call("trip-none", "GetStatus", boost::json::object{});
  EXPECT_FALSE(status.ok);
  EXPECT_NE(status.body.find("not found"), std::string::npos) << status.body;
}

// A crash at each commit of a booking, then a restart: the trip ends confirmed once, its seats
// sold once and its payment captured once, whatever commit the crash cut.
TEST_F(TripOrchestratorTest, ACrashAtAnyCommitEndsTheTripOnceWithOneCharge) {
  for (std::size_t batches = 1;; ++batches) {
    SCOPED_TRACE("crash after batch " + std::to_string(batches));
    const std::string trip_id = "crash-" + std::to_string(batches);
    harness.crash();
    harness.start_crashing_after(batches);
    InvokeRequest request;
    request.service = "TripOrchestrator";
    request.handler = "BookTrip";
    request.object_key = trip_id;
    request.input = json::dump(trip_body(1, 1));
    bool finished = false;
    const std::string id =
        harness.engine()
            .invoke(std::move(request), [&](InvocationOutcome) { finished = true; })
            .invocation_id;
    harness.run_until([&] { return finished || harness.store_crashed(); });
    const bool crashed = harness.store_crashed();
    harness.crash();
    harness.start();
    InvocationOutcome outcome = harness.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
    Trip trip = boost::json::value_to<Trip>(boost::json::parse(outcome.body));
    EXPECT_EQ(trip.status, "confirmed") << trip.message;
    EXPECT_EQ(payment_records(trip_id, "capture"), 1);
    EXPECT_EQ(payment_records(trip_id, "authorize"), 1);
    EXPECT_EQ(travel.inventory.check_all(), std::nullopt);
    // Seats for every confirmed trip so far, none held: cancel each so the flight never fills.
    Trip undone = cancel(trip_id);
    EXPECT_EQ(undone.status, "cancelled");
    EXPECT_EQ(seats("UA1-2024-12-15").sold + seats("AA1-2024-12-15").sold, 0);
    expect_nothing_held();
    if (!crashed) break;  // the whole booking committed without reaching the crash
    ASSERT_LT(batches, 200u) << "the booking never finished";
  }
}

}  // namespace
}  // namespace orderd::travel
