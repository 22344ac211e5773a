#include "commerce/payments/shop_payments.hpp"

#include "commerce/table_rows.hpp"

namespace orderd::commerce {

void ShopPayments::attach(Scheduler& scheduler) {
  gateway_ = std::make_shared<MockGateway>(scheduler, options_.gateway);
}

RunPolicy ShopPayments::authorize_policy() const {
  RunPolicy policy;
  policy.timeout = std::chrono::milliseconds(options_.timeout_ms);
  policy.max_attempts = options_.authorize_attempts;
  policy.initial_backoff = std::chrono::milliseconds(50);
  policy.max_backoff = std::chrono::milliseconds(2000);
  return policy;
}

RunPolicy ShopPayments::settle_policy() const {
  RunPolicy policy = authorize_policy();
  policy.max_attempts = 0;
  return policy;
}

void ShopPayments::write_payment(const PaymentRecord& record, WriteSet& writes) const {
  writes.put(kPayments, payment_key(record.order_id, record.id), row_json(record));
}

}  // namespace orderd::commerce
