// The token buckets (rate_limiter.hpp) with injected time: refill, burst, the Retry-After and
// RateLimit-Reset values, the memory bound (L1) under 300,000 distinct keys, and the bound on
// what is allowed (L2) with threads racing on shared keys. Then the two stages (rate_limit.hpp)
// in a chain: the 429 and its headers in each family, per-role rates, anonymous routes.
#include "ingress/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ingress/middleware.hpp"
#include "ingress/rate_limit.hpp"
#include "ingress/route_request.hpp"

namespace orderd::http {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;
const Clock::time_point kStart{std::chrono::hours(1)};

TEST(RateLimiterTest, ANewKeyHasItsBurstThenIsRefused) {
  RateLimiter limiter(100);
  const Rate rate{2, 5};
  for (int i = 0; i < 5; ++i) {
    auto d = limiter.take("a", rate, kStart);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
  }
  auto refused = limiter.take("a", rate, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_s, 1);  // one token at 2/s: half a second, rounded up
  EXPECT_EQ(refused.reset_s, 3);        // five tokens at 2/s: 2.5 s, rounded up
  // Another key has its own bucket.
  EXPECT_TRUE(limiter.take("b", rate, kStart).allowed);
}

TEST(RateLimiterTest, TokensComeBackAtTheRateAndNoFasterThanTheBurst) {
  RateLimiter limiter(100);
  const Rate rate{10, 3};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.take("k", rate, kStart).allowed);
  ASSERT_FALSE(limiter.take("k", rate, kStart).allowed);
  // 99 ms at 10/s: 0.99 of a token, not yet one.
  EXPECT_FALSE(limiter.take("k", rate, kStart + milliseconds(99)).allowed);
  // 100 ms: exactly one (the refused takes above cost nothing).
  auto d = limiter.take("k", rate, kStart + milliseconds(100));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_FALSE(limiter.take("k", rate, kStart + milliseconds(100)).allowed);
  // A long pause fills the bucket to its burst, never past it.
  const auto later = kStart + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.take("k", rate, later).allowed) << i;
  EXPECT_FALSE(limiter.take("k", rate, later).allowed);
}

TEST(RateLimiterTest, RetryAfterAndResetFollowASlowRate) {
  RateLimiter limiter(10);
  const Rate rate{0.25, 2};  // one token every 4 s
  ASSERT_TRUE(limiter.take("slow", rate, kStart).allowed);
  auto d = limiter.take("slow", rate, kStart);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.reset_s, 8);
  auto refused = limiter.take("slow", rate, kStart + milliseconds(1000));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 3);  // 0.25 token in: 0.75 to go, 3 s
  EXPECT_EQ(refused.reset_s, 7);        // 1.75 to go, 7 s
  EXPECT_TRUE(limiter.take("slow", rate, kStart + milliseconds(4000)).allowed);
}

TEST(RateLimiterTest, TimeThatRunsBackwardsAddsNothing) {
  RateLimiter limiter(10);
  const Rate rate{1, 1};
  ASSERT_TRUE(limiter.take("k", rate, kStart + std::chrono::seconds(10)).allowed);
  EXPECT_FALSE(limiter.take("k", rate, kStart).allowed);
  EXPECT_FALSE(limiter.take("k", rate, kStart + std::chrono::seconds(10)).allowed);
}

// L1: 300,000 distinct callers never make the table hold more than max_tracked.
TEST(RateLimiterTest, DistinctKeysPastTheBoundEvictTheLeastRecentlyUsed) {
  constexpr std::size_t kMax = 1000;
  RateLimiter limiter(kMax);
  const Rate rate{1, 2};
  std::size_t largest = 0;
  for (int i = 0; i < 300'000; ++i) {
    limiter.take("caller-" + std::to_string(i), rate, kStart);
    if (i % 997 == 0) largest = std::max(largest, limiter.size());
  }
  EXPECT_LE(largest, kMax);
  EXPECT_EQ(limiter.size(), kMax);  // full, not leaking entries and not losing its capacity
  // The recent are still tracked: the last caller's bucket remembers its spent token.
  const std::string last = "caller-299999";
  EXPECT_EQ(limiter.take(last, rate, kStart).remaining, 0);
  // The long forgotten start over with a full bucket.
  EXPECT_EQ(limiter.take("caller-0", rate, kStart).remaining, 1);
}

