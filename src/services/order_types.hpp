#pragma once
// The seed's order request and result, shared by OrderService and OrderServiceSlow.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace orderd::services {

struct OrderRequest {
  std::string userId;
  std::string productId;
  long quantity = 0;
  double amount = 0;
  double weight = 0;
  std::string destination;
};

struct OrderResult {
  std::string orderId;
  std::string status;  // "confirmed" or "failed"
  std::int64_t processingTimeMs = 0;
  std::string details;
  // Beyond the seed: set when the order failed after its payment was authorized and the
  // authorization was voided, so no hold is left on the buyer's card.
  std::string voidedTransactionId;
};

OrderRequest tag_invoke(boost::json::value_to_tag<OrderRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OrderRequest& r);
OrderResult tag_invoke(boost::json::value_to_tag<OrderResult>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OrderResult& r);

// "$13.75": the seed's money format.
std::string format_money(double amount);

}  // namespace orderd::services
