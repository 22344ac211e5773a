#include "ingress/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace orderd::http {
namespace {

std::int64_t whole_seconds_up(double seconds) {
  return seconds <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(seconds));
}

}  // namespace

RateLimiter::RateLimiter(std::size_t max_tracked, std::size_t shards)
    : max_tracked_(std::max<std::size_t>(max_tracked, 1)) {
  const std::size_t count = std::clamp<std::size_t>(shards, 1, max_tracked_);
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto shard = std::make_unique<Shard>();
    // The shards' capacities add up to max_tracked exactly (L1).
    shard->capacity = max_tracked_ / count + (i < max_tracked_ % count ? 1 : 0);
    shard->index.reserve(std::min<std::size_t>(shard->capacity, 1 << 16));
    shards_.push_back(std::move(shard));
  }
}

RateLimiter::Decision RateLimiter::take(std::string_view key, const Rate& rate,
                                        Clock::time_point now) {
  const double burst = std::max(rate.burst, 1.0);
  const std::size_t hash = std::hash<std::string_view>{}(key);
  Shard& shard = *shards_[hash % shards_.size()];
  std::lock_guard lock(shard.mutex);

  Bucket* bucket = nullptr;
  if (auto found = shard.index.find(key); found != shard.index.end()) {
    shard.recent.splice(shard.recent.begin(), shard.recent, found->second);
    bucket = &*found->second;
    // L2: time that runs backwards (another thread's older `now`) adds nothing.
    if (now > bucket->updated) {
      const double elapsed = std::chrono::duration<double>(now - bucket->updated).count();
      bucket->tokens = std::min(burst, bucket->tokens + elapsed * rate.per_second);
      bucket->updated = now;
    }
    bucket->tokens = std::min(bucket->tokens, burst);  // the rate may have shrunk
  } else {
    if (shard.recent.size() < shard.capacity) {
      shard.recent.emplace_front();
    } else {
      // L1: the least recently used bucket is forgotten, its node reused for the new key.
      shard.index.erase(shard.recent.back().key);
      shard.recent.splice(shard.recent.begin(), shard.recent, std::prev(shard.recent.end()));
    }
    bucket = &shard.recent.front();
    bucket->key.assign(key);
    bucket->tokens = burst;
    bucket->updated = now;
    shard.index.emplace(bucket->key, shard.recent.begin());
  }

  Decision d;
  d.limit = static_cast<std::int64_t>(burst);
  d.allowed = bucket->tokens >= 1;
  if (d.allowed) bucket->tokens -= 1;
  const double tokens = bucket->tokens;
  d.remaining = static_cast<std::int64_t>(std::floor(tokens));
  const double per_second = rate.per_second > 0 ? rate.per_second : 1e-9;
  if (tokens < 1)
    d.retry_after_s = std::max<std::int64_t>(1, whole_seconds_up((1 - tokens) / per_second));
  d.reset_s = whole_seconds_up((burst - tokens) / per_second);
  return d;
}

std::size_t RateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->recent.size();
  }
  return total;
}

}  // namespace orderd::http
