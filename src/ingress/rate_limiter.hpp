#pragma once
// A table of token buckets keyed by string (a caller, an address): the arithmetic of the rate
// limits (rate_limit.hpp puts it in the middleware chain). Pure: time is passed in, so it is
// tested without sleeping. Thread-safe: sharded by the key's hash, a mutex per shard, so the
// I/O threads may share one table.
//
// L1. Memory is bounded: at most `max_tracked` keys are held at once, whatever the number of
//     distinct keys seen. Past it the least recently used key of its shard is forgotten, and a
//     forgotten key comes back with a full bucket: a caller idle long enough to be evicted gets
//     its burst again (with the default 100,000 keys that is a caller unseen while 100,000
//     others came, far longer than a bucket takes to fill at any sane rate).
// L2. Over any interval of length T a key is allowed at most burst + rate * T requests while it
//     stays tracked (the bucket never holds more than its burst, and time passed in that runs
//     backwards adds nothing).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingress/rate_limit_options.hpp"

namespace orderd::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // What one request costs its bucket, in the terms of the RateLimit header fields.
  struct Decision {
    bool allowed = false;
    std::int64_t limit = 0;      // the bucket's size (the burst), whole requests
    std::int64_t remaining = 0;  // whole tokens left after this request
    // Seconds until the next token (Retry-After): at least 1 when refused, 0 when a token is
    // left now.
    std::int64_t retry_after_s = 0;
    std::int64_t reset_s = 0;  // seconds until the bucket is full again (RateLimit-Reset)
  };

  // `shards` is lowered to max_tracked when that is smaller, so every shard holds a key.
  explicit RateLimiter(std::size_t max_tracked, std::size_t shards = 16);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `key`'s bucket, refilled at `rate` up to `now` (a new key starts
  // full). The rate is the caller's at this request: a key whose rate changes keeps its tokens.
  // A burst below 1 counts as 1. No allocation for a tracked key.
  Decision take(std::string_view key, const Rate& rate, Clock::time_point now);

  std::size_t size() const;  // keys held now, across shards (L1)
  std::size_t max_tracked() const { return max_tracked_; }

 private:
  struct Bucket {
    std::string key;
    double tokens = 0;
    Clock::time_point updated;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::size_t capacity = 0;
    std::list<Bucket> recent;  // most recently used first
    // Views into the buckets' keys: list nodes never move.
    std::unordered_map<std::string_view, std::list<Bucket>::iterator> index;
  };

  std::size_t max_tracked_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace orderd::http
