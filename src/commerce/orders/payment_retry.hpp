#pragma once
// An operator's retry of a payment that needs attention (P3, payments/payment_ledger.hpp):
// Payments/{owner}/retry, exclusive per owner, started by POST /api/v1/payments/{id}/retry.
//   retry        the ledger takes the payment back to the status that owes its compensation,
//                refusals counted afresh (transact); unknown_payment (404) or
//                payment_not_needing_attention (409) end the invocation, nothing written
//   settle       the void or refund is sent again under the owner's keys, round after round,
//                until it succeeds or the payment needs an operator again (PaymentDesk::settle)
//   follow_order an order's payment_status moves to what the money became, with its events
//                (order_payment.hpp), in one commit (transact)
// Its output is the payment as it ended.
#include <boost/json/fwd.hpp>

#include "engine/context.hpp"
#include "payments/payment.hpp"

namespace orderd::commerce {

class Shop;

// Payments/{owner}/retry: nothing but the key.
struct RetryPayment {};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const RetryPayment&);
RetryPayment tag_invoke(boost::json::value_to_tag<RetryPayment>, const boost::json::value& v);

Task<payments::Payment> retry_payment(Shop* shop, Context& ctx, RetryPayment request);

}  // namespace orderd::commerce
