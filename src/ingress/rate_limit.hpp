#pragma once
// The rate limits' two stages of the middleware chain (middleware.hpp says where each runs),
// over token buckets (rate_limiter.hpp). Built once and shared by both listeners: a caller's
// requests count against the same buckets wherever they arrive.
//
// Past a limit: 429 with code `rate_limited` (per caller) or `rate_limited_address` (per
// address), rendered in the route's family, with the headers
//   retry-after          seconds until a request would be let through (at least 1)
//   ratelimit-limit      the bucket's size (the burst)
//   ratelimit-remaining  0
//   ratelimit-reset      seconds until the bucket is full again
// (the IETF draft's RateLimit header fields, as integers). Answers let through the per-caller
// stage carry the three ratelimit-* headers too, so a client can pace itself before it is
// refused; the per-address stage adds nothing to them (its budget is a flood guard, not a quota).
#include <memory>

#include "ingress/middleware.hpp"
#include "ingress/rate_limit_options.hpp"

namespace orderd::http {

// Keyed by the client's address (request.caller.address); a request without one (no connection
// behind it) is let through. Every route counts, /health and /ready included: a flood is a flood.
std::shared_ptr<Middleware> make_address_limit(const RateLimitOptions& options);

// Keyed by the principal (an anonymous caller, authentication off: by its address) and the
// route's rate class (RouteAccess::rate_class). The rate is the most generous of the caller's
// roles' (per_role), else per_caller. Routes that declare `anonymous` are not limited here.
std::shared_ptr<Middleware> make_caller_limit(const RateLimitOptions& options);

}  // namespace orderd::http
