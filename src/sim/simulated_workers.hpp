#pragma once
// Worker threads for the deterministic simulation: a job runs as an event of the simulated
// scheduler after a seeded delay, so effects on workers finish in an order the seed picks, and
// a crash can fall between a worker finishing and its outcome being committed.
#include "engine/worker_pool.hpp"
#include "sim/simulated_scheduler.hpp"

namespace orderd::sim {

class SimulatedWorkers final : public WorkerPool {
 public:
  explicit SimulatedWorkers(SimulatedScheduler& scheduler) : scheduler_(scheduler) {}
  void execute(std::function<void()> job) override {
    scheduler_.schedule_after(static_cast<std::int64_t>(scheduler_.draw(4)), std::move(job));
  }

 private:
  SimulatedScheduler& scheduler_;
};

}  // namespace orderd::sim
