#include "services/shipping_service.hpp"

#include <boost/json/value.hpp>

#include "common/json_fields.hpp"

namespace orderd::services {

Task<ShippingResponse> calculate_shipping(Context& ctx, ShippingRequest request, Simulation sim) {
  co_await ctx.sleep(sim.latency(100));  // the carrier's API
  double cost = request.weight * 2.5;
  long days = 3;
  if (request.carrier == "FastShip") {
    cost *= 1.5;
    days = 1;
  } else if (request.carrier == "Economy") {
    cost *= 0.7;
    days = 7;
  }
  co_return ShippingResponse{request.carrier, cost, days};
}

ShippingRequest tag_invoke(boost::json::value_to_tag<ShippingRequest>,
                           const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_number(o, "weight"), json::require_string(o, "destination"),
          json::require_string(o, "carrier")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ShippingRequest& r) {
  v = {{"weight", r.weight}, {"destination", r.destination}, {"carrier", r.carrier}};
}

ShippingResponse tag_invoke(boost::json::value_to_tag<ShippingResponse>,
                            const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "carrier"), json::require_number(o, "cost"),
          static_cast<long>(json::require_integer(o, "estimatedDays"))};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ShippingResponse& r) {
  v = {{"carrier", r.carrier}, {"cost", r.cost}, {"estimatedDays", r.estimatedDays}};
}

}  // namespace orderd::services
