#pragma once
// The inventory's operations as values, so a thread that owns an Inventory can take a batch of
// them from others and decide it in one go (Inventory::decide): a partition's owner thread would
// run exactly that, and send each Decision back to whoever asked.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "inventory/hold.hpp"

namespace orderd::inventory {

struct HoldRequest {
  Hold hold;
};
struct CommitRequest {
  std::string hold_id;
};
struct ReleaseRequest {
  std::string hold_id;
};
struct ReturnSoldRequest {
  std::vector<HoldLine> lines;
};
struct SetOnHandRequest {
  ResourceKey resource;
  std::int64_t on_hand = 0;
};
struct RestockRequest {
  ResourceKey resource;
  std::int64_t units = 0;
};
struct SetExpiryRequest {
  std::string hold_id;
  std::int64_t expires_at_ms = 0;
};

using Request = std::variant<HoldRequest, CommitRequest, ReleaseRequest, ReturnSoldRequest,
                             SetOnHandRequest, RestockRequest, SetExpiryRequest>;

// The answer to one request: applied (and, for a commit or a release, the hold that ended), or
// refused with why, having changed nothing.
struct Decision {
  std::optional<Error> error;
  std::optional<Hold> ended;
  bool applied() const { return !error; }
};

}  // namespace orderd::inventory
