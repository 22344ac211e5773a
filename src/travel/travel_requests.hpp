#pragma once
// The requests and answers of the travel services (FlightService, HotelService,
// TripPaymentService), in the seed's camelCase. Each value_to validates what it reads and
// throws json::InvalidField naming the field, so the ingress answers 400 before anything starts.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "travel/travel_inventory.hpp"

namespace orderd::travel {

// POST /FlightService/Search {"from":"SFO","to":"JFK","date":"2024-12-15"}
struct FlightSearch {
  std::string from;
  std::string to;
  std::string date;
};
struct FlightSearchResult {
  std::vector<FlightOffer> flights;  // {"flightId","flightNumber",...,"price","seatsAvailable"}
};

// POST /HotelService/Search {"city":"New York","checkIn":"2024-12-15","checkOut":"2024-12-18"}
struct HotelSearch {
  std::string city;
  std::string check_in;
  std::string check_out;
};
struct HotelSearchResult {
  std::vector<HotelOffer> hotels;  // {"hotelId","name","city","pricePerNight","roomsAvailable"}
};

// FlightService/Reserve (internal): seats for a trip, held until confirmed, cancelled or
// expired (--travel-hold-ttl).
struct SeatReservation {
  std::string reservation_id;
  std::string trip_id;
  std::string flight_id;
  std::int64_t passengers = 0;
};
// HotelService/Reserve (internal): rooms every night of [checkIn, checkOut).
struct RoomReservation {
  std::string reservation_id;
  std::string trip_id;
  std::string hotel_id;
  std::string check_in;
  std::string check_out;
  std::int64_t guests = 0;
};
// FlightService/Confirm|Cancel, HotelService/Confirm|Cancel (internal).
struct ReservationRef {
  std::string reservation_id;
};

// TripPaymentService/Charge (internal): authorize and capture on the shared payment ledger,
// owner "trip:<tripId>".
struct TripCharge {
  std::string trip_id;
  std::int64_t amount = 0;
  std::string currency;
  std::string method = "mock";
};
struct TripCharged {
  std::string transaction_id;  // the capture's gateway reference
  std::int64_t amount = 0;
  std::string currency;
  std::string status;  // "captured"
};
// TripPaymentService/Refund (internal): gives back whatever the trip's payment holds (a void
// or a refund), once however often it is called.
struct TripRefund {
  std::string trip_id;
};
struct TripRefunded {
  std::string status;  // the payment's status after: "refunded", "voided", "declined", "none",
                       // "needs_attention"
  std::int64_t amount = 0;
};

// The payment owner of a trip: "trip:<tripId>".
std::string trip_owner(const std::string& trip_id);
// A trip id: 1..100 of [A-Za-z0-9_-] (so its payment owner and booking ids are valid).
bool valid_trip_id(const std::string& trip_id);

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FlightOffer& o);
FlightOffer tag_invoke(boost::json::value_to_tag<FlightOffer>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const HotelOffer& o);
HotelOffer tag_invoke(boost::json::value_to_tag<HotelOffer>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FlightSearch& r);
FlightSearch tag_invoke(boost::json::value_to_tag<FlightSearch>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FlightSearchResult& r);
FlightSearchResult tag_invoke(boost::json::value_to_tag<FlightSearchResult>,
                              const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const HotelSearch& r);
HotelSearch tag_invoke(boost::json::value_to_tag<HotelSearch>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const HotelSearchResult& r);
HotelSearchResult tag_invoke(boost::json::value_to_tag<HotelSearchResult>,
                             const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SeatReservation& r);
SeatReservation tag_invoke(boost::json::value_to_tag<SeatReservation>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const RoomReservation& r);
RoomReservation tag_invoke(boost::json::value_to_tag<RoomReservation>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReservationRef& r);
ReservationRef tag_invoke(boost::json::value_to_tag<ReservationRef>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TripCharge& r);
TripCharge tag_invoke(boost::json::value_to_tag<TripCharge>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TripCharged& r);
TripCharged tag_invoke(boost::json::value_to_tag<TripCharged>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TripRefund& r);
TripRefund tag_invoke(boost::json::value_to_tag<TripRefund>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TripRefunded& r);
TripRefunded tag_invoke(boost::json::value_to_tag<TripRefunded>, const boost::json::value& v);

}  // namespace orderd::travel
