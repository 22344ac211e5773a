#pragma once
// A trip as TripOrchestrator books it: the request (the seed's body), and the record the
// workflow keeps in its state and answers with — BookTrip's result, GetStatus's view and
// CancelTrip's answer are all this one record.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orderd::travel {

// POST /TripOrchestrator/{tripId}/BookTrip
//   {"customerId","customerEmail","flight":{"from","to","date","passengers"[,"flightNumber"]},
//    "hotel":{"city","checkIn","checkOut","guests"[,"hotelId"]}[,"payment":{"method"}]}
struct TripRequest {
  std::string customer_id;
  std::string customer_email;
  struct FlightWish {
    std::string from;
    std::string to;
    std::string date;
    std::int64_t passengers = 0;
    std::string flight_number;  // optional: this flight, not the cheapest
  } flight;
  struct HotelWish {
    std::string city;
    std::string check_in;
    std::string check_out;
    std::int64_t guests = 0;
    std::string hotel_id;  // optional: this hotel, not the cheapest
  } hotel;
  std::string payment_method = "mock";  // mock | mock_declined (| mock_flaky)
};

struct TripFlight {
  std::string reservation_id;
  std::string flight_id;
  std::string flight_number;
  std::string airline;
  std::string from;
  std::string to;
  std::string date;
  std::string departs;
  std::int64_t passengers = 0;
  std::int64_t price_per_seat = 0;
  std::int64_t amount = 0;
  std::string status;  // the booking's: held, confirmed, cancelled, expired
};

struct TripHotel {
  std::string reservation_id;
  std::string hotel_id;
  std::string name;
  std::string city;
  std::string check_in;
  std::string check_out;
  std::int64_t nights = 0;
  std::int64_t rooms = 0;
  std::int64_t guests = 0;
  std::int64_t price_per_night = 0;
  std::int64_t amount = 0;
  std::string status;
};

struct TripPayment {
  std::string transaction_id;
  std::int64_t amount = 0;
  std::string currency;
  std::string method;
  std::string status;  // captured, refunded, voided, declined, needs_attention, ...
};

// One compensation that ran, in the order it ran.
struct TripCompensation {
  std::string action;  // release_hotel, release_flight, refund_payment
  std::string status;  // done, failed
  std::string detail;
};

struct Trip {
  std::string trip_id;
  std::string customer_id;
  std::string customer_email;
  // booking -> confirmed | failed | cancelled; confirmed -> cancelled (CancelTrip).
  std::string status = "booking";
  // Where the workflow is: searching, reserving, charging, confirming, notifying, compensating,
  // cancelling, done.
  std::string step = "searching";
  std::optional<TripFlight> flight;
  std::optional<TripHotel> hotel;
  std::optional<TripPayment> payment;
  std::int64_t total_amount = 0;
  std::string currency = "USD";
  std::string reason;   // a failure's stable code: no_seats, no_rooms, payment_declined, ...
  std::string message;  // and what happened, for people
  std::vector<TripCompensation> compensations;
  std::vector<std::string> notifications;  // ids of the notifications sent
  std::vector<std::string> errors;         // what went wrong without failing the trip
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TripRequest& r);
TripRequest tag_invoke(boost::json::value_to_tag<TripRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Trip& t);
Trip tag_invoke(boost::json::value_to_tag<Trip>, const boost::json::value& v);

}  // namespace orderd::travel
