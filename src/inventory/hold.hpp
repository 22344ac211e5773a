#pragma once
// What the inventory counts per resource, and a hold: units of several resources kept for one
// owner until it commits them (sold) or releases them (available again), or until it expires.
#include <cstdint>
#include <string>
#include <vector>

#include "inventory/resource_key.hpp"

namespace orderd::inventory {

// One resource's counts. available = on_hand - reserved: what a new hold may take. Sold units
// have left on_hand; a return brings them back (inventory.hpp, I2 and I5).
struct Levels {
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t sold = 0;
  std::int64_t available() const { return on_hand - reserved; }
  bool operator==(const Levels&) const = default;
};

struct HoldLine {
  ResourceKey resource;
  std::int64_t quantity = 0;
  bool operator==(const HoldLine&) const = default;
};

struct Hold {
  std::string id;     // unique among open holds; the caller's (a reservation's id)
  std::string owner;  // who it is for: "order:ord_…", "user:100", "trip:trip-001"; may be empty
  std::int64_t expires_at_ms = 0;  // 0: never (a hold an order has taken over)
  std::vector<HoldLine> lines;     // one per resource, each quantity >= 1
  bool operator==(const Hold&) const = default;
};

}  // namespace orderd::inventory
