#pragma once
// The engine as the fuzzers drive it: every service orderd ships plus a virtual object, over the
// deterministic simulation (virtual time, in-memory store), so one input is one reproducible run.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>

#include "common/ids.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "services/seed_services.hpp"
#include "sim/memory_store.hpp"
#include "sim/simulated_scheduler.hpp"

namespace orderd::fuzz {

struct Count {
  std::int64_t value = 0;
};
inline Count tag_invoke(boost::json::value_to_tag<Count>, const boost::json::value& v) {
  return {v.as_object().at("value").as_int64()};
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Count& c) {
  v = {{"value", c.value}};
}

inline Task<Count> counter_add(Context& ctx, Count by) {
  std::int64_t now = ctx.get<std::int64_t>("count").value_or(0) + by.value;
  ctx.set("count", now);
  co_return Count{now};
}

inline Task<Count> counter_get(Context& ctx, Count) {
  co_return Count{ctx.get<std::int64_t>("count").value_or(0)};
}

inline const Registry& fuzz_registry() {
  static const Registry* registry = [] {
    spdlog::set_level(spdlog::level::off);
    auto* r = new Registry;
    services::register_seed_services(*r, services::Simulation{0.01, 0});
    r->add("Counter", "add", &counter_add, HandlerEntry::Kind::kExclusive);
    r->add("Counter", "get", &counter_get, HandlerEntry::Kind::kShared);
    r->expose("Counter");
    return r;
  }();
  return *registry;
}

// One simulated process over `store`. Destroy it before the store.
class SimEngine {
 public:
  explicit SimEngine(sim::MemoryStore& store) : store_(store), scheduler_(7, 1'900'000'000'000) {
    store_.attach(scheduler_, SIZE_MAX);
    EngineOptions options;
    options.id_source = [this](std::int64_t now) {
      return ids::invocation_id_from(now, 7, ++sequence_);
    };
    engine_ = std::make_unique<Engine>(scheduler_, store_, fuzz_registry(), options);
  }
  ~SimEngine() {
    engine_.reset();
    store_.detach();
  }
  Engine& engine() { return *engine_; }
  Scheduler& scheduler() { return scheduler_; }
  // Runs at most `events` events: handlers may sleep for days of virtual time.
  void run(std::size_t events) {
    for (std::size_t i = 0; i < events && scheduler_.step(); ++i) {
    }
  }

 private:
  sim::MemoryStore& store_;
  sim::SimulatedScheduler scheduler_;
  std::uint32_t sequence_ = 0;
  std::unique_ptr<Engine> engine_;
};

}  // namespace orderd::fuzz
