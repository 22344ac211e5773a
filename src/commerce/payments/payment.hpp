#pragma once
// The payment ledger: one record per operation the shop asked of its gateway for an order,
// written in the same journaled step that learnt the gateway's answer, so each operation is
// recorded exactly once (the gateway call itself is idempotent under the effect's key).
//
// P1. An order has at most one succeeded capture, and only after a succeeded authorization.
// P2. Every succeeded authorization of an order that does not end confirmed is voided (before
//     capture) or refunded (after), once.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace orderd::commerce {

// What the shop asks of the gateway.
struct GatewayRequest {
  std::string type;  // authorize, capture, void, refund
  std::string order_id;
  std::string payment_method;  // mock, mock_declined, mock_flaky
  std::int64_t amount = 0;
  std::string currency;
  std::string authorization;  // capture, void, refund: the authorization's gateway reference
  // The gateway's idempotency key; empty: the effect's own (invocation/step). An operation that
  // another invocation may repeat (a cancel's refund, after an operator killed the first cancel)
  // keys it by what it is, so the gateway moves the money once.
  std::string idempotency_key;
};

// Its answer. A decline is an answer (the step ends); only a failure to answer is retried.
struct GatewayReply {
  std::string status;  // succeeded, declined
  std::string reference;
  std::string message;
  bool succeeded() const { return status == "succeeded"; }
};

struct PaymentRecord {
  std::string id;  // "pay_" + the effect's idempotency key, made url-safe
  std::string order_id;
  std::string type;
  std::string status;  // succeeded, declined, failed
  std::int64_t amount = 0;
  std::string currency;
  std::string reference;  // the gateway's
  std::string message;
  std::int64_t created_at_ms = 0;
};

// The record's id for the effect whose idempotency key is "<invocation id>/<step>": sortable
// by time, then step.
std::string payment_id_for(const std::string& idempotency_key);
// The ledger's key: the order's records together, in the order they were made.
std::string payment_key(const std::string& order_id, const std::string& payment_id);

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayRequest& r);
GatewayRequest tag_invoke(boost::json::value_to_tag<GatewayRequest>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayReply& r);
GatewayReply tag_invoke(boost::json::value_to_tag<GatewayReply>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentRecord& r);
PaymentRecord tag_invoke(boost::json::value_to_tag<PaymentRecord>, const boost::json::value& v);

boost::json::value payment_view(const PaymentRecord& r);

}  // namespace orderd::commerce
