#pragma once
// The rate limits (--rate-limit*): token buckets, off unless --rate-limit is given, so tests and
// benchmarks are not throttled by default. middleware.hpp says where each stage runs.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace orderd::http {

// A bucket's refill rate and its size: `per_second` tokens a second, at most `burst` at once.
struct Rate {
  double per_second = 0;
  double burst = 0;
};

// "50/s", "3000/min", "100/h" (also "/sec", "/second", "/m", "/minute", "/hour"); nullopt when
// malformed, negative, zero or not finite. The burst is left 0 (the caller sets it).
std::optional<double> parse_rate(std::string_view text);

struct RateLimitOptions {
  bool enabled = false;  // --rate-limit given
  // Per principal, after routing (--rate-limit, --rate-burst); an anonymous caller (authentication
  // off) is keyed by its address.
  Rate per_caller{50, 100};
  // Per role, replacing per_caller for callers with that role (--rate-limit-role service=1000/s;
  // burst: twice the rate). A caller with several takes the most generous.
  std::map<std::string, Rate> per_role;
  // Per client address, before authentication (--rate-limit-per-address; burst twice the rate).
  Rate per_address{1000, 2000};
  // Distinct callers (and addresses) kept at once; past it the least recently seen are forgotten
  // (--rate-limit-max-callers): memory stays bounded whatever the number of callers.
  std::size_t max_tracked = 100'000;
};

}  // namespace orderd::http
