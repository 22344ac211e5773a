#pragma once
// The middleware chain a listener's requests pass, built once at startup. Callback-based, like
// the server: a stage calls next(request, respond) to go on, maybe later and with a responder
// wrapping its own, or answers respond itself to stop there.
//
// The order, outermost first, and why:
//   (the service, before the chain) request id: the client's valid X-Request-Id or a new one,
//       echoed as x-request-id on every answer, refusals included, so answers and logs meet;
//       and routing, so every stage knows the route's template and what it declares
//       (route_access.hpp), though none but the last acts on the route.
//   1. metrics: outermost, so it times and counts every answer, rejections and 500s included.
//   2. access log (--access-log): for the same reason, with the final status.
//   3. exception guard: a synchronous throw below becomes a 500 in the request's family (with
//      its id), which 1 and 2 then see; the server's own catch is only a backstop.
//   4. the listener's stages (the ingress's shutdown gate): a stopping server refuses new work
//      before any further cost.
//   5. per-address limit (--rate-limit-per-address): sheds floods and bad-token storms before
//      authentication, which costs a signature check.
//   6. authentication: sets the caller, or answers 401. After it, every stage knows who calls.
//      It runs before routing's 404/405 too: a caller without credentials learns nothing of
//      which routes exist.
//   7. roles: the route's declared roles against the caller's (route_access.hpp), or 403.
//      Installed with authentication.
//   8. per-caller limit (--rate-limit): token buckets per principal and the route's rate class,
//      after the role check, so a caller refused its route spends nothing of its budget.
//   9. the route, or the router's 404/405.
// Empty seams (no metrics observer, no limits, no authenticator, access log off) are not
// installed at all, so they cost nothing.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "ingress/http_types.hpp"
#include "ingress/route_request.hpp"

namespace orderd::http {

class MiddlewareChain;

// The rest of the chain after a stage. Cheap to copy; valid as long as the chain.
class Next {
 public:
  void operator()(RouteRequest& request, Responder respond) const;

 private:
  friend class MiddlewareChain;
  Next(const MiddlewareChain& chain, std::size_t index) : chain_(&chain), index_(index) {}
  const MiddlewareChain* chain_;
  std::size_t index_;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  // Exactly one of: next(request, respond-or-a-wrapper), now or later; or respond(...). An
  // error answer is request.error(ApiError{...}), so it is rendered in the request's family.
  virtual void handle(RouteRequest& request, Responder respond, Next next) = 0;
};

// Told of every answer: the route's template (empty when none matched), the status, and the
// time since the request was handed to the listener.
using MetricsObserver =
    std::function<void(std::string_view route, unsigned status, std::chrono::microseconds elapsed)>;

// The seams, each empty by default. The stages are shared: both listeners count against the
// same limits and trust the same keys.
struct ChainOptions {
  bool access_log = false;  // one info line per answer; off by default, for benchmarks
  MetricsObserver metrics;
  std::shared_ptr<Middleware> address_limit;   // 5; empty: every request is let through
  std::shared_ptr<Middleware> authentication;  // 6 and 7; empty: every caller is open
  std::shared_ptr<Middleware> caller_limit;    // 8; empty: every request is let through
};

// 7: refuses with 403 a caller the route's declaration does not allow (RouteAccess::allows).
std::shared_ptr<Middleware> make_role_check();

class MiddlewareChain {
 public:
  // What answers once every stage has let the request through.
  using Terminal = std::function<void(RouteRequest& request, Responder respond)>;

  // The stages in the order above; `listener_stages` go at 4, in the order given.
  MiddlewareChain(ChainOptions options, std::vector<std::unique_ptr<Middleware>> listener_stages,
                  Terminal terminal);
  void run(RouteRequest& request, Responder respond) const {
    Next(*this, 0)(request, std::move(respond));
  }

 private:
  friend class Next;
  std::vector<std::shared_ptr<Middleware>> stages_;
  Terminal terminal_;
};

}  // namespace orderd::http
