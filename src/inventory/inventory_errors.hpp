#pragma once
// The inventory's refusals, one function each, so every path says the same thing with the same
// stable reason.
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "inventory/resource_key.hpp"

namespace orderd::inventory::errors {

Error invalid_resource();
Error invalid_hold(const std::string& why);
Error invalid_expiry(std::int64_t expires_at_ms);
Error invalid_quantity(const std::string& why);
Error overflow(const ResourceKey& resource);
Error duplicate_resource(const ResourceKey& resource);
Error hold_exists(const std::string& hold_id);
Error hold_not_found(const std::string& hold_id);
Error unknown_resource(const ResourceKey& resource);
Error out_of_stock(const ResourceKey& resource, std::int64_t requested, std::int64_t available);
Error stock_reserved(const ResourceKey& resource, std::int64_t reserved);
Error not_sold(const ResourceKey& resource, std::int64_t returned, std::int64_t sold);

}  // namespace orderd::inventory::errors
