#include "commerce/payments/mock_gateway.hpp"

#include <cstdio>

#include "engine/scheduler.hpp"

namespace orderd::commerce {
namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

bool MockGateway::supports(const std::string& payment_method) {
  return payment_method == "mock" || payment_method == "mock_declined" ||
         payment_method == "mock_flaky";
}

GatewayReply MockGateway::decide(const GatewayRequest& request, const std::string& key) const {
  char reference[32];
  std::snprintf(reference, sizeof reference, "mock_%016llx",
                static_cast<unsigned long long>(fnv1a(key)));
  if (request.type == "authorize") {
    if (request.payment_method == "mock_declined")
      return {"declined", reference, "card declined (mock_declined)"};
    const double draw = static_cast<double>(fnv1a(request.order_id) >> 11) / 9007199254740992.0;
    if (request.payment_method != "mock_declined" && draw < options_.decline_rate)
      return {"declined", reference, "card declined (--payment-decline-rate)"};
  }
  return {"succeeded", reference, ""};
}

void MockGateway::submit(const GatewayRequest& request, const EffectAttempt& attempt,
                         Handoff<GatewayReply>::Deliverer reply) {
  const std::string& key =
      request.idempotency_key.empty() ? attempt.idempotency_key : request.idempotency_key;
  if (options_.record_operations) asked_.emplace(key, request);
  if (request.payment_method == "mock_flaky" && attempt.attempt <= options_.flaky_timeouts)
    return;  // never answers: the attempt times out
  GatewayReply answer = decide(request, key);
  if (options_.latency_ms <= 0) {
    reply.deliver(std::move(answer));
    return;
  }
  scheduler_.schedule_after(options_.latency_ms,
                            [reply, answer = std::move(answer)] { reply.deliver(answer); });
}

std::size_t MockGateway::operations(const std::string& type, const std::string& order_id) const {
  std::size_t n = 0;
  for (const auto& [key, request] : asked_)
    n += request.type == type && request.order_id == order_id;
  return n;
}

Task<GatewayReply> call_gateway(std::shared_ptr<MockGateway> gateway, GatewayRequest request,
                                EffectAttempt attempt) {
  Handoff<GatewayReply> reply(attempt);
  gateway->submit(request, attempt, reply.deliverer());
  GatewayReply answer = co_await reply;
  co_return answer;
}

}  // namespace orderd::commerce
