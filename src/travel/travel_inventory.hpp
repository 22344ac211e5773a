#pragma once
// Seats and room-nights: the travel catalog's countable resources, kept in the shared inventory
// component (inventory/inventory.hpp) as "seat/<flightId>" and "room/<hotelId>/<YYYY-MM-DD>",
// with the bookings held, confirmed and ended on them. Pure logic, no engine, no I/O: one thread
// owns it and decides with it inside journaled steps (Context::transact), whose rows commit with
// the step (the caller's WriteSet). Memory changes only when a call returns a value; an Error
// leaves memory and the write set as they were.
//
// Invariants (the inventory's I1-I8 hold beneath them):
//  T1. Never overbooked: on every flight, seats held + sold <= the flight's seats; in every
//      hotel, each night, rooms held + sold <= the hotel's rooms.
//  T2. A booking holds all it needs or nothing: every seat, or a room every night of the stay
//      (rooms = ceil(guests / roomCapacity)); the first resource short refuses it whole.
//  T3. A booking ends once: held -> confirmed | cancelled | expired, confirmed -> cancelled.
//      Confirming sells its units; cancelling a held one releases them, a confirmed one returns
//      them (once); a cancelled or expired booking is never counted again. confirm and cancel
//      of a booking already in the state asked for are answered as it is and write nothing.
//  T4. A room-night is created, with the hotel's rooms on hand, the first time a booking holds
//      it; before that, search counts the hotel's rooms as free that night.
//  T5. Memory holds every held and confirmed booking and the levels of every resource; rows
//      hold every booking in any state. Loading the rows rebuilds memory exactly.
//
// Tables (JSON rows):
//   travel_flights   flightId -> Flight          travel_hotels  hotelId -> Hotel
//   travel_levels    resource key -> {"on_hand", "sold"}
//   travel_bookings  bookingId -> Booking (any status)
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/json/fwd.hpp>

#include "common/error.hpp"
#include "engine/write_set.hpp"
#include "inventory/inventory.hpp"
#include "travel/travel_catalog.hpp"

namespace orderd::travel {

enum class BookingStatus { kHeld, kConfirmed, kCancelled, kExpired };
std::string_view to_string(BookingStatus status) noexcept;  // "held", "confirmed", ...

// Seats on one flight, or rooms in one hotel for the nights of a stay.
struct Booking {
  std::string id;     // the caller's: "flt_<trip>", "htl_<trip>"
  std::string kind;   // "flight" or "hotel"
  std::string owner;  // "trip:<tripId>"
  // A flight's:
  std::string flight_id;
  std::string flight_number;
  // A hotel's:
  std::string hotel_id;
  std::string hotel_name;
  std::string check_in;
  std::string check_out;
  std::vector<std::string> nights;
  std::int64_t guests = 0;
  std::int64_t quantity = 0;    // seats, or rooms each night
  std::int64_t unit_price = 0;  // per seat, or per room and night
  std::int64_t amount = 0;      // the booking's total: unit_price * quantity (* nights)
  std::string currency;
  BookingStatus status = BookingStatus::kHeld;
  std::int64_t expires_at_ms = 0;  // a held booking's; 0: never
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  bool operator==(const Booking&) const = default;
};

struct FlightOffer {
  Flight flight;
  std::int64_t seats_available = 0;
};
struct HotelOffer {
  Hotel hotel;
  std::int64_t rooms_available = 0;  // the fewest free rooms over the nights of the stay
};

struct FlightHoldRequest {
  std::string booking_id;
  std::string owner;
  std::string flight_id;
  std::int64_t passengers = 0;
  std::int64_t expires_at_ms = 0;
};
struct HotelHoldRequest {
  std::string booking_id;
  std::string owner;
  std::string hotel_id;
  std::string check_in;
  std::string check_out;
  std::int64_t guests = 0;
  std::int64_t expires_at_ms = 0;
};

// Every limit of a request (flags: --travel-max-nights, --travel-max-party).
struct TravelLimits {
  std::size_t max_nights = 30;
  std::int64_t max_party = 9;  // passengers on one booking, guests in one stay
  std::size_t max_search_results = 50;
};

class TravelInventory {
 public:
  static constexpr const char* kFlights = "travel_flights";
  static constexpr const char* kHotels = "travel_hotels";
  static constexpr const char* kLevels = "travel_levels";
  static constexpr const char* kBookings = "travel_bookings";

  explicit TravelInventory(TravelLimits limits = {}) : limits_(limits) {}
  const TravelLimits& limits() const { return limits_; }

  // ---- The catalog (seeding). A flight's seats become its resource's on_hand. Errors:
  // invalid_argument/invalid_flight, invalid_hotel (naming the field); conflict/flight_exists,
  // hotel_exists.
  std::optional<Error> add_flight(const Flight& flight, WriteSet& writes);
  std::optional<Error> add_hotel(const Hotel& hotel, WriteSet& writes);
  const Flight* flight(const std::string& flight_id) const;
  const Hotel* hotel(const std::string& hotel_id) const;
  bool empty() const { return flights_.empty() && hotels_.empty(); }
  std::size_t flight_count() const { return flights_.size(); }
  std::size_t hotel_count() const { return hotels_.size(); }

