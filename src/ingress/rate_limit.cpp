#include "ingress/rate_limit.hpp"

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "ingress/rate_limiter.hpp"

namespace orderd::http {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

void add_ratelimit_headers(Headers& headers, const RateLimiter::Decision& d) {
  headers.emplace_back("ratelimit-limit", std::to_string(d.limit));
  headers.emplace_back("ratelimit-remaining", std::to_string(d.remaining));
  headers.emplace_back("ratelimit-reset", std::to_string(d.reset_s));
}

ApiError too_many(const RateLimiter::Decision& d, std::string message, std::string code) {
  ApiError e{ErrorCode::kResourceExhausted, std::move(message), std::move(code)};
  e.headers.emplace_back("retry-after", std::to_string(d.retry_after_s));
  add_ratelimit_headers(e.headers, d);
  return e;
}

class AddressLimit final : public Middleware {
 public:
  explicit AddressLimit(const RateLimitOptions& options)
      : rate_(options.per_address), buckets_(options.max_tracked) {}

  void handle(RouteRequest& request, Responder respond, Next next) override {
    const std::string& address = request.caller.address;
    if (address.empty()) return next(request, std::move(respond));
    const auto d = buckets_.take(address, rate_, request.received_at);
    if (d.allowed) return next(request, std::move(respond));
    respond(request.error(too_many(d,
                                   "too many requests from this address; retry after " +
                                       std::to_string(d.retry_after_s) + " s",
                                   "rate_limited_address")));
  }

 private:
  Rate rate_;
  RateLimiter buckets_;
};

class CallerLimit final : public Middleware {
 public:
  explicit CallerLimit(const RateLimitOptions& options)
      : per_caller_(options.per_caller), buckets_(options.max_tracked) {
    for (auto role : kRoles)
      if (auto it = options.per_role.find(std::string(auth::to_string(role)));
          it != options.per_role.end())
        per_role_[index(role)] = it->second;
  }

  void handle(RouteRequest& request, Responder respond, Next next) override {
    if (request.access->anonymous) return next(request, std::move(respond));
    // The key: the route's rate class (chosen by the code, never holds '|'), then who calls.
    // One buffer per thread, so a known caller costs no allocation.
    thread_local std::string key;
    key.assign(request.access->rate_class);
    if (!request.principal.empty()) {
      key.append("|p:").append(request.principal);
    } else if (!request.caller.address.empty()) {
      key.append("|addr:").append(request.caller.address);
    } else {
      return next(request, std::move(respond));  // nobody to count it against (no connection)
    }
    const auto d = buckets_.take(key, rate_for(request.caller), request.received_at);
    if (!d.allowed)
      return respond(request.error(
          too_many(d, "too many requests; retry after " + std::to_string(d.retry_after_s) + " s",
                   "rate_limited")));
    auto counted = [d, respond = std::move(respond)](Response response) mutable {
      add_ratelimit_headers(response.headers, d);
      respond(std::move(response));
    };
    next(request, std::move(counted));
  }

 private:
  static constexpr std::array kRoles{auth::Role::kCustomer, auth::Role::kAdmin,
                                     auth::Role::kService};
  static std::size_t index(auth::Role role) {
    for (std::size_t i = 0; i < kRoles.size(); ++i)
      if (kRoles[i] == role) return i;
    return 0;
  }

  // The most generous of the caller's roles' rates (per second, then burst), else per_caller.
  const Rate& rate_for(const auth::Caller& caller) const {
    const Rate* best = nullptr;
    for (auto role : kRoles) {
      const auto& rate = per_role_[index(role)];
      if (!rate || !caller.has(role)) continue;
      if (!best || rate->per_second > best->per_second ||
          (rate->per_second == best->per_second && rate->burst > best->burst))
        best = &*rate;
    }
    return best ? *best : per_caller_;
  }

  Rate per_caller_;
  std::array<std::optional<Rate>, kRoles.size()> per_role_;
  RateLimiter buckets_;
};

}  // namespace

std::shared_ptr<Middleware> make_address_limit(const RateLimitOptions& options) {
  return std::make_shared<AddressLimit>(options);
}

std::shared_ptr<Middleware> make_caller_limit(const RateLimitOptions& options) {
  return std::make_shared<CallerLimit>(options);
}

}  // namespace orderd::http
