#pragma once
// The front door: the one way every route family (Restate's, /api/v1, and the routes later issues
// add) starts an invocation, attaches to one and waits for it. It applies, once for all of them:
//   - the idempotency key: 1 to 255 printable characters, scoped to the caller and the target;
//     an answer that names an existing invocation (a replay, a reuse, a key in use) is given only
//     once that invocation is durable, so no client is told of one a crash could lose;
//   - the caller: the principal authentication set, and the W3C `traceparent`, recorded in the
//     invocation, whatever else the request carries;
//   - the bounds: active invocations (--max-inflight), parked ones (--max-parked) and delayed
//     sends not yet due (--max-scheduled), each its own; past one, 503 with Retry-After. A delay
//     above --max-delay is a 400;
//   - the quotas of an authenticated caller that is not admin: its parked invocations
//     (--quota-parked) and its delayed sends not yet due (--quota-scheduled); past one, 429
//     quota_parked or quota_scheduled with Retry-After (Q2, front_door.cpp). A retry of a known
//     idempotency key is never refused for load nor for a quota;
//   - the deadline: the route's wait (--order-wait, --request-timeout; 0 = until the outcome),
//     shortened by a `Request-Timeout` header; when it passes the route answers 202;
//   - hang-ups: a client that closes its connection stops waiting at once (its waiter leaves the
//     engine); the invocation goes on.
// Families differ only where their conventions do: a key still in flight is waited for on
// Restate's routes, and refused 409 idempotency_key_in_use on /api (commerce-conventions.md).
//
// Everything runs on the engine thread. Beast and Asio stay out: routes include this.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/unique_function.hpp"
#include "engine/engine.hpp"
#include "ingress/api_error.hpp"
#include "ingress/route_request.hpp"

namespace orderd {
class Registry;
class Scheduler;
struct HandlerEntry;
}  // namespace orderd

namespace orderd::http {

struct FrontDoorOptions {
  // Active invocations (in memory, neither parked nor scheduled; children included) past which
  // new work is refused (--max-inflight).
  std::size_t max_in_flight = 200'000;
  // Parked invocations (waiting on a timer, an awakeable or a promise) past which new work is
  // refused, except the shared handlers that resolve what parked runs wait for (--max-parked).
  std::size_t max_parked = 2'000'000;
  // Delayed sends not yet due past which new delayed sends are refused (--max-scheduled).
  std::size_t max_scheduled = 1'000'000;
  // The longest ?delay= a send may ask for (--max-delay).
  std::int64_t max_delay_ms = 30LL * 24 * 3600 * 1000;
  // Quotas: what one authenticated principal may hold at once (--quota-parked,
  // --quota-scheduled); past them 429 with its own code. Admins and open callers have none.
  std::size_t max_parked_per_caller = 10'000;
  std::size_t max_scheduled_per_caller = 10'000;
  // How long Restate-style calls and attaches wait before answering 202 (--request-timeout);
  // 0: until the outcome, as Restate does.
  std::int64_t request_timeout_ms = 0;
};

class FrontDoor {
 public:
  static constexpr std::size_t kMaxIdempotencyKey = 255;
  // 1 to kMaxIdempotencyKey printable characters: a control byte could forge another caller's
  // scope (engine.cpp), and a key is for logs and lookups too.
  static bool valid_idempotency_key(std::string_view key);

  FrontDoor(Engine& engine, Scheduler& scheduler, const Registry& registry,
            FrontDoorOptions options = {});
  FrontDoor(const FrontDoor&) = delete;
  FrontDoor& operator=(const FrontDoor&) = delete;

  struct Reply {
    enum class Kind {
      kDone,          // the outcome
      kReplayed,      // the outcome of an earlier request with the same Idempotency-Key
      kAccepted,      // a send whose creation is durable (`previously`: an earlier one's)
      kStillRunning,  // the deadline passed first: answer 202 and let the client come back
      kRefused,       // `refusal` says why; `invocation_id` names the invocation it concerns
    };
    Kind kind = Kind::kDone;
    std::string invocation_id;
    InvocationOutcome outcome;
    ApiError refusal;
    bool previously = false;         // kAccepted
    std::int64_t execute_at_ms = 0;  // kAccepted, for a delayed send
  };
  // Called once with the reply, or never when the client hung up first.
  using Done = UniqueFunction<void(Reply)>;

  // What a route asks for: the invocation (its input already validated), a call or a send, the
  // raw ?delay= of a send, and how long the route waits for a call's outcome (0: until it comes).
  struct Start {
    InvokeRequest invoke;
    bool send = false;
    const std::string* delay = nullptr;
    std::int64_t wait_ms = 0;
  };
  void start(const RouteRequest& request, Start start, Done done);

  // Waits for an invocation that exists (attach), as start() waits for a call.
  void attach(const RouteRequest& request, const std::string& invocation_id, std::int64_t wait_ms,
              Done done);

  // The deadline of a request: the route's wait, shortened by a valid Request-Timeout header
  // (0 = none). A malformed header is the refusal.
  std::optional<std::int64_t> deadline(const RouteRequest& request, std::int64_t route_wait_ms,
                                       ApiError& refusal) const;

  const FrontDoorOptions& options() const { return options_; }
  Engine& engine() { return engine_; }

 private:
  std::optional<ApiError> check_key(const RouteRequest& request, const HandlerEntry& entry) const;
  std::optional<ApiError> check_bounds(const HandlerEntry& entry, bool scheduled) const;
  std::optional<ApiError> check_quota(const RouteRequest& request, const HandlerEntry& entry,
                                      bool scheduled) const;
  void wait(const RouteRequest& request, const std::string& invocation_id, std::int64_t wait_ms,
            bool replayed, Done done);
  void refuse_when_durable(Reply reply, Done done);

  Engine& engine_;
  Scheduler& scheduler_;
  const Registry& registry_;
  FrontDoorOptions options_;
};

}  // namespace orderd::http
