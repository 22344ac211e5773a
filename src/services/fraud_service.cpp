#include "services/fraud_service.hpp"

#include <boost/json/value.hpp>

#include "common/json_fields.hpp"

namespace orderd::services {

Task<FraudResponse> check_fraud(Context& ctx, FraudRequest request, Simulation sim) {
  co_await ctx.sleep(sim.latency(150));  // model inference
  double risk = ctx.random() * 50;
  if (ctx.random() < 0.1) risk = 50 + ctx.random() * 50;
  ctx.log().debug("fraud risk for {}: {}", request.userId, risk);
  co_return FraudResponse{risk, risk > kFraudThreshold};
}

FraudRequest tag_invoke(boost::json::value_to_tag<FraudRequest>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "userId"), json::require_number(o, "amount"),
          json::optional_string(o, "ipAddress")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FraudRequest& r) {
  v = {{"userId", r.userId}, {"amount", r.amount}, {"ipAddress", r.ipAddress}};
}

FraudResponse tag_invoke(boost::json::value_to_tag<FraudResponse>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_number(o, "riskScore"), json::require_bool(o, "flagged")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FraudResponse& r) {
  v = {{"riskScore", r.riskScore}, {"flagged", r.flagged}};
}

}  // namespace orderd::services