  // ---- Search: the route's flights on the date, cheapest first (then by flight number), with
  // their free seats; the city's hotels (case-insensitive) with the fewest free rooms over the
  // stay, cheapest first (then by id). At most max_search_results each. Errors:
  // invalid_argument/invalid_date, invalid_stay (check-out not after check-in, past max_nights).
  std::vector<FlightOffer> search_flights(const std::string& from, const std::string& to,
                                          const std::string& date) const;
  std::variant<std::vector<HotelOffer>, Error> search_hotels(const std::string& city,
                                                             const std::string& check_in,
                                                             const std::string& check_out) const;
  static std::int64_t rooms_needed(std::int64_t guests, std::int64_t room_capacity);

  // ---- Bookings (T2, T3). Errors: invalid_argument/invalid_booking (empty id or owner),
  // invalid_party (passengers or guests < 1 or > max_party), invalid_date, invalid_stay;
  // not_found/unknown_flight, unknown_hotel; conflict/booking_exists (the id was used),
  // conflict/no_seats (details {flightId, requested, available}), conflict/no_rooms (details
  // {hotelId, night, requested, available}).
  std::variant<Booking, Error> hold_seats(const FlightHoldRequest& request, std::int64_t now_ms,
                                          WriteSet& writes);
  std::variant<Booking, Error> hold_rooms(const HotelHoldRequest& request, std::int64_t now_ms,
                                          WriteSet& writes);
  // Memory knows only the held and confirmed bookings (T5); `stored` is the booking's durable
  // row, which the caller reads (Engine::read_row of kBookings) when booking() is nullptr, so an
  // ended booking is answered as it ended. A stored row that still says held or confirmed of a
  // booking memory no longer has is an end whose row is still committing: booking_not_held with
  // status "ending" (ask again). hold_seats / hold_rooms see only the open bookings' ids: the
  // caller refuses an id whose row exists.
  //
  // confirm: not_found/booking_not_found (no held or confirmed booking has the id and `stored`
  // is nullopt), conflict/booking_not_held (cancelled or expired: details {bookingId, status}).
  // A held booking past its expiry that the timer has not ended yet may still be confirmed.
  std::variant<Booking, Error> confirm(const std::string& booking_id, std::int64_t now_ms,
                                       WriteSet& writes,
                                       const std::optional<Booking>& stored = std::nullopt);
  // cancel: not_found/booking_not_found; an expired booking is answered as it is (nothing held,
  // which is what a cancel wants); conflict/booking_not_held only for "ending" (above).
  std::variant<Booking, Error> cancel(const std::string& booking_id, std::int64_t now_ms,
                                      WriteSet& writes,
                                      const std::optional<Booking>& stored = std::nullopt);
  // Ends `expired` the held bookings due at now_ms, earliest first, at most `limit`; returns how
  // many were due. For the expiry timer (engine/hold_expiry.hpp).
  std::size_t expire_due(std::int64_t now_ms, std::size_t limit, WriteSet& writes);
  std::optional<std::int64_t> next_expiry() const { return inventory_.next_expiry(); }

  // A held or confirmed booking (T5); nullptr for any other id.
  const Booking* booking(const std::string& booking_id) const;
  // The owner's held and confirmed bookings, in id order.
  std::vector<const Booking*> bookings_of(const std::string& owner) const;
  const inventory::Inventory& inventory() const { return inventory_; }

  // ---- Loading what the rows say (T5), at start, table by table in the order kFlights,
  // kHotels, kLevels, kBookings. Throws std::invalid_argument for a malformed row.
  void load_row(const std::string& table, const std::string& key, const std::string& value);
  // T1-T5 and the inventory's I1-I8, whole; the first broken, described. For tests and after
  // loading.
  std::optional<std::string> check_all() const;

 private:
  // The resources a booking holds, one line each (a flight's seats; a room every night).
  static std::vector<inventory::HoldLine> lines_of(const Booking& booking);
  // Writes the levels row of each resource in `lines`.
  void write_levels(const std::vector<inventory::HoldLine>& lines, WriteSet& writes) const;
  void write_booking(const Booking& booking, WriteSet& writes) const;
  void open(Booking booking);
  void close(const std::string& booking_id);
  // Ends a held booking (expired or cancelled, its units available again) or a confirmed one
  // (cancelled, its units returned).
  std::variant<Booking, Error> end(const std::string& booking_id, BookingStatus status,
                                   std::int64_t now_ms, WriteSet& writes);
  std::int64_t free_seats(const Flight& flight) const;
  std::int64_t free_rooms(const Hotel& hotel, const std::string& night) const;

  TravelLimits limits_;
  inventory::Inventory inventory_;
  std::map<std::string, Flight> flights_;
  std::map<std::string, Hotel> hotels_;
  std::unordered_map<std::string, Booking> open_;  // held and confirmed (T5)
  // "<from>/<to>/<date>" -> its flights' ids; a lower-cased city -> its hotels' ids.
  std::unordered_map<std::string, std::vector<std::string>> routes_;
  std::unordered_map<std::string, std::vector<std::string>> cities_;
  std::map<std::string, std::set<std::string>> owners_;  // owner -> open_'s ids
  std::set<std::string> room_nights_;  // the room-nights created (T4), as resource keys
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Booking& b);
Booking tag_invoke(boost::json::value_to_tag<Booking>, const boost::json::value& v);

}  // namespace orderd::travel
