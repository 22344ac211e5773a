#include "payments/mock_gateway.hpp"

#include <cstdio>
#include <utility>

#include "engine/scheduler.hpp"

namespace orderd::payments {
namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string reference_for(const std::string& key) {
  char reference[32];
  std::snprintf(reference, sizeof reference, "mock_%016llx",
                static_cast<unsigned long long>(fnv1a(key)));
  return reference;
}

bool same_operation(const GatewayOperation& a, const GatewayOperation& b) {
  return a.type == b.type && a.owner == b.owner && a.method == b.method && a.amount == b.amount &&
         a.currency == b.currency;
}

}  // namespace

bool MockGateway::supports_method(const std::string& method) {
  return method == "mock" || method == "mock_declined" || method == "mock_flaky";
}

void MockGateway::refuse(PaymentOp op, std::uint32_t count) {
  std::lock_guard lock(mutex_);
  refusals_[op] = count;
}

MockGateway::Owner& MockGateway::owner(const std::string& name) {
  auto [it, inserted] = owners_.try_emplace(name);
  if (inserted) {
    owner_order_.push_back(name);
    if (options_.max_owners > 0 && owner_order_.size() > options_.max_owners) {
      const std::string oldest = owner_order_.front();
      owner_order_.pop_front();
      for (const auto& key : keys_by_owner_[oldest]) asked_.erase(key);
      keys_by_owner_.erase(oldest);
      owners_.erase(oldest);
    }
  }
  return owners_.at(name);
}

MockGateway::MockGateway(Scheduler& scheduler, MockGatewayOptions options)
    : scheduler_(&scheduler), options_(std::move(options)) {
  if (options_.state_file.empty()) return;
  state_ = std::make_unique<GatewayStateFile>(options_.state_file);
  replay(state_->loaded());
}

// What the processor did before this object existed, in the order it did it: each operation
// meets its owner as it found it then (the same arrival, the same evictions under max_owners),
// so the recorded answers move the money as they did.
void MockGateway::replay(const std::vector<GatewayRecord>& records) {
  for (const auto& record : records) {
    Owner& money = arriving(record.op);
    apply(money, record.op.type, record.answer);
    remember(record.key, record.op, record.answer);
  }
}

// An owner never seen (this mock without a state file lives in orderd's process: after a
// restart it has forgotten what it did; or max_owners forgot it) asked to capture or refund was
// authorized (captured) before, as a processor that outlives orderd would know; a void still
// tombstones.
MockGateway::Owner& MockGateway::arriving(const GatewayOperation& op) {
  const bool first_seen = !keys_by_owner_.count(op.owner);
  Owner& money = owner(op.owner);
  if (first_seen && op.type == PaymentOp::kCapture) money.authorized = true;
  if (first_seen && op.type == PaymentOp::kRefund) money.authorized = money.captured = true;
  return money;
}

void MockGateway::remember(const std::string& key, const GatewayOperation& op,
                           const GatewayReply& answer) {
  asked_.insert_or_assign(key, Asked{op, answer});
  keys_by_owner_[op.owner].push_back(key);
}

// The operation as the processor carries it out, on arrival; its answer, kept under `key`.
std::optional<GatewayReply> MockGateway::carry_out(const GatewayOperation& op,
                                                   const std::string& key) {
  if (auto it = asked_.find(key); it != asked_.end()) {
    if (same_operation(it->second.op, op)) return it->second.answer;
    return GatewayReply{ReplyStatus::kDeclined, "",
                        "idempotency key " + key + " was used for another operation", "key_reused"};
  }
  Owner& money = arriving(op);
  std::uint32_t& refusals = refusals_[op.type];
  const GatewayReply answer = decide(money, op, key, refusals > 0);
  // Written down before it is carried out and answered (G1): what orderd is told is on file.
  if (state_ && !state_->append({key, op, answer})) return std::nullopt;
  if (refusals > 0) --refusals;
  apply(money, op.type, answer);
  remember(key, op, answer);
  return answer;
}

