#pragma once
// Travel: the seed's booking system (../shared/seeds/003), the list of its parts and the wiring
// that registers, loads and attaches them, as commerce/shop.hpp does for the shop:
//   inventory  flights, hotels, seats, room-nights, bookings (T1-T5)   travel_inventory.hpp
//   expiry     held bookings released at their time                    engine/hold_expiry.hpp
//   payments   the shop's payment desk, shared: trips pay as owner "trip:<id>"
// The handlers decide over these parts inside journaled steps:
//   FlightService, HotelService, TripPaymentService       travel_services.cpp
//   TripOrchestrator (a workflow keyed by trip id)        trip_orchestrator.cpp
// Public on the ingress: TripOrchestrator/{id}/BookTrip|GetStatus|CancelTrip,
// FlightService/Search, HotelService/Search; everything else of travel is internal.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/hold_expiry.hpp"
#include "travel/travel_inventory.hpp"

namespace orderd {
class Engine;
class Registry;
class Scheduler;
namespace store {
class Store;
}
namespace payments {
class PaymentDesk;
}
}  // namespace orderd

namespace orderd::travel {

// Every limit and setting of travel, as the flags set them (server_options.cpp).
struct TravelOptions {
  TravelLimits limits;  // --travel-max-nights, --travel-max-party
  // How long a reservation is held before confirmation (--travel-hold-ttl); the expiry timer
  // releases it after.
  std::int64_t hold_ttl_ms = 15 * 60 * 1000;
  std::size_t expiry_batch = 1000;  // the most bookings one expiry run ends
};

class Travel : private ExpiringHolds {
 public:
  Travel(TravelOptions options, payments::PaymentDesk& payments);
  Travel(const Travel&) = delete;
  Travel& operator=(const Travel&) = delete;

  // Declares the tables and registers the services, exposing the public handlers.
  void register_services(Registry& registry);
  // Rebuilds the inventory from the rows, before Engine::recover replays anything; arms the
  // expiry for the earliest held booking.
  void load(store::Store& store);
  // The engine the expiry's rows go through and its clock; again after a test's restart.
  void attach(Engine& engine, Scheduler& scheduler);
  // After a decision that may have made an earlier expiry (a new hold).
  void arm_expiry() { expiry_.arm(); }
  // A booking's durable row (any status): memory holds only the held and confirmed ones (T5).
  std::optional<Booking> stored_booking(const std::string& booking_id) const;

  const TravelOptions options;
  TravelInventory inventory;
  payments::PaymentDesk& payments;
  HoldExpiry& expiry() { return expiry_; }

 private:
  std::optional<std::int64_t> next_expiry() const override { return inventory.next_expiry(); }
  std::size_t expire_due(std::int64_t now_ms, std::size_t limit, WriteSet& writes) override {
    return inventory.expire_due(now_ms, limit, writes);
  }
  HoldExpiry expiry_;
  Engine* engine_ = nullptr;
};

// The rows that give a fresh store `spec` (Engine::write_rows), already applied to the
// inventory. Throws std::invalid_argument, before applying anything, for a flight or hotel the
// inventory refuses.
std::vector<store::RowWrite> seed_travel_rows(Travel& travel, const TravelCatalogSpec& spec);

// The handlers (travel_services.cpp, trip_orchestrator.cpp).
void register_travel_services(Registry& registry, Travel& travel);
void register_trip_orchestrator(Registry& registry, Travel& travel);

}  // namespace orderd::travel
