#pragma once
// ShippingService/CalculateShipping: a carrier's quote (seed: 100 ms; weight x 2.5, FastShip x 1.5,
// Economy x 0.7; 1, 3 or 7 days).
#include <boost/json/fwd.hpp>
#include <string>

#include "engine/context.hpp"
#include "services/simulation.hpp"

namespace orderd::services {

struct ShippingRequest {
  double weight = 0;
  std::string destination;
  std::string carrier;
};

struct ShippingResponse {
  std::string carrier;
  double cost = 0;
  long estimatedDays = 0;
};

Task<ShippingResponse> calculate_shipping(Context& ctx, ShippingRequest request, Simulation sim);

ShippingRequest tag_invoke(boost::json::value_to_tag<ShippingRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ShippingRequest& r);
ShippingResponse tag_invoke(boost::json::value_to_tag<ShippingResponse>,
                            const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ShippingResponse& r);

}  // namespace orderd::services
