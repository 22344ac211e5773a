#pragma once
// Threads for blocking side effects (Context::run_on_worker), so the engine thread, which also
// serves every HTTP connection, never waits on an outside system. The deterministic simulation
// has its own pool that runs jobs on virtual time.
#include <cstddef>
#include <functional>
#include <memory>

namespace orderd {

class WorkerPool {
 public:
  virtual ~WorkerPool() = default;
  // Runs `job` on some worker thread; safe to call from any thread.
  virtual void execute(std::function<void()> job) = 0;
};

// `threads` workers (at least one). The destructor drops the jobs that have not started and
// waits for the running ones.
std::unique_ptr<WorkerPool> make_thread_pool(std::size_t threads);

}  // namespace orderd
