#pragma once
// The payment gateway orderd ships with: a stand-in for a card processor, asynchronous like a
// real client, answering on the engine thread `latency_ms` after an operation arrives.
// Methods:
//   mock           succeeds, unless the owner falls in `decline_rate` (decided from the owner,
//                  so every retry and replay gets the same answer)
//   mock_declined  every authorization is declined
//   mock_flaky     the first `flaky_timeouts` attempts of each operation are carried out but
//                  their answer is lost (the effect's timeout and retries take over; the retry,
//                  under the same key, gets the answer the first attempt's operation had)
//
// As a processor does, it keeps per key the operation and its answer (the same key answers the
// same; a key reused for another operation is declined, key_reused) and per owner its money:
//  - a void of an authorization never made, or not arrived yet, succeeds ("nothing to void") and
//    tombstones the owner: an authorization arriving later is declined (authorization_voided)
//    and never holds money;
//  - a capture of a voided authorization is declined (authorization_voided); a void of a
//    captured one is declined (already_captured: the caller refunds instead); a refund needs a
//    capture (nothing_captured) and is made once (already_refunded).
//
// Tests keep the object across engine restarts: its ledger of operations outlives every crash,
// so a simulation can count what the processor really did (money, held). With a state file
// (MockGatewayOptions::state_file, --mock-gateway-state) it outlives orderd's process too: every
// operation is written there before it is answered (G1 in mock_gateway_state.hpp), and a new
// gateway replays the file, so the same key answers the same after a kill -9 of orderd.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "payments/mock_gateway_state.hpp"
#include "payments/payment_gateway.hpp"

namespace orderd {
class Scheduler;
}

namespace orderd::payments {

struct MockGatewayOptions {
  double decline_rate = 0;  // 0..1, of authorizations paid with "mock"
  std::int64_t latency_ms = 0;
  std::uint32_t flaky_timeouts = 2;
  // Owners remembered (their keys and money); the oldest is forgotten past this, as a processor
  // expires idempotency keys. 0: no limit (tests).
  std::size_t max_owners = 100'000;
  // Where the operations are kept across orderd's restarts; empty: in memory only. Replayed
  // whole at construction, max_owners applying as the replay goes (the oldest forgotten).
  std::string state_file;
};

class MockGateway : public PaymentGateway {
 public:
  // Throws std::runtime_error when the state file cannot be opened, locked or read back.
  MockGateway(Scheduler& scheduler, MockGatewayOptions options);
  // The clock its latency runs on, after a restart: the gateway outlives orderd's crashes, and
  // remembers what it did (the outside world does).
  void rebind(Scheduler& scheduler) { scheduler_ = &scheduler; }

  static bool supports_method(const std::string& method);
  bool supports(const std::string& method) const override { return supports_method(method); }
  void submit(const GatewayOperation& op, const EffectAttempt& attempt,
              Handoff<GatewayReply>::Deliverer reply) override;

  // Test knob: the next `count` new operations of type `op` are declined (reason "refused"),
  // as a processor refusing a refund would.
  void refuse(PaymentOp op, std::uint32_t count);

  MoneyCount money(const std::string& owner) const;
  // Authorized and neither captured nor voided: money the owner still holds at the processor.
  bool held(const std::string& owner) const;
  // Distinct operations (keys) asked for, answered or not.
  std::size_t operations() const;

 private:
  struct Owner {
    bool authorized = false;
    bool tombstoned = false;  // voided before any authorization arrived
    bool captured = false;
    bool voided = false;
    bool refunded = false;
    MoneyCount count;
  };
  struct Asked {
    GatewayOperation op;
    GatewayReply answer;
  };
  // The answer under `key`; nullopt when a new operation could not be written down (G1): it
  // is then not carried out, and not answered (the attempt times out and is retried).
  std::optional<GatewayReply> carry_out(const GatewayOperation& op, const std::string& key);
  GatewayReply decide(const Owner& money, const GatewayOperation& op, const std::string& key,
                      bool refused) const;
  static void apply(Owner& money, PaymentOp type, const GatewayReply& answer);
  // The owner, as this operation finds it (an owner never seen is assumed, see carry_out).
  Owner& arriving(const GatewayOperation& op);
  void remember(const std::string& key, const GatewayOperation& op, const GatewayReply& answer);
  void replay(const std::vector<GatewayRecord>& records);
  Owner& owner(const std::string& name);

  Scheduler* scheduler_;
  MockGatewayOptions options_;
  mutable std::mutex mutex_;  // submit on the engine thread, counts from a test's
  std::unordered_map<std::string, Asked> asked_;  // by key
  std::unordered_map<std::string, Owner> owners_;
  std::deque<std::string> owner_order_;  // first seen first, for max_owners
  std::unordered_map<std::string, std::vector<std::string>> keys_by_owner_;
  std::map<PaymentOp, std::uint32_t> refusals_;
  std::unique_ptr<GatewayStateFile> state_;  // null: memory only
};

}  // namespace orderd::payments
