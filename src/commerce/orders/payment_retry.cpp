#include "commerce/orders/payment_retry.hpp"

#include <boost/json/value.hpp>

#include "commerce/orders/order_payment.hpp"
#include "commerce/shop.hpp"
#include "common/json_fields.hpp"

namespace orderd::commerce {

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const RetryPayment&) {
  v = boost::json::object{};
}
RetryPayment tag_invoke(boost::json::value_to_tag<RetryPayment>, const boost::json::value& v) {
  (void)json::as_object(v);
  return {};
}

Task<payments::Payment> retry_payment(Shop* shop, Context& ctx, RetryPayment) {
  const std::string owner = ctx.key();
  payments::PaymentLedger& ledger = shop->payments.ledger();
  // P3: back to the status that owes the compensation; the decision and its row in one commit.
  ctx.transact("retry", [&](WriteSet& writes) {
    shop->payments.recall(owner);  // a settled payment is read back: its answer is a conflict
    auto decided = ledger.retry(owner, ctx.clock_ms(), writes);
    if (auto* error = std::get_if<Error>(&decided)) throw TerminalError(std::move(*error));
    return true;
  });
  Task<payments::Settled> settling = shop->payments.settle(ctx, owner);
  payments::Settled settled = co_await std::move(settling);
  (void)settled;

  if (const auto order_id = order_of_payment_owner(owner)) {
    const payments::PaymentStatus money = money_of(ledger, ctx, owner);
    ctx.transact("follow_order", [&](WriteSet& writes) {
      auto stored = shop->orders.read_order(*order_id);
      if (!stored) return false;
      Order next = *stored;
      const PaymentStatus before = next.payment_status;
      OrderEvents emit(shop->orders, ctx.clock_ms(), &writes);
      // Only money that is now given back moves the order: a payment that needs an operator
      // again leaves it as it was (never closed silently, P3).
      if (money == payments::PaymentStatus::kVoided || money == payments::PaymentStatus::kRefunded)
        follow_payment(next, money);
      if (next.payment_status == before) return false;
      next.updated_at_ms = std::max(next.updated_at_ms, ctx.clock_ms());
      payment_events(next, before, emit);
      shop->orders.write_order(next, stored->status, writes);
      return true;
    });
  }
  payments::Payment ended = ctx.run("payment", [&] {
    const payments::Payment* p = ledger.payment(owner);
    return p ? *p : payments::Payment{};
  });
  co_return ended;
}

}  // namespace orderd::commerce
