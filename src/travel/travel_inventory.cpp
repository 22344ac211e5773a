#include "travel/travel_inventory.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <stdexcept>

#include "common/json_fields.hpp"
#include "common/json_writer.hpp"
#include "travel/dates.hpp"

namespace orderd::travel {
namespace {

using inventory::HoldLine;
using inventory::ResourceKey;

constexpr std::string_view kSeat = "seat";
constexpr std::string_view kRoom = "room";

Error invalid(std::string message, std::string reason, std::string details = {}) {
  return Error::of(ErrorCode::kInvalidArgument, std::move(message), std::move(reason),
                   std::move(details));
}

Error booking_exists(const std::string& id) {
  return Error::of(ErrorCode::kConflict, "booking " + id + " exists", "booking_exists",
                   json::dump(boost::json::object{{"bookingId", id}}));
}

Error booking_not_found(const std::string& id) {
  return Error::of(ErrorCode::kNotFound, "booking " + id + " not found", "booking_not_found",
                   json::dump(boost::json::object{{"bookingId", id}}));
}

Error booking_not_held(const std::string& id, std::string_view status) {
  return Error::of(ErrorCode::kConflict, "booking " + id + " is " + std::string(status),
                   "booking_not_held",
                   json::dump(boost::json::object{{"bookingId", id}, {"status", status}}));
}

Error amount_too_large() {
  return invalid("the booking's amount does not fit in 64 bits", "amount_too_large");
}

Error invalid_party(std::int64_t party, std::int64_t max_party, const char* who) {
  return invalid(std::string(who) + " must be 1 to " + std::to_string(max_party) + ", not " +
                     std::to_string(party),
                 "invalid_party",
                 json::dump(boost::json::object{{"maxParty", max_party}, {who, party}}));
}

ResourceKey seat_key(const std::string& flight_id) {
  return *ResourceKey::of(kSeat, flight_id);  // a valid flight id is [A-Z0-9-]
}

std::optional<ResourceKey> room_key(const std::string& hotel_id, const std::string& night) {
  return ResourceKey::of(kRoom, hotel_id + "/" + night);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string route(const std::string& from, const std::string& to, const std::string& date) {
  return from + "/" + to + "/" + date;
}

std::optional<BookingStatus> status_from(std::string_view text) {
  for (auto s : {BookingStatus::kHeld, BookingStatus::kConfirmed, BookingStatus::kCancelled,
                 BookingStatus::kExpired})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool open_status(BookingStatus s) {
  return s == BookingStatus::kHeld || s == BookingStatus::kConfirmed;
}

}  // namespace

std::string_view to_string(BookingStatus status) noexcept {
  switch (status) {
    case BookingStatus::kHeld:
      return "held";
    case BookingStatus::kConfirmed:
      return "confirmed";
    case BookingStatus::kCancelled:
      return "cancelled";
    case BookingStatus::kExpired:
      return "expired";
  }
  return "held";
}

std::int64_t TravelInventory::rooms_needed(std::int64_t guests, std::int64_t room_capacity) {
  if (guests <= 0) return 0;
  if (room_capacity < 1) room_capacity = 1;
  // Not (guests + capacity - 1) / capacity: that sum may overflow.
  return guests / room_capacity + (guests % room_capacity != 0 ? 1 : 0);
}

// ---- The catalog

std::optional<Error> TravelInventory::add_flight(const Flight& flight, WriteSet& writes) {
  if (auto problem = flight_problem(flight))
    return invalid("flight " + flight.flight_id + ": " + *problem, "invalid_flight");
  if (flights_.count(flight.flight_id))
    return Error::of(ErrorCode::kConflict, "flight " + flight.flight_id + " exists",
                     "flight_exists");
  const ResourceKey key = seat_key(flight.flight_id);
  if (auto error = inventory_.set_on_hand(key, flight.seats)) return error;
  flights_.emplace(flight.flight_id, flight);
  routes_[route(flight.from, flight.to, flight.date)].push_back(flight.flight_id);
  writes.put(kFlights, flight.flight_id, json::dump(boost::json::value_from(flight)));
  write_levels({{key, 0}}, writes);
  return std::nullopt;
}

std::optional<Error> TravelInventory::add_hotel(const Hotel& hotel, WriteSet& writes) {
  if (auto problem = hotel_problem(hotel))
    return invalid("hotel " + hotel.hotel_id + ": " + *problem, "invalid_hotel");
  if (hotels_.count(hotel.hotel_id))
    return Error::of(ErrorCode::kConflict, "hotel " + hotel.hotel_id + " exists", "hotel_exists");
  hotels_.emplace(hotel.hotel_id, hotel);
  cities_[lower(hotel.city)].push_back(hotel.hotel_id);
  writes.put(kHotels, hotel.hotel_id, json::dump(boost::json::value_from(hotel)));
  return std::nullopt;  // its room-nights come with the first booking of each (T4)
}

const Flight* TravelInventory::flight(const std::string& flight_id) const {
  auto it = flights_.find(flight_id);
  return it == flights_.end() ? nullptr : &it->second;
}

const Hotel* TravelInventory::hotel(const std::string& hotel_id) const {
  auto it = hotels_.find(hotel_id);
  return it == hotels_.end() ? nullptr : &it->second;
}

// ---- Search

std::int64_t TravelInventory::free_seats(const Flight& flight) const {
  const inventory::Levels* l = inventory_.levels(seat_key(flight.flight_id));
  return l ? l->available() : flight.seats;
}

std::int64_t TravelInventory::free_rooms(const Hotel& hotel, const std::string& night) const {
  const auto key = room_key(hotel.hotel_id, night);
  const inventory::Levels* l = key ? inventory_.levels(*key) : nullptr;
  return l ? l->available() : hotel.rooms;  // T4: not created yet, every room free
}

std::vector<FlightOffer> TravelInventory::search_flights(const std::string& from,
                                                         const std::string& to,
                                                         const std::string& date) const {
  std::vector<FlightOffer> offers;
  auto it = routes_.find(route(from, to, date));
  if (it == routes_.end()) return offers;
  for (const auto& id : it->second) {
    const Flight& f = flights_.at(id);
    offers.push_back({f, free_seats(f)});
  }
  std::sort(offers.begin(), offers.end(), [](const FlightOffer& a, const FlightOffer& b) {
    return std::tie(a.flight.price, a.flight.flight_number, a.flight.flight_id) <
           std::tie(b.flight.price, b.flight.flight_number, b.flight.flight_id);
  });
  if (offers.size() > limits_.max_search_results) offers.resize(limits_.max_search_results);
  return offers;
}

namespace {

// The nights of [check_in, check_out), or why not: invalid_date, invalid_stay.
std::variant<std::vector<std::string>, Error> nights_of(const std::string& check_in,
                                                        const std::string& check_out,
                                                        std::size_t max_nights) {
  if (!parse_date(check_in))
    return invalid("checkIn must be a valid YYYY-MM-DD, not '" + check_in + "'", "invalid_date");
  if (!parse_date(check_out))
    return invalid("checkOut must be a valid YYYY-MM-DD, not '" + check_out + "'", "invalid_date");
  auto nights = stay_nights(check_in, check_out, max_nights);
  if (!nights)
    return invalid(
        "a stay is 1 to " + std::to_string(max_nights) + " nights, checkOut after checkIn",
        "invalid_stay",
        json::dump(boost::json::object{
            {"checkIn", check_in}, {"checkOut", check_out}, {"maxNights", max_nights}}));
  return std::move(*nights);
}

}  // namespace

std::variant<std::vector<HotelOffer>, Error> TravelInventory::search_hotels(
    const std::string& city, const std::string& check_in, const std::string& check_out) const {
  auto nights = nights_of(check_in, check_out, limits_.max_nights);
  if (auto* error = std::get_if<Error>(&nights)) return std::move(*error);
  const auto& stay = std::get<std::vector<std::string>>(nights);
  std::vector<HotelOffer> offers;
  auto it = cities_.find(lower(city));
  if (it == cities_.end()) return offers;
  for (const auto& id : it->second) {
    const Hotel& h = hotels_.at(id);
    std::int64_t fewest = h.rooms;
    for (const auto& night : stay) fewest = std::min(fewest, free_rooms(h, night));
    offers.push_back({h, fewest});
  }
  std::sort(offers.begin(), offers.end(), [](const HotelOffer& a, const HotelOffer& b) {
    return std::tie(a.hotel.price_per_night, a.hotel.hotel_id) <
           std::tie(b.hotel.price_per_night, b.hotel.hotel_id);
  });
  if (offers.size() > limits_.max_search_results) offers.resize(limits_.max_search_results);
  return offers;
}

// ---- Bookings

std::vector<HoldLine> TravelInventory::lines_of(const Booking& b) {
  std::vector<HoldLine> lines;
  if (b.kind == "flight") {
    if (auto key = ResourceKey::of(kSeat, b.flight_id)) lines.push_back({*key, b.quantity});
  } else {
    for (const auto& night : b.nights)
      if (auto key = room_key(b.hotel_id, night)) lines.push_back({*key, b.quantity});
  }
  return lines;
}

void TravelInventory::write_levels(const std::vector<HoldLine>& lines, WriteSet& writes) const {
  for (const auto& line : lines) {
    const inventory::Levels* l = inventory_.levels(line.resource);
    if (!l) continue;
    writes.put(kLevels, line.resource.text(),
               json::dump(boost::json::object{{"on_hand", l->on_hand}, {"sold", l->sold}}));
  }
}

void TravelInventory::write_booking(const Booking& b, WriteSet& writes) const {
  writes.put(kBookings, b.id, json::dump(boost::json::value_from(b)));
}

void TravelInventory::open(Booking booking) {
  owners_[booking.owner].insert(booking.id);
  std::string id = booking.id;
  open_[std::move(id)] = std::move(booking);
}

void TravelInventory::close(const std::string& booking_id) {
  auto it = open_.find(booking_id);
  if (it == open_.end()) return;
  auto owner = owners_.find(it->second.owner);
  if (owner != owners_.end()) {
    owner->second.erase(booking_id);
    if (owner->second.empty()) owners_.erase(owner);
  }
  open_.erase(it);
}

std::variant<Booking, Error> TravelInventory::hold_seats(const FlightHoldRequest& request,
                                                         std::int64_t now_ms, WriteSet& writes) {
  if (request.booking_id.empty() || request.owner.empty())
    return invalid("a booking needs an id and an owner", "invalid_booking");
  if (request.passengers < 1 || request.passengers > limits_.max_party)
    return invalid_party(request.passengers, limits_.max_party, "passengers");
  if (request.expires_at_ms < 0)
    return invalid("expiresAtMs must not be negative", "invalid_expiry");
  const Flight* f = flight(request.flight_id);
  if (!f)
    return Error::of(ErrorCode::kNotFound, "flight " + request.flight_id + " not found",
                     "unknown_flight",
                     json::dump(boost::json::object{{"flightId", request.flight_id}}));
  if (open_.count(request.booking_id) || inventory_.find_hold(request.booking_id))
    return booking_exists(request.booking_id);
  Booking b;
  if (__builtin_mul_overflow(f->price, request.passengers, &b.amount)) return amount_too_large();
  const std::int64_t available = free_seats(*f);
  if (available < request.passengers) {  // T1
    return Error::of(ErrorCode::kConflict,
                     "flight " + f->flight_id + " has " + std::to_string(available) +
                         " seats free, " + std::to_string(request.passengers) + " requested",
                     "no_seats",
                     json::dump(boost::json::object{{"flightId", f->flight_id},
                                                    {"requested", request.passengers},
                                                    {"available", available}}));
  }
  b.id = request.booking_id;
  b.kind = "flight";
  b.owner = request.owner;
  b.flight_id = f->flight_id;
  b.flight_number = f->flight_number;
  b.guests = request.passengers;
  b.quantity = request.passengers;
  b.unit_price = f->price;
  b.currency = f->currency;
  b.status = BookingStatus::kHeld;
  b.expires_at_ms = request.expires_at_ms;
  b.created_at_ms = now_ms;
  b.updated_at_ms = now_ms;
  auto lines = lines_of(b);
  if (auto error = inventory_.hold({b.id, b.owner, b.expires_at_ms, lines})) return *error;
  write_levels(lines, writes);
  write_booking(b, writes);
  open(b);
  return b;
}

std::variant<Booking, Error> TravelInventory::hold_rooms(const HotelHoldRequest& request,
                                                         std::int64_t now_ms, WriteSet& writes) {
  if (request.booking_id.empty() || request.owner.empty())
    return invalid("a booking needs an id and an owner", "invalid_booking");
  if (request.guests < 1 || request.guests > limits_.max_party)
    return invalid_party(request.guests, limits_.max_party, "guests");
  if (request.expires_at_ms < 0)
    return invalid("expiresAtMs must not be negative", "invalid_expiry");
  auto stay = nights_of(request.check_in, request.check_out, limits_.max_nights);
  if (auto* error = std::get_if<Error>(&stay)) return std::move(*error);
  auto& nights = std::get<std::vector<std::string>>(stay);
  const Hotel* h = hotel(request.hotel_id);
  if (!h)
    return Error::of(ErrorCode::kNotFound, "hotel " + request.hotel_id + " not found",
                     "unknown_hotel",
                     json::dump(boost::json::object{{"hotelId", request.hotel_id}}));
  if (open_.count(request.booking_id) || inventory_.find_hold(request.booking_id))
    return booking_exists(request.booking_id);
  Booking b;
  b.quantity = rooms_needed(request.guests, h->room_capacity);  // T2
  std::int64_t per_night = 0;
  if (__builtin_mul_overflow(h->price_per_night, b.quantity, &per_night) ||
      __builtin_mul_overflow(per_night, static_cast<std::int64_t>(nights.size()), &b.amount))
    return amount_too_large();
  // T2: every night has the rooms, or the stay is refused whole before anything changes (T4's
  // room-nights included).
  std::vector<HoldLine> lines;
  for (const auto& night : nights) {
    const std::int64_t available = free_rooms(*h, night);
    if (available < b.quantity) {
      return Error::of(ErrorCode::kConflict,
                       "hotel " + h->hotel_id + " has " + std::to_string(available) +
                           " rooms free on " + night + ", " + std::to_string(b.quantity) +
                           " needed",
                       "no_rooms",
                       json::dump(boost::json::object{{"hotelId", h->hotel_id},
                                                      {"night", night},
                                                      {"requested", b.quantity},
                                                      {"available", available}}));
    }
    auto key = room_key(h->hotel_id, night);
    if (!key) return invalid("hotel " + h->hotel_id + " cannot be booked", "invalid_hotel");
    lines.push_back({std::move(*key), b.quantity});
  }
  for (const auto& line : lines)  // T4: a night's first booking creates it, every room on hand
    if (!inventory_.levels(line.resource)) {
      (void)inventory_.set_on_hand(line.resource, h->rooms);
      room_nights_.insert(line.resource.text());
    }
  b.id = request.booking_id;
  b.kind = "hotel";
  b.owner = request.owner;
  b.hotel_id = h->hotel_id;
  b.hotel_name = h->name;
  b.check_in = request.check_in;
  b.check_out = request.check_out;
  b.nights = std::move(nights);
  b.guests = request.guests;
  b.unit_price = h->price_per_night;
  b.currency = h->currency;
  b.status = BookingStatus::kHeld;
  b.expires_at_ms = request.expires_at_ms;
  b.created_at_ms = now_ms;
  b.updated_at_ms = now_ms;
  // Checked above: every night has the rooms, the id is free, the lines are distinct.
  if (auto error = inventory_.hold({b.id, b.owner, b.expires_at_ms, lines})) return *error;
  write_levels(lines, writes);
  write_booking(b, writes);
  open(b);
  return b;
}

std::variant<Booking, Error> TravelInventory::confirm(const std::string& booking_id,
                                                      std::int64_t now_ms, WriteSet& writes,
                                                      const std::optional<Booking>& stored) {
  auto it = open_.find(booking_id);
  if (it == open_.end()) {
    if (!stored || stored->id != booking_id) return booking_not_found(booking_id);
    if (open_status(stored->status)) return booking_not_held(booking_id, "ending");
    return booking_not_held(booking_id, to_string(stored->status));  // T3: ended
  }
  if (it->second.status == BookingStatus::kConfirmed) return it->second;  // T3: as it is
  auto committed = inventory_.commit(booking_id);
  if (auto* error = std::get_if<Error>(&committed)) return std::move(*error);
  Booking& b = it->second;
  b.status = BookingStatus::kConfirmed;
  b.expires_at_ms = 0;  // sold: never expires
  b.updated_at_ms = now_ms;
  write_levels(std::get<inventory::Hold>(committed).lines, writes);
  write_booking(b, writes);
  return b;
}

std::variant<Booking, Error> TravelInventory::end(const std::string& booking_id,
                                                  BookingStatus status, std::int64_t now_ms,
                                                  WriteSet& writes) {
  auto it = open_.find(booking_id);
  if (it == open_.end()) return booking_not_found(booking_id);
  std::vector<HoldLine> lines;
  if (it->second.status == BookingStatus::kHeld) {
    auto released = inventory_.release(booking_id);
    if (auto* error = std::get_if<Error>(&released)) return std::move(*error);
    lines = std::get<inventory::Hold>(released).lines;
  } else {
    // T3: a confirmed booking's units go back once; it then leaves memory, so never again.
    lines = lines_of(it->second);
    if (auto error = inventory_.return_sold(lines)) return *error;
  }
  Booking b = it->second;
  close(booking_id);
  b.status = status;
  b.updated_at_ms = now_ms;
  write_levels(lines, writes);
  write_booking(b, writes);
  return b;
}

std::variant<Booking, Error> TravelInventory::cancel(const std::string& booking_id,
                                                     std::int64_t now_ms, WriteSet& writes,
                                                     const std::optional<Booking>& stored) {
  if (!open_.count(booking_id)) {
    if (!stored || stored->id != booking_id) return booking_not_found(booking_id);
    if (open_status(stored->status)) return booking_not_held(booking_id, "ending");
    return *stored;  // T3: cancelled or expired already, nothing held: as it is
  }
  return end(booking_id, BookingStatus::kCancelled, now_ms, writes);
}

std::size_t TravelInventory::expire_due(std::int64_t now_ms, std::size_t limit, WriteSet& writes) {
  const std::vector<std::string> due = inventory_.expired(now_ms, limit);
  for (const auto& id : due) {
    auto it = open_.find(id);
    if (it == open_.end() || it->second.status != BookingStatus::kHeld) {
      (void)inventory_.set_expiry(id, 0);  // cannot happen (T5); never due again
      continue;
    }
    (void)end(id, BookingStatus::kExpired, now_ms, writes);
  }
  return due.size();
}

const Booking* TravelInventory::booking(const std::string& booking_id) const {
  auto it = open_.find(booking_id);
  return it == open_.end() ? nullptr : &it->second;
}

std::vector<const Booking*> TravelInventory::bookings_of(const std::string& owner) const {
  std::vector<const Booking*> out;
  auto it = owners_.find(owner);
  if (it == owners_.end()) return out;
  for (const auto& id : it->second) out.push_back(&open_.at(id));
  return out;
}

// ---- Loading (T5)

void TravelInventory::load_row(const std::string& table, const std::string& key,
                               const std::string& value) {
  const std::string where = table + "/" + key + ": ";
  try {
    const boost::json::value v = boost::json::parse(value);
    if (table == kFlights) {
      Flight f = boost::json::value_to<Flight>(v);
      if (auto problem = flight_problem(f)) throw std::invalid_argument(*problem);
      if (f.flight_id != key) throw std::invalid_argument("the key is not its flightId");
      if (flights_.count(key)) throw std::invalid_argument("loaded twice");
      // Its seats, until its levels row (if any) says otherwise.
      if (auto error = inventory_.load_level(seat_key(key), f.seats, 0))
        throw std::invalid_argument(error->message);
      routes_[route(f.from, f.to, f.date)].push_back(key);
      flights_.emplace(key, std::move(f));
    } else if (table == kHotels) {
      Hotel h = boost::json::value_to<Hotel>(v);
      if (auto problem = hotel_problem(h)) throw std::invalid_argument(*problem);
      if (h.hotel_id != key) throw std::invalid_argument("the key is not its hotelId");
      if (hotels_.count(key)) throw std::invalid_argument("loaded twice");
      cities_[lower(h.city)].push_back(key);
      hotels_.emplace(key, std::move(h));
    } else if (table == kLevels) {
      auto resource = ResourceKey::parse(key);
      if (!resource) throw std::invalid_argument("not a resource key");
      const std::string id(resource->id());
      if (resource->kind() == kSeat) {
        if (!flights_.count(id)) throw std::invalid_argument("the seats of an unknown flight");
      } else if (resource->kind() == kRoom) {
        const auto slash = id.find('/');
        if (slash == std::string::npos || !hotels_.count(id.substr(0, slash)) ||
            !parse_date(id.substr(slash + 1)))
          throw std::invalid_argument("not a room-night of a known hotel");
        room_nights_.insert(key);
      } else {
        throw std::invalid_argument("not a travel resource");
      }
      const auto& o = json::as_object(v);
      if (auto error = inventory_.load_level(*resource, json::require_integer(o, "on_hand"),
                                             json::require_integer(o, "sold")))
        throw std::invalid_argument(error->message);
    } else if (table == kBookings) {
      Booking b = boost::json::value_to<Booking>(v);
      if (b.id != key) throw std::invalid_argument("the key is not its id");
      if (open_.count(key)) throw std::invalid_argument("loaded twice");
      if (!open_status(b.status)) return;  // ended: only its row remembers it (T5)
      if (b.status == BookingStatus::kHeld) {
        if (auto error = inventory_.load_hold({b.id, b.owner, b.expires_at_ms, lines_of(b)}))
          throw std::invalid_argument(error->message);
      }
      open(std::move(b));
    } else {
      throw std::invalid_argument("not a travel table");
    }
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + e.what());
  } catch (const std::exception& e) {
    throw std::invalid_argument(where + e.what());
  }
}

// ---- Checks

std::optional<std::string> TravelInventory::check_all() const {
  if (auto broken = inventory_.check_all()) return broken;
  // Per resource, what the open bookings say it holds and has sold.
  std::unordered_map<ResourceKey, std::pair<std::int64_t, std::int64_t>, inventory::ResourceKeyHash>
      counted;
  std::size_t held = 0, indexed = 0;
  for (const auto& [id, b] : open_) {
    const std::string at = "booking " + id + ": ";
    if (b.id != id) return at + "stored under another id";
    if (!open_status(b.status)) return "T5: " + at + "ended but still in memory";
    auto owner = owners_.find(b.owner);
    if (owner == owners_.end() || !owner->second.count(id)) return at + "not in its owner's index";
    std::int64_t expected = 0;
    if (b.kind == "flight") {
      const Flight* f = flight(b.flight_id);
      if (!f) return at + "its flight is unknown";
      if (b.quantity != b.guests || b.quantity < 1) return "T2: " + at + "seats != passengers";
      if (__builtin_mul_overflow(b.unit_price, b.quantity, &expected) || expected != b.amount)
        return at + "amount is not unitPrice * quantity";
    } else if (b.kind == "hotel") {
      const Hotel* h = hotel(b.hotel_id);
      if (!h) return at + "its hotel is unknown";
      auto nights = stay_nights(b.check_in, b.check_out, SIZE_MAX);
      if (!nights || *nights != b.nights) return "T2: " + at + "nights are not its stay's";
      if (b.quantity != rooms_needed(b.guests, h->room_capacity))
        return "T2: " + at + "rooms are not ceil(guests / roomCapacity)";
      if (__builtin_mul_overflow(b.unit_price, b.quantity, &expected) ||
          __builtin_mul_overflow(expected, static_cast<std::int64_t>(b.nights.size()), &expected) ||
          expected != b.amount)
        return at + "amount is not unitPrice * quantity * nights";
    } else {
      return at + "unknown kind '" + b.kind + "'";
    }
    const auto lines = lines_of(b);
    const inventory::Hold* hold = inventory_.find_hold(id);
    if (b.status == BookingStatus::kHeld) {
      ++held;
      if (!hold) return "T2: " + at + "held without its hold";
      if (hold->lines != lines) return "T2: " + at + "its hold is not all it needs";
      if (hold->owner != b.owner || hold->expires_at_ms != b.expires_at_ms)
        return at + "its hold's owner or expiry differs";
    } else if (hold) {
      return "T3: " + at + "confirmed but still held";
    }
    for (const auto& line : lines) {
      auto& [reserved, sold] = counted[line.resource];
      (b.status == BookingStatus::kHeld ? reserved : sold) += line.quantity;
    }
  }
  for (const auto& [owner, ids] : owners_) {
    indexed += ids.size();
    for (const auto& id : ids)
      if (!open_.count(id)) return "owner " + owner + " lists " + id + ", which is not open";
  }
  if (indexed != open_.size()) return "the owner index is not the open bookings";
  if (held != inventory_.holds().size())
    return "T5: " + std::to_string(inventory_.holds().size()) + " holds but " +
           std::to_string(held) + " held bookings";
  // T1 on every resource, and its levels what its bookings say.
  auto check = [&](const ResourceKey& key, std::int64_t capacity) -> std::optional<std::string> {
    const inventory::Levels* l = inventory_.levels(key);
    if (!l) return std::nullopt;
    const auto c = counted.find(key);
    const std::int64_t reserved = c == counted.end() ? 0 : c->second.first;
    const std::int64_t sold = c == counted.end() ? 0 : c->second.second;
    if (l->reserved + l->sold > capacity)
      return "T1: " + key.text() + " overbooked: " + std::to_string(l->reserved) + " held + " +
             std::to_string(l->sold) + " sold > " + std::to_string(capacity);
    if (l->on_hand + l->sold != capacity)
      return "T1: " + key.text() + " on_hand + sold != " + std::to_string(capacity);
    if (l->reserved != reserved || l->sold != sold)
      return "T5: " + key.text() + " levels differ from its bookings";
    return std::nullopt;
  };
  for (const auto& [id, f] : flights_)
    if (auto broken = check(seat_key(id), f.seats)) return broken;
  for (const auto& [key, counts] : counted)
    if (key.kind() == kRoom && !room_nights_.count(key.text()))
      return "T4: " + key.text() + " is booked but was never created";
  for (const auto& text : room_nights_) {  // booked now or before: each whole (T1)
    const auto key = ResourceKey::parse(text);
    const std::string_view rest = key ? key->id() : std::string_view();
    const Hotel* h = hotel(std::string(rest.substr(0, rest.find('/'))));
    if (!h) return text + ": a room-night of an unknown hotel";
    if (!inventory_.levels(*key)) return "T4: " + text + " has no levels";
    if (auto broken = check(*key, h->rooms)) return broken;
  }
  return std::nullopt;
}

// ---- Rows

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Booking& b) {
  boost::json::array nights;
  for (const auto& n : b.nights) nights.push_back(boost::json::value(n));
  v = {{"id", b.id},
       {"kind", b.kind},
       {"owner", b.owner},
       {"flightId", b.flight_id},
       {"flightNumber", b.flight_number},
       {"hotelId", b.hotel_id},
       {"hotelName", b.hotel_name},
       {"checkIn", b.check_in},
       {"checkOut", b.check_out},
       {"nights", std::move(nights)},
       {"guests", b.guests},
       {"quantity", b.quantity},
       {"unitPrice", b.unit_price},
       {"amount", b.amount},
       {"currency", b.currency},
       {"status", to_string(b.status)},
       {"expiresAtMs", b.expires_at_ms},
       {"createdAtMs", b.created_at_ms},
       {"updatedAtMs", b.updated_at_ms}};
}

Booking tag_invoke(boost::json::value_to_tag<Booking>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Booking b;
  b.id = json::require_string(o, "id");
  b.kind = json::require_string(o, "kind");
  b.owner = json::require_string(o, "owner");
  b.flight_id = json::optional_string(o, "flightId");
  b.flight_number = json::optional_string(o, "flightNumber");
  b.hotel_id = json::optional_string(o, "hotelId");
  b.hotel_name = json::optional_string(o, "hotelName");
  b.check_in = json::optional_string(o, "checkIn");
  b.check_out = json::optional_string(o, "checkOut");
  if (auto it = o.find("nights"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) throw json::InvalidField("nights", "must be an array");
    for (const auto& n : it->value().get_array()) {
      if (!n.is_string()) throw json::InvalidField("nights", "must hold dates");
      b.nights.emplace_back(n.get_string());
    }
  }
  b.guests = json::require_integer(o, "guests");
  b.quantity = json::require_integer(o, "quantity");
  b.unit_price = json::require_integer(o, "unitPrice");
  b.amount = json::require_integer(o, "amount");
  b.currency = json::require_string(o, "currency");
  const std::string status = json::require_string(o, "status");
  auto parsed = status_from(status);
  if (!parsed) throw json::InvalidField("status", "must be held, confirmed, cancelled or expired");
  b.status = *parsed;
  b.expires_at_ms = json::require_integer(o, "expiresAtMs");
  b.created_at_ms = json::require_integer(o, "createdAtMs");
  b.updated_at_ms = json::require_integer(o, "updatedAtMs");
  return b;
}

}  // namespace orderd::travel
