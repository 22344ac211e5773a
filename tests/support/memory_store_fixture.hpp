#pragma once
// The store contract's fixture for sim::MemoryStore (support/store_contract.hpp). Its batches
// commit as events of a SimulatedScheduler, so awaiting is running events; a restart is a new
// process lifetime (a new scheduler) over the same committed tables, and power loss is
// attach(scheduler, k): the lifetime ends after k commits.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/memory_store.hpp"
#include "sim/simulated_scheduler.hpp"
#include "support/latch.hpp"

namespace orderd::testing {

class MemoryStoreFixture {
 public:
  MemoryStoreFixture() { start_lifetime(kUnlimited); }

  store::Store& store() { return store_; }

  bool await(Latch& latch) {
    while (!latch.is_set())
      if (!scheduler_->step()) return false;
    return true;
  }

  void restart() {
    store_.close();
    store_.detach();
    start_lifetime(kUnlimited);
  }

  // MemoryStore throws the failed write from the commit event; the next lifetime starts as
  // SQLite's does after its writer stopped the process.
  bool submit_refused(std::vector<store::Write> batch) {
    bool accepted = false;
    bool thrown = false;
    store_.submit(std::move(batch), [&] { accepted = true; });
    try {
      while (scheduler_->step()) {
      }
    } catch (const std::exception&) {
      thrown = true;
    }
    store_.detach();
    start_lifetime(kUnlimited);
    return thrown && !accepted;
  }

  std::size_t lose_power(const std::vector<std::vector<store::Write>>& batches, std::size_t k) {
    store_.detach();
    start_lifetime(k);
    std::size_t durable = 0;
    for (const auto& batch : batches) store_.submit(batch, [&] { ++durable; });
    while (scheduler_->step()) {
    }
    store_.detach();
    start_lifetime(kUnlimited);
    return durable;
  }

 private:
  static constexpr std::size_t kUnlimited = SIZE_MAX;

  void start_lifetime(std::size_t commits_allowed) {
    scheduler_ = std::make_unique<sim::SimulatedScheduler>(kSeed + lifetimes_++, kStartMs);
    store_.attach(*scheduler_, commits_allowed);
  }

  static constexpr std::uint64_t kSeed = 20240611;
  static constexpr std::int64_t kStartMs = 1'700'000'000'000;
  sim::MemoryStore store_;
  std::unique_ptr<sim::SimulatedScheduler> scheduler_;
  std::uint64_t lifetimes_ = 0;
};

}  // namespace orderd::testing
