#pragma once
// OrderReview: a workflow keyed by order id that holds a risky order for a human decision.
//   run     once per order: low risk is approved at once; otherwise it waits (durably, across
//           restarts) for the "decision" promise, and rejects the order when the review times out.
//   decide  shared: a reviewer's decision resolves the promise; a second decision is a 409.
//   status  shared: where the review stands, readable while run waits.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

#include "engine/context.hpp"

namespace orderd {
class Registry;
}

namespace orderd::services {

struct ReviewRequest {
  std::string customerId;
  double amount = 0;
  double riskScore = 0;  // as FraudService/CheckFraud reports it, 0-100
  std::int64_t timeoutSeconds =
      86'400;  // how long a reviewer may take before the order is rejected
};

struct ReviewDecision {
  bool approved = false;
  std::string reviewer;
  std::string note;
};

struct ReviewResult {
  std::string orderId;
  std::string status;  // pending, approved, rejected, timed-out
  bool approved = false;
  std::string reviewer;
};

// A handler that takes no input: accepts an empty body, null or {}.
struct NoInput {};

// Orders at or below this risk score are approved without a reviewer.
inline constexpr double kAutoApproveRisk = 30.0;

void register_order_review(Registry& registry);

ReviewRequest tag_invoke(boost::json::value_to_tag<ReviewRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReviewRequest& r);
ReviewDecision tag_invoke(boost::json::value_to_tag<ReviewDecision>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReviewDecision& d);
ReviewResult tag_invoke(boost::json::value_to_tag<ReviewResult>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReviewResult& r);
NoInput tag_invoke(boost::json::value_to_tag<NoInput>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const NoInput&);

}  // namespace orderd::services
