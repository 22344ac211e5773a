#pragma once
// InventoryService/CheckInventory: is a product available in a warehouse? (seed: 80 ms, 5 %
// transient failures, 80 % available)
#include <boost/json/fwd.hpp>
#include <string>

#include "engine/context.hpp"
#include "services/simulation.hpp"

namespace orderd::services {

struct InventoryRequest {
  std::string productId;
  long quantity = 0;
  std::string warehouse;
};

struct InventoryResponse {
  bool available = false;
  std::string warehouse;
  long quantity = 0;
};

Task<InventoryResponse> check_inventory(Context& ctx, InventoryRequest request, Simulation sim);

InventoryRequest tag_invoke(boost::json::value_to_tag<InventoryRequest>,
                            const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const InventoryRequest& r);
InventoryResponse tag_invoke(boost::json::value_to_tag<InventoryResponse>,
                             const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const InventoryResponse& r);

}  // namespace orderd::services
