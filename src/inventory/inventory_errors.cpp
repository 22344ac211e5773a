#include "inventory/inventory_errors.hpp"

#include "common/json_writer.hpp"

namespace orderd::inventory::errors {
namespace {

// {"resource":"<key>","<a>":n,"<b>":m} (JSON text for Error::details, written by hand: the
// core needs no JSON library).
std::string details(const ResourceKey& resource, const char* a = nullptr, std::int64_t an = 0,
                    const char* b = nullptr, std::int64_t bn = 0) {
  std::string out = "{\"resource\":";
  json::append_string(out, resource.text());
  if (a) out.append(",\"").append(a).append("\":").append(std::to_string(an));
  if (b) out.append(",\"").append(b).append("\":").append(std::to_string(bn));
  out += '}';
  return out;
}

}  // namespace

Error invalid_resource() {
  return Error::of(ErrorCode::kInvalidArgument, "a resource key is required", "invalid_resource");
}

Error invalid_hold(const std::string& why) {
  return Error::of(ErrorCode::kInvalidArgument, why, "invalid_hold");
}

Error invalid_expiry(std::int64_t expires_at_ms) {
  return Error::of(
      ErrorCode::kInvalidArgument,
      "expires_at_ms must be 0 (never) or a time, not " + std::to_string(expires_at_ms),
      "invalid_expiry");
}

Error invalid_quantity(const std::string& why) {
  return Error::of(ErrorCode::kInvalidArgument, why, "invalid_quantity");
}

Error overflow(const ResourceKey& resource) {
  return Error::of(ErrorCode::kInvalidArgument,
                   "a quantity of " + resource.text() + " would overflow", "invalid_quantity",
                   details(resource));
}

Error duplicate_resource(const ResourceKey& resource) {
  return Error::of(ErrorCode::kInvalidArgument,
                   resource.text() + " is on more than one line of the hold", "duplicate_resource",
                   details(resource));
}

Error hold_exists(const std::string& hold_id) {
  return Error::of(ErrorCode::kConflict, "hold " + hold_id + " exists", "hold_exists");
}

Error hold_not_found(const std::string& hold_id) {
  return Error::of(ErrorCode::kNotFound,
                   "hold " + hold_id + " is not open (unknown, or already ended)",
                   "hold_not_found");
}

Error unknown_resource(const ResourceKey& resource) {
  return Error::of(ErrorCode::kNotFound, "no resource " + resource.text(), "unknown_resource",
                   details(resource));
}

Error out_of_stock(const ResourceKey& resource, std::int64_t requested, std::int64_t available) {
  return Error::of(ErrorCode::kConflict,
                   resource.text() + " is short: " + std::to_string(requested) + " requested, " +
                       std::to_string(available) + " available",
                   "out_of_stock",
                   details(resource, "requested", requested, "available", available));
}

Error stock_reserved(const ResourceKey& resource, std::int64_t reserved) {
  return Error::of(ErrorCode::kConflict,
                   resource.text() + " has " + std::to_string(reserved) + " units reserved",
                   "stock_reserved", details(resource, "reserved", reserved));
}

Error not_sold(const ResourceKey& resource, std::int64_t returned, std::int64_t sold) {
  return Error::of(ErrorCode::kConflict,
                   resource.text() + " has sold " + std::to_string(sold) + ", fewer than the " +
                       std::to_string(returned) + " returned",
                   "not_sold", details(resource, "returned", returned, "sold", sold));
}

}  // namespace orderd::inventory::errors