GatewayReply MockGateway::decide(const Owner& money, const GatewayOperation& op,
                                 const std::string& key, bool refused) const {
  const std::string reference = reference_for(key);
  auto decline = [&](std::string message, std::string reason) {
    return GatewayReply{ReplyStatus::kDeclined, reference, std::move(message), std::move(reason)};
  };
  const GatewayReply success{ReplyStatus::kSucceeded, reference, "", ""};
  if (refused)
    return decline(std::string(to_string(op.type)) + " refused by the processor", "refused");
  switch (op.type) {
    case PaymentOp::kAuthorize: {
      if (money.tombstoned || money.voided)
        return decline("the authorization was voided before it arrived", "authorization_voided");
      if (op.method == "mock_declined")
        return decline("card declined (mock_declined)", "card_declined");
      const double draw = static_cast<double>(fnv1a(op.owner) >> 11) / 9007199254740992.0;
      if (op.method == "mock" && draw < options_.decline_rate)
        return decline("card declined (--payment-decline-rate)", "card_declined");
      return success;
    }
    case PaymentOp::kCapture:
      if (money.voided || money.tombstoned)
        return decline("the authorization was voided", "authorization_voided");
      if (!money.authorized) return decline("nothing is authorized", "not_authorized");
      if (money.captured)
        return decline("the authorization is captured already", "already_captured");
      return success;
    case PaymentOp::kVoid:
      if (money.captured)
        return decline("the authorization is captured: refund it instead", "already_captured");
      if (!money.authorized) return {ReplyStatus::kSucceeded, reference, "nothing to void", ""};
      return success;
    case PaymentOp::kRefund:
      if (!money.captured) return decline("nothing is captured", "nothing_captured");
      if (money.refunded) return decline("the capture is refunded already", "already_refunded");
      return success;
  }
  return decline("unknown operation", "unknown_operation");
}

// How an answer moves the owner's money: a decline moves none. The one place both a new
// operation and a replayed one go through, so a replay ends where the processor was.
void MockGateway::apply(Owner& money, PaymentOp type, const GatewayReply& answer) {
  if (!answer.succeeded()) return;
  switch (type) {
    case PaymentOp::kAuthorize:
      money.authorized = true;
      ++money.count.authorized;
      return;
    case PaymentOp::kCapture:
      money.captured = true;
      ++money.count.captured;
      return;
    case PaymentOp::kVoid:
      ++money.count.voided;
      if (money.authorized)
        money.voided = true;
      else
        money.tombstoned = true;  // a late authorization is declined, never held
      return;
    case PaymentOp::kRefund:
      money.refunded = true;
      ++money.count.refunded;
      return;
  }
}

void MockGateway::submit(const GatewayOperation& op, const EffectAttempt& attempt,
                         Handoff<GatewayReply>::Deliverer reply) {
  std::optional<GatewayReply> carried;
  {
    std::lock_guard lock(mutex_);
    carried = carry_out(op, effective_key(op, attempt));
  }
  if (!carried) return;  // not written down, so not carried out: the attempt times out
  GatewayReply answer = std::move(*carried);
  if (op.method == "mock_flaky" && attempt.attempt <= options_.flaky_timeouts)
    return;  // carried out, but the answer is lost: the attempt times out
  if (options_.latency_ms <= 0) {
    reply.deliver(std::move(answer));
    return;
  }
  scheduler_->schedule_after(options_.latency_ms,
                             [reply, answer = std::move(answer)] { reply.deliver(answer); });
}

MoneyCount MockGateway::money(const std::string& owner) const {
  std::lock_guard lock(mutex_);
  auto it = owners_.find(owner);
  return it == owners_.end() ? MoneyCount{} : it->second.count;
}

bool MockGateway::held(const std::string& owner) const {
  std::lock_guard lock(mutex_);
  auto it = owners_.find(owner);
  return it != owners_.end() && it->second.authorized && !it->second.captured && !it->second.voided;
}

std::size_t MockGateway::operations() const {
  std::lock_guard lock(mutex_);
  return asked_.size();
}

}  // namespace orderd::payments
