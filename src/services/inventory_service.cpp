#include "services/inventory_service.hpp"

#include <boost/json/value.hpp>
#include <stdexcept>

#include "common/json_fields.hpp"

namespace orderd::services {

Task<InventoryResponse> check_inventory(Context& ctx, InventoryRequest request, Simulation sim) {
  co_await ctx.sleep(sim.latency(80));  // a database query
  if (sim.transient_failure(0.05))
    throw std::runtime_error("warehouse " + request.warehouse + " temporarily unavailable");
  bool available = ctx.random() < 0.8;
  co_return InventoryResponse{available, request.warehouse, request.quantity};
}

InventoryRequest tag_invoke(boost::json::value_to_tag<InventoryRequest>,
                            const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "productId"),
          static_cast<long>(json::require_integer(o, "quantity")),
          json::require_string(o, "warehouse")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const InventoryRequest& r) {
  v = {{"productId", r.productId}, {"quantity", r.quantity}, {"warehouse", r.warehouse}};
}

InventoryResponse tag_invoke(boost::json::value_to_tag<InventoryResponse>,
                             const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_bool(o, "available"), json::require_string(o, "warehouse"),
          static_cast<long>(json::require_integer(o, "quantity"))};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const InventoryResponse& r) {
  v = {{"available", r.available}, {"warehouse", r.warehouse}, {"quantity", r.quantity}};
}

}  // namespace orderd::services
