#include "travel/travel.hpp"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "store/store.hpp"

namespace orderd::travel {

Travel::Travel(TravelOptions options, payments::PaymentDesk& payments)
    : options(options),
      inventory(options.limits),
      payments(payments),
      expiry_(*this, options.expiry_batch) {}

void Travel::register_services(Registry& registry) {
  for (const char* table : {TravelInventory::kFlights, TravelInventory::kHotels,
                            TravelInventory::kLevels, TravelInventory::kBookings})
    registry.add_table(table);
  register_travel_services(registry, *this);
  register_trip_orchestrator(registry, *this);
}

void Travel::load(store::Store& store) {
  inventory = TravelInventory(options.limits);
  // T5: the catalog first, then the levels, then the bookings that hold on them.
  for (const char* table : {TravelInventory::kFlights, TravelInventory::kHotels,
                            TravelInventory::kLevels, TravelInventory::kBookings}) {
    std::string from;
    for (;;) {
      std::vector<store::Row> rows = store.scan_rows({table, from, "", 10'000, false});
      for (const auto& row : rows) inventory.load_row(table, row.key, row.value);
      if (rows.size() < 10'000) break;
      from = rows.back().key;
      from.push_back('\0');
    }
  }
  expiry_.arm();
}

void Travel::attach(Engine& engine, Scheduler& scheduler) {
  engine_ = &engine;
  expiry_.attach(engine, scheduler);
}

std::optional<Booking> Travel::stored_booking(const std::string& booking_id) const {
  if (!engine_) return std::nullopt;
  auto row = engine_->read_row(TravelInventory::kBookings, booking_id);
  if (!row) return std::nullopt;
  return boost::json::value_to<Booking>(boost::json::parse(*row));
}

std::vector<store::RowWrite> seed_travel_rows(Travel& travel, const TravelCatalogSpec& spec) {
  // Checked whole on a scratch copy first, so a bad entry applies nothing.
  TravelInventory scratch = travel.inventory;
  WriteSet ignored;
  for (const auto& f : spec.flights)
    if (auto error = scratch.add_flight(f, ignored))
      throw std::invalid_argument("travel catalog: " + error->message);
  for (const auto& h : spec.hotels)
    if (auto error = scratch.add_hotel(h, ignored))
      throw std::invalid_argument("travel catalog: " + error->message);
  WriteSet writes;
  for (const auto& f : spec.flights) (void)travel.inventory.add_flight(f, writes);
  for (const auto& h : spec.hotels) (void)travel.inventory.add_hotel(h, writes);
  return writes.take();
}

}  // namespace orderd::travel
