#pragma once
// Runs the engine over a real SQLite store in a temporary directory, one "process lifetime" at a
// time: crash() drops everything in memory, start() recovers from what the store committed.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "engine/scheduler.hpp"
#include "store/store.hpp"
#include "support/crashing_store.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {

class EngineHarness {
 public:
  explicit EngineHarness(RetryPolicy retry = {});
  explicit EngineHarness(EngineOptions options);
  ~EngineHarness();

  Registry registry;
  // Runs at every start, once the engine exists and before it recovers: a domain loads its
  // memory from the store here (commerce::Shop::load).
  std::function<void(store::Store&, Scheduler&, Engine&)> before_recover;

  void start();
  // Starts over a store that commits only its first `batches` batches and drops the rest.
  void start_crashing_after(std::size_t batches);
  bool store_crashed() const;
  // From now on nothing more becomes durable (any thread); crash() then restarts from here.
  void lose_power_now() { crashing_->lose_power_now(); }
  std::size_t batches_submitted() const;
  void crash();  // stops abruptly: what the store committed survives, nothing else
  Engine& engine() { return *engine_; }
  Scheduler& scheduler() { return *scheduler_; }

  // Runs the engine's event loop until `done` holds; false on timeout.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  InvocationOutcome call(const std::string& service, const std::string& handler,
                         const std::string& input);
  std::string start_invocation(const std::string& service, const std::string& handler,
                               const std::string& input);
  // Waits for an invocation (possibly started before a crash) to finish.
  InvocationOutcome await_outcome(const std::string& id);

  // Reads the store's file directly, as an outside observer would.
  std::int64_t query_int(const std::string& sql);
  void execute(const std::string& sql);  // while crashed: nothing else has the file open
  std::string query_text(const std::string& sql);
  std::size_t durable_entries(const std::string& id);
  bool await_durable_entries(const std::string& id, std::size_t count);

 private:
  EngineOptions options_;
  TempDir dir_;
  std::unique_ptr<boost::asio::io_context> io_;
  // Keeps the loop alive while it waits for the store's thread to post completions.
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<CrashingStore> crashing_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace orderd::testing
