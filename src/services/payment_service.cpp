#include "services/payment_service.hpp"

#include <boost/json/value.hpp>
#include <stdexcept>

#include "common/json_fields.hpp"

namespace orderd::services {

Task<PaymentResponse> authorize_payment(Context& ctx, PaymentRequest request, Simulation sim) {
  co_await ctx.sleep(sim.latency(120));  // the payment gateway
  if (sim.transient_failure(0.02)) throw std::runtime_error("payment gateway timeout");
  PaymentResponse response;
  response.authorized = ctx.random() < 0.95;
  if (response.authorized) response.transactionId = "tx_" + ctx.uuid().substr(0, 8);
  ctx.log().debug("payment of {} {} authorized={}", request.amount, request.currency,
                  response.authorized);
  co_return response;
}

Task<VoidResponse> void_payment(Context& ctx, VoidRequest request, Simulation sim) {
  if (request.transactionId.empty())
    throw TerminalError(ErrorCode::kInvalidArgument, "field 'transactionId' must not be empty");
  co_await ctx.sleep(sim.latency(60));  // the gateway's void call
  co_return VoidResponse{true, request.transactionId};
}

PaymentRequest tag_invoke(boost::json::value_to_tag<PaymentRequest>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_number(o, "amount"), json::require_string(o, "currency"),
          json::optional_string(o, "cardLast4")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentRequest& r) {
  v = {{"amount", r.amount}, {"currency", r.currency}, {"cardLast4", r.cardLast4}};
}

PaymentResponse tag_invoke(boost::json::value_to_tag<PaymentResponse>,
                           const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_bool(o, "authorized"), json::optional_string(o, "transactionId")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentResponse& r) {
  v = {{"authorized", r.authorized}, {"transactionId", r.transactionId}};
}

VoidRequest tag_invoke(boost::json::value_to_tag<VoidRequest>, const boost::json::value& v) {
  return {json::require_string(json::as_object(v), "transactionId")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const VoidRequest& r) {
  v = {{"transactionId", r.transactionId}};
}

VoidResponse tag_invoke(boost::json::value_to_tag<VoidResponse>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_bool(o, "voided"), json::require_string(o, "transactionId")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const VoidResponse& r) {
  v = {{"voided", r.voided}, {"transactionId", r.transactionId}};
}

}  // namespace orderd::services
