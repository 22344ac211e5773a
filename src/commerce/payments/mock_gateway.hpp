#pragma once
// The payment gateway orderd ships with: a stand-in for a card processor's API, asynchronous
// like a real client, answering on the engine thread after `latency_ms`.
//   mock           succeeds, unless the order falls in `decline_rate` (decided from the order
//                  id, so every retry and replay gets the same answer)
//   mock_declined  every authorization is declined
//   mock_flaky     the first `flaky_timeouts` attempts of each operation never answer (the
//                  effect's timeout and retries take over), then it answers as mock
// Operations are idempotent under their key: asking again answers the same.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "commerce/payments/payment.hpp"
#include "engine/handoff.hpp"
#include "engine/task.hpp"

namespace orderd {
class Scheduler;
}

namespace orderd::commerce {

struct GatewayOptions {
  double decline_rate = 0;  // 0..1, of authorizations paid with "mock"
  std::int64_t latency_ms = 0;
  std::uint32_t flaky_timeouts = 2;
  // Keep every operation asked for (operations()): for tests; it grows with every payment.
  bool record_operations = false;
};

class MockGateway {
 public:
  MockGateway(Scheduler& scheduler, GatewayOptions options)
      : scheduler_(scheduler), options_(options) {}
  static bool supports(const std::string& payment_method);

  // The answer to `request` under its key (GatewayRequest::idempotency_key, else `attempt`'s);
  // nothing for a flaky attempt.
  void submit(const GatewayRequest& request, const EffectAttempt& attempt,
              Handoff<GatewayReply>::Deliverer reply);
  // How many distinct operations (keys) of `type` the gateway was asked for on `order_id`: what
  // a real processor would have carried out. Only with GatewayOptions::record_operations.
  std::size_t operations(const std::string& type, const std::string& order_id) const;

 private:
  GatewayReply decide(const GatewayRequest& request, const std::string& key) const;
  Scheduler& scheduler_;
  GatewayOptions options_;
  std::map<std::string, GatewayRequest> asked_;  // by idempotency key
};

// One attempt of a gateway operation, as an asynchronous effect (Context::run_async).
Task<GatewayReply> call_gateway(std::shared_ptr<MockGateway> gateway, GatewayRequest request,
                                EffectAttempt attempt);

}  // namespace orderd::commerce
