#pragma once
// The shop's side of payments: the gateway its sagas call, how they retry it, and the ledger
// rows they write (payments/payment.hpp).
//
// Table: payments  <order id>/<payment id> -> PaymentRecord.
#include <cstdint>
#include <memory>

#include "commerce/payments/mock_gateway.hpp"
#include "commerce/payments/payment.hpp"
#include "engine/run_policy.hpp"
#include "engine/write_set.hpp"

namespace orderd {
class Scheduler;
}

namespace orderd::commerce {

struct PaymentOptions {
  GatewayOptions gateway;
  // Each gateway attempt's limit, and how many attempts an authorization gets before the order
  // fails (payment_unavailable).
  std::int64_t timeout_ms = 2000;
  std::uint32_t authorize_attempts = 4;
};

class ShopPayments {
 public:
  static constexpr const char* kPayments = "payments";

  explicit ShopPayments(PaymentOptions options) : options_(options) {}
  // The clock the mock gateway's latency runs on; again after a test's restart.
  void attach(Scheduler& scheduler);

  std::shared_ptr<MockGateway> gateway() const { return gateway_; }
  RunPolicy authorize_policy() const;
  RunPolicy settle_policy() const;  // capture, void, refund: until they succeed
  void write_payment(const PaymentRecord& record, WriteSet& writes) const;

 private:
  PaymentOptions options_;
  std::shared_ptr<MockGateway> gateway_;
};

}  // namespace orderd::commerce
