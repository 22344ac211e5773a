#pragma once
// FraudService/CheckFraud: a risk score 0-100 (seed: 150 ms; mostly 0-50, 10 % of the time 50-100;
// flagged above 70).
#include <boost/json/fwd.hpp>
#include <string>

#include "engine/context.hpp"
#include "services/simulation.hpp"

namespace orderd::services {

struct FraudRequest {
  std::string userId;
  double amount = 0;
  std::string ipAddress;
};

struct FraudResponse {
  double riskScore = 0;
  bool flagged = false;
};

inline constexpr double kFraudThreshold = 70.0;

Task<FraudResponse> check_fraud(Context& ctx, FraudRequest request, Simulation sim);

FraudRequest tag_invoke(boost::json::value_to_tag<FraudRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FraudRequest& r);
FraudResponse tag_invoke(boost::json::value_to_tag<FraudResponse>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FraudResponse& r);

}  // namespace orderd::services
