#pragma once
// PaymentService: AuthorizePayment (seed: 120 ms, 2 % transient failures, 95 % authorized) and,
// beyond the seed, VoidPayment, which releases an authorization an order no longer needs.
#include <boost/json/fwd.hpp>
#include <string>

#include "engine/context.hpp"
#include "services/simulation.hpp"

namespace orderd::services {

struct PaymentRequest {
  double amount = 0;
  std::string currency;
  std::string cardLast4;
};

struct PaymentResponse {
  bool authorized = false;
  std::string transactionId;
};

struct VoidRequest {
  std::string transactionId;
};

struct VoidResponse {
  bool voided = false;
  std::string transactionId;
};

Task<PaymentResponse> authorize_payment(Context& ctx, PaymentRequest request, Simulation sim);
Task<VoidResponse> void_payment(Context& ctx, VoidRequest request, Simulation sim);

PaymentRequest tag_invoke(boost::json::value_to_tag<PaymentRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentRequest& r);
PaymentResponse tag_invoke(boost::json::value_to_tag<PaymentResponse>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentResponse& r);
VoidRequest tag_invoke(boost::json::value_to_tag<VoidRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const VoidRequest& r);
VoidResponse tag_invoke(boost::json::value_to_tag<VoidResponse>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const VoidResponse& r);

}  // namespace orderd::services
