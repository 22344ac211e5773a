#include "support/engine_harness.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "engine/asio_scheduler.hpp"
#include "store/sqlite_store.hpp"
#include "support/fixtures.hpp"

namespace orderd::testing {

using Clock = std::chrono::steady_clock;

EngineHarness::EngineHarness(RetryPolicy retry) {
  options_.retry = retry;
}
EngineHarness::EngineHarness(EngineOptions options) : options_(std::move(options)) {}
EngineHarness::~EngineHarness() {
  crash();
}

void EngineHarness::start() {
  start_crashing_after(SIZE_MAX);
}

void EngineHarness::start_crashing_after(std::size_t batches) {
  io_ = std::make_unique<boost::asio::io_context>(1);
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_->get_executor());
  store_ = store::open_sqlite_store({(dir_.path() / "orderd.db").string(), false});
  crashing_ = std::make_unique<CrashingStore>(*store_, batches);
  scheduler_ = make_asio_scheduler(*io_);
  engine_ = std::make_unique<Engine>(*scheduler_, *crashing_, registry, options_);
  if (before_recover) before_recover(*crashing_, *scheduler_, *engine_);
  engine_->recover();
}

bool EngineHarness::store_crashed() const {
  return crashing_ && crashing_->crashed();
}

std::size_t EngineHarness::batches_submitted() const {
  return crashing_ ? crashing_->submitted() : 0;
}

void EngineHarness::crash() {
  engine_.reset();
  scheduler_.reset();
  if (store_) store_->close();
  crashing_.reset();
  store_.reset();
  work_.reset();
  io_.reset();
}

bool EngineHarness::run_until(const std::function<bool()>& done,
                              std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    io_->run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

InvocationOutcome EngineHarness::call(const std::string& service, const std::string& handler,
                                      const std::string& input) {
  std::optional<InvocationOutcome> result;
  engine_->invoke(service, handler, input, [&](InvocationOutcome o) { result = std::move(o); });
  EXPECT_TRUE(run_until([&] { return result.has_value(); }));
  return result.value_or(InvocationOutcome{});
}

std::string EngineHarness::start_invocation(const std::string& service, const std::string& handler,
                                            const std::string& input) {
  return engine_->invoke(service, handler, input, {});
}

InvocationOutcome EngineHarness::await_outcome(const std::string& id) {
  std::optional<InvocationOutcome> result;
  EXPECT_TRUE(engine_->attach(id, [&](InvocationOutcome o) { result = std::move(o); }));
  EXPECT_TRUE(run_until([&] { return result.has_value(); }));
  return result.value_or(InvocationOutcome{});
}

std::string EngineHarness::query_text(const std::string& sql) {
  return testing::query_text(dir_.path() / "orderd.db", sql);
}

void EngineHarness::execute(const std::string& sql) {
  testing::execute(dir_.path() / "orderd.db", sql);
}

std::int64_t EngineHarness::query_int(const std::string& sql) {
  return testing::query_int(dir_.path() / "orderd.db", sql);
}

std::size_t EngineHarness::durable_entries(const std::string& id) {
  return static_cast<std::size_t>(
      query_int("SELECT count(*) FROM journal WHERE invocation_id = '" + id + "'"));
}

bool EngineHarness::await_durable_entries(const std::string& id, std::size_t count) {
  return run_until([&] { return durable_entries(id) >= count; });
}

}  // namespace orderd::testing