TEST(RateLimiterTest, ARecentlyUsedKeyOutlivesTheOthersInItsShard) {
  RateLimiter limiter(2, 1);  // one shard of two
  const Rate rate{1, 3};
  limiter.take("old", rate, kStart);
  limiter.take("kept", rate, kStart);
  limiter.take("old", rate, kStart);    // "old" is now the most recent
  limiter.take("third", rate, kStart);  // evicts "kept"
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_EQ(limiter.take("old", rate, kStart).remaining, 0);   // its third token: still known
  EXPECT_EQ(limiter.take("kept", rate, kStart).remaining, 2);  // forgotten: a full bucket again
}

// L2 with threads: several hammer overlapping keys, each with its own view of time from a
// shared clock. Whatever the interleaving, no key is allowed more than burst + rate * elapsed.
TEST(RateLimiterTest, ThreadsOnSharedKeysNeverGetMoreThanTheRatePermits) {
  constexpr int kThreads = 6;
  constexpr int kKeys = 5;
  constexpr int kCalls = 60'000;
  constexpr std::int64_t kStepNs = 10'000;  // each call moves the shared clock 10 us
  const Rate rate{1000, 50};
  RateLimiter limiter(kKeys * 2, 4);
  std::atomic<std::int64_t> clock_ns{0};
  std::vector<std::array<std::int64_t, kKeys>> allowed(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      allowed[t].fill(0);
      const std::string names[kKeys] = {"k0", "k1", "k2", "k3", "k4"};
      for (int i = 0; i < kCalls; ++i) {
        const int key = (i + t) % kKeys;
        const auto now = kStart + std::chrono::nanoseconds(clock_ns.fetch_add(kStepNs));
        if (limiter.take(names[key], rate, now).allowed) ++allowed[t][key];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed_s = static_cast<double>(clock_ns.load()) / 1e9;
  const auto bound = static_cast<std::int64_t>(rate.burst + rate.per_second * elapsed_s);
  std::int64_t total = 0;
  for (int key = 0; key < kKeys; ++key) {
    std::int64_t per_key = 0;
    for (int t = 0; t < kThreads; ++t) per_key += allowed[t][key];
    EXPECT_LE(per_key, bound) << "key " << key;
    // The calls far outnumber what the rate lets through: the limiter does refuse, and lets
    // most of its budget through (it is not merely refusing everything).
    EXPECT_GT(per_key, bound / 2) << "key " << key;
    total += per_key;
  }
  EXPECT_LT(total, std::int64_t{kThreads} * kCalls);
  EXPECT_LE(limiter.size(), 10u);
}

// Many threads, many more keys than the bound: the bound holds under contention too.
TEST(RateLimiterTest, TheBoundHoldsWhileThreadsEvict) {
  RateLimiter limiter(256);
  std::vector<std::thread> threads;
  std::atomic<std::size_t> largest{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50'000; ++i) {
        limiter.take("t" + std::to_string(t) + "-" + std::to_string(i % 5000), Rate{1, 1}, kStart);
        if (i % 1000 == 0) {
          auto size = limiter.size();
          auto seen = largest.load();
          while (size > seen && !largest.compare_exchange_weak(seen, size)) {
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(largest.load(), 256u);
  EXPECT_EQ(limiter.size(), 256u);
}

// The stages in a chain, driven as the service drives it.
class RateLimitStageTest : public ::testing::Test {
 protected:
  void build(std::shared_ptr<Middleware> address, std::shared_ptr<Middleware> caller) {
    ChainOptions options;
    options.address_limit = std::move(address);
    options.caller_limit = std::move(caller);
    chain.emplace(std::move(options), std::vector<std::unique_ptr<Middleware>>{},
                  [this](RouteRequest&, Responder respond) {
                    ++served;
                    respond(Response{200, "{}", {{"x-route", "yes"}}});
                  });
  }

  struct Call {
    std::string principal;
    auth::RoleSet roles;
    std::string address = "10.0.0.1";
    const RouteAccess* access = nullptr;  // the fixture's shop_access
    RouteFamily family = RouteFamily::kApi;
    Clock::time_point at = kStart;
  };
  Response call(const Call& c) {
    RouteRequest request(Request{"GET", "/api/v1/orders", "", {}, nullptr, c.address});
    request.family = c.family;
    request.access = c.access ? c.access : &shop_access;
    request.received_at = c.at;
    request.request_id = "rid";
    request.principal = c.principal;
    request.caller.address = c.address;
    if (!c.principal.empty()) {
      request.caller.open = false;
      request.caller.subject = c.principal;
      request.caller.roles = c.roles;
    }
    std::optional<Response> answer;
    chain->run(request, [&](Response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    return answer ? std::move(*answer) : Response{};
  }
  // How many of `n` calls at the same instant are served.
  int served_of(int n, const Call& c) {
    int ok = 0;
    for (int i = 0; i < n; ++i) ok += call(c).status == 200;
    return ok;
  }
  static std::map<std::string, std::string> headers(const Response& r) {
    return {r.headers.begin(), r.headers.end()};
  }

  RouteAccess shop_access = access::shop("read");
  RouteAccess write_access = access::shop("write");
  RouteAccess health_access = access::anonymous();
  std::optional<MiddlewareChain> chain;
  int served = 0;
};

RateLimitOptions caller_options(Rate per_caller) {
  RateLimitOptions options;
  options.enabled = true;
  options.per_caller = per_caller;
  return options;
}

TEST_F(RateLimitStageTest, ACallerPastItsBurstGets429WithTheHeaders) {
  build(nullptr, make_caller_limit(caller_options({2, 3})));
  const Call alice{"alice", auth::Role::kCustomer};
  for (int i = 0; i < 3; ++i) {
    auto r = call(alice);
    ASSERT_EQ(r.status, 200u) << i;
    auto h = headers(r);
    EXPECT_EQ(h["x-route"], "yes");
    EXPECT_EQ(h["ratelimit-limit"], "3");
    EXPECT_EQ(h["ratelimit-remaining"], std::to_string(2 - i));
    EXPECT_EQ(h.count("retry-after"), 0u);
  }
  auto refused = call(alice);
  EXPECT_EQ(refused.status, 429u);
  EXPECT_EQ(refused.content_type, "application/problem+json");
  auto h = headers(refused);
  EXPECT_EQ(h["retry-after"], "1");
  EXPECT_EQ(h["ratelimit-limit"], "3");
  EXPECT_EQ(h["ratelimit-remaining"], "0");
  EXPECT_EQ(h["ratelimit-reset"], "2");  // three tokens at 2/s
  auto body = boost::json::parse(refused.body).as_object();
  EXPECT_EQ(body["status"].as_int64(), 429);
  EXPECT_EQ(body["code"].as_string(), "rate_limited");
  EXPECT_EQ(served, 3);
  // Another principal, and another rate class of the same one, have their own buckets.
  EXPECT_EQ(call({"bob", auth::Role::kCustomer}).status, 200u);
  EXPECT_EQ(call({"alice", auth::Role::kCustomer, "10.0.0.1", &write_access}).status, 200u);
  // Time brings the tokens back.
  EXPECT_EQ(call({"alice", auth::Role::kCustomer, "10.0.0.1", &shop_access, RouteFamily::kApi,
                  kStart + milliseconds(500)})
                .status,
            200u);
}

TEST_F(RateLimitStageTest, ARestateRouteIsRefusedInItsOwnFamily) {
  build(nullptr, make_caller_limit(caller_options({1, 1})));
  Call c{"svc", auth::Role::kService};
  c.family = RouteFamily::kRestate;
  ASSERT_EQ(call(c).status, 200u);
  auto refused = call(c);
  EXPECT_EQ(refused.status, 429u);
  auto body = boost::json::parse(refused.body).as_object();
  EXPECT_EQ(body["code"].as_int64(), 429);
  EXPECT_EQ(headers(refused)["retry-after"], "1");
}

TEST_F(RateLimitStageTest, TheMostGenerousRoleRateWins) {
  auto options = caller_options({1, 2});
  options.per_role["service"] = {100, 20};
  options.per_role["admin"] = {50, 10};
  build(nullptr, make_caller_limit(options));
  EXPECT_EQ(served_of(30, {"cust", auth::Role::kCustomer}), 2);
  EXPECT_EQ(served_of(30, {"svc", auth::Role::kService}), 20);
  EXPECT_EQ(served_of(30, {"adm", auth::Role::kAdmin}), 10);
  EXPECT_EQ(served_of(30, {"both", auth::Role::kAdmin | auth::Role::kService}), 20);
  EXPECT_EQ(served_of(30, {"mixed", auth::Role::kCustomer | auth::Role::kAdmin}), 10);
}

TEST_F(RateLimitStageTest, AnonymousRoutesAreNotLimitedPerCaller) {
  build(nullptr, make_caller_limit(caller_options({1, 1})));
  Call health{"", {}};
  health.access = &health_access;
  EXPECT_EQ(served_of(50, health), 50);
  auto r = call(health);
  EXPECT_EQ(headers(r).count("ratelimit-limit"), 0u);
}

TEST_F(RateLimitStageTest, WithoutAuthenticationCallersAreKeyedByAddress) {
  build(nullptr, make_caller_limit(caller_options({1, 2})));
  EXPECT_EQ(served_of(5, {"", {}, "10.0.0.1"}), 2);
  EXPECT_EQ(served_of(5, {"", {}, "10.0.0.2"}), 2);
  // A principal named like the address key has a bucket of its own.
  EXPECT_EQ(served_of(5, {"addr:10.0.0.1", auth::Role::kCustomer, "10.0.0.1"}), 2);
  // No connection behind it: nothing to key on, let through.
  EXPECT_EQ(served_of(5, {"", {}, ""}), 5);
}

TEST_F(RateLimitStageTest, TheAddressLimitRefusesBeforeTheCallerLimit) {
  RateLimitOptions options = caller_options({100, 100});
  options.per_address = {1, 3};
  build(make_address_limit(options), make_caller_limit(options));
  // Three principals from one address share its budget.
  EXPECT_EQ(call({"a", auth::Role::kCustomer}).status, 200u);
  EXPECT_EQ(call({"b", auth::Role::kCustomer}).status, 200u);
  EXPECT_EQ(call({"c", auth::Role::kCustomer}).status, 200u);
  auto refused = call({"d", auth::Role::kCustomer});
  EXPECT_EQ(refused.status, 429u);
  auto body = boost::json::parse(refused.body).as_object();
  EXPECT_EQ(body["code"].as_string(), "rate_limited_address");
  auto h = headers(refused);
  EXPECT_EQ(h["retry-after"], "1");
  EXPECT_EQ(h["ratelimit-limit"], "3");
  EXPECT_EQ(h["ratelimit-remaining"], "0");
  EXPECT_EQ(h["ratelimit-reset"], "3");
  // Health checks count against the address too; another address is untouched.
  Call health{"", {}};
  health.access = &health_access;
  EXPECT_EQ(call(health).status, 429u);
  EXPECT_EQ(call({"a", auth::Role::kCustomer, "10.0.0.9"}).status, 200u);
  EXPECT_EQ(served, 4);
}

}  // namespace
}  // namespace orderd::http
