// The engine's promises, each tested by making it fail: replay without re-execution, replayed
// fan-in order, retries with backoff, terminal errors reaching callers, journal mismatches and
// durable sleeps that survive a crash.
#include "engine/engine.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "engine/asio_scheduler.hpp"
#include "engine/registry.hpp"
#include "engine/scheduler.hpp"
#include "store/sqlite_store.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::EngineHarness;

using testing::Text;
using testing::text_input;

// Counts of side effects actually executed, keyed by name. Reset per test.
std::map<std::string, int> executions;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { executions.clear(); }
};

// run, sleep, run: the sleep leaves time to crash between the two side effects.
Task<Text> run_sleep_run(Context& ctx, Text in) {
  int first = ctx.run("first", [] { return ++executions["first"]; });
  auto nap = ctx.sleep(std::chrono::milliseconds(std::stoi(in.value)));
  co_await nap;
  int second = ctx.run("second", [] { return ++executions["second"]; });
  co_return Text{std::to_string(first) + "," + std::to_string(second)};
}

TEST_F(EngineTest, ReplayReturnsJournaledResultsWithoutExecutingAgain) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.start();
  auto id = h.start_invocation("Steps", "RunSleepRun", text_input("300"));
  ASSERT_TRUE(h.await_durable_entries(id, 2));  // "first" ran and the sleep is journaled
  h.crash();

  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"1,1"})");  // replay returned first's recorded 1
  EXPECT_EQ(executions["first"], 1);
  EXPECT_EQ(executions["second"], 1);
}

TEST_F(EngineTest, DurableSleepResumesWithItsRemainingTime) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.start();
  const auto started = Clock::now();
  auto id = h.start_invocation("Steps", "RunSleepRun", text_input("600"));
  ASSERT_TRUE(h.await_durable_entries(id, 2));
  h.crash();
  // Down for a while: the sleep's clock keeps running while orderd is down.
  std::this_thread::sleep_until(started + 300ms);

  const auto restarted = Clock::now();
  h.start();
  auto outcome = h.await_outcome(id);
  const auto finished = Clock::now();
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_GE(finished - started, 600ms);    // the sleep was not cut short
  EXPECT_LT(finished - restarted, 500ms);  // nor started over: ~300 ms were left
}

TEST_F(EngineTest, ExpiredSleepCompletesAtOnceAfterRestart) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.start();
  const auto started = Clock::now();
  auto id = h.start_invocation("Steps", "RunSleepRun", text_input("200"));
  ASSERT_TRUE(h.await_durable_entries(id, 2));
  h.crash();
  std::this_thread::sleep_until(started + 400ms);
  const auto restarted = Clock::now();
  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_LT(Clock::now() - restarted, 150ms);
}

// Fan-out to children of different durations, fan in with wait(): the completion order is
// journaled. After a crash every child is done, and only the journal can give the order back.
Task<Text> delayed_echo(Context& ctx, Text in) {
  auto nap = ctx.sleep(std::chrono::milliseconds(std::stoi(in.value)));
  co_await nap;
  co_return in;
}

Task<Text> fan_in_order(Context& ctx, Text) {
  auto slow = ctx.call<Text>("Fan", "Echo", Text{"150"});
  auto fast = ctx.call<Text>("Fan", "Echo", Text{"10"});
  auto middle = ctx.call<Text>("Fan", "Echo", Text{"80"});
  Waiter waiter = ctx.wait(slow, fast, middle);
  std::string order;
  for (;;) {
    auto next = waiter.next();
    auto which = co_await std::move(next);
    if (!which) break;
    order += std::to_string(which->position());
  }
  std::string recorded = ctx.run("remember", [order] {
    ++executions["remember"];
    return order;
  });
  auto nap = ctx.sleep(400ms);  // crash here
  co_await nap;
  co_return Text{order + "/" + recorded};
}

TEST_F(EngineTest, CompletionOrderReplaysIdentically) {
  EngineHarness h;
  h.registry.add("Fan", "Echo", &delayed_echo);
  h.registry.add("Fan", "Order", &fan_in_order);
  h.start();
  auto id = h.start_invocation("Fan", "Order", text_input(""));
  // 3 calls + 3 waits + run + sleep
  ASSERT_TRUE(h.await_durable_entries(id, 8));
  h.crash();

  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"120/120"})");
  EXPECT_EQ(executions["remember"], 1);
  // Exactly three children exist: replayed call steps did not start new ones.
  EXPECT_EQ(h.query_int("SELECT count(*) FROM invocations WHERE parent_id = '" + id + "'"), 3);
}

Task<Text> call_run_sleep_run(Context& ctx, Text in) {
  auto child = ctx.call<Text>("Steps", "RunSleepRun", in);
  Text result = co_await child;
  co_return result;
}

TEST_F(EngineTest, ReplayedCallStepAttachesToTheRunningChild) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.registry.add("Parent", "CallChild", &call_run_sleep_run);
  h.start();
  auto id = h.start_invocation("Parent", "CallChild", text_input("300"));
  ASSERT_TRUE(h.run_until([&] {
    return h.query_int(
               "SELECT count(*) FROM journal j JOIN invocations i ON "
               "j.invocation_id = i.id WHERE i.parent_id = '" +
               id + "'") >= 2;
  }));
  h.crash();
  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"1,1"})");
  EXPECT_EQ(executions["first"], 1);
  EXPECT_EQ(h.query_int("SELECT count(*) FROM invocations WHERE parent_id = '" + id + "'"), 1);
}

// Fails with a transient error until its fourth attempt, noting when each attempt started.
std::vector<Clock::time_point> attempt_times;
Task<Text> flaky(Context& ctx, Text in) {
  attempt_times.push_back(Clock::now());
  if (attempt_times.size() < 4) throw std::runtime_error("flaky dependency");
  co_return Text{"attempt " + std::to_string(attempt_times.size())};
}

TEST_F(EngineTest, TransientErrorsRetryWithExponentialBackoff) {
  attempt_times.clear();
  EngineHarness h(RetryPolicy{40, 2.0, 10'000, 10});
  h.registry.add("Flaky", "Op", &flaky);
  h.start();
  auto outcome = h.call("Flaky", "Op", text_input(""));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"attempt 4"})");
  ASSERT_EQ(attempt_times.size(), 4u);
  EXPECT_GE(attempt_times[1] - attempt_times[0], 40ms);
  EXPECT_GE(attempt_times[2] - attempt_times[1], 80ms);
  EXPECT_GE(attempt_times[3] - attempt_times[2], 160ms);
}

TEST_F(EngineTest, ExhaustedRetriesPauseAndResumeRetriesAgain) {
  EngineHarness h(RetryPolicy{5, 2.0, 100, 3});
  h.registry.add<Text, Text>("Flaky", "Always", [](Context&, Text) -> Task<Text> {
    ++executions["always"];
    throw std::runtime_error("still down");
  });
  h.start();
  auto id = h.start_invocation("Flaky", "Always", text_input(""));
  auto status_in_store = [&] {
    return h.query_int("SELECT status FROM invocations WHERE id = '" + id + "'");
  };
  ASSERT_TRUE(h.run_until([&] { return status_in_store() == 4; }));  // paused, durably
  EXPECT_EQ(executions["always"], 3);
  auto details = h.engine().describe(id);
  ASSERT_TRUE(details);
  EXPECT_EQ(details->record.status, store::InvocationStatus::kPaused);
  EXPECT_EQ(details->record.output, "retries exhausted after 3 attempts: still down");

  ASSERT_EQ(h.engine().resume(id), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return executions["always"] == 6 && status_in_store() == 4; }));
  EXPECT_EQ(h.engine().resume("inv_unknown"), Engine::Control::kNotFound);

  ASSERT_EQ(h.engine().kill(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.code, 409);
}

Task<Text> long_parent(Context& ctx, Text in) {
  auto child = ctx.call<Text>("Steps", "RunSleepRun", Text{"10000"});
  Text result = co_await child;
  co_return result;
}

TEST_F(EngineTest, KillStopsTheInvocationAndItsCallTree) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.registry.add("Parent", "Long", &long_parent);
  h.start();
  auto id = h.start_invocation("Parent", "Long", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  auto details = h.engine().describe(id);
  ASSERT_TRUE(details && details->children.size() == 1);
  std::string child = details->children[0].id;

  ASSERT_EQ(h.engine().kill(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.code, 409);
  EXPECT_EQ(outcome.body, "killed by an operator");
  auto child_outcome = h.await_outcome(child);
  EXPECT_EQ(child_outcome.code, 409);
  EXPECT_EQ(executions["second"], 0);  // the child's sleep never ended
  EXPECT_EQ(h.engine().kill(id), Engine::Control::kWrongState);

  ASSERT_EQ(h.engine().purge(id), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return h.durable_entries(id) == 0; }));
  EXPECT_FALSE(h.engine().describe(id));
}

Task<Text> decline(Context&, Text) {
  throw TerminalError("card declined", 402);
  co_return Text{};
}

Task<Text> call_and_catch(Context& ctx, Text in) {
  auto future = ctx.call<Text>("Child", "Decline", in);
  try {
    Text unexpected = co_await future;
    co_return unexpected;
  } catch (const TerminalError& e) {
    co_return Text{"caught " + std::to_string(e.code()) + " " + e.what()};
  }
}

Task<Text> call_and_propagate(Context& ctx, Text in) {
  auto future = ctx.call<Text>("Child", "Decline", in);
  Text result = co_await future;
  co_return result;
}

TEST_F(EngineTest, TerminalErrorReachesTheCaller) {
  EngineHarness h;
  h.registry.add("Child", "Decline", &decline);
  h.registry.add("Parent", "Catch", &call_and_catch);
  h.registry.add("Parent", "Propagate", &call_and_propagate);
  h.start();
  auto caught = h.call("Parent", "Catch", text_input(""));
  ASSERT_TRUE(caught.ok) << caught.body;
  EXPECT_EQ(caught.body, R"({"value":"caught 402 card declined"})");

  auto propagated = h.call("Parent", "Propagate", text_input(""));
  EXPECT_FALSE(propagated.ok);
  EXPECT_EQ(propagated.code, 402);
  EXPECT_EQ(propagated.body, "card declined");
}

// all() waits for every future, failed ones included; any() returns the first to complete.
Task<Text> all_then_any(Context& ctx, Text) {
  auto slow = ctx.call<Text>("Fan", "Echo", Text{"60"});
  auto failing = ctx.call<Text>("Child", "Decline", Text{""});
  auto fast = ctx.call<Text>("Fan", "Echo", Text{"5"});
  auto everything = ctx.all(slow, failing, fast);
  co_await std::move(everything);
  std::string seen = std::string(slow.done() ? "done" : "pending") + "," +
                     (failing.failed() ? "failed" : "ok") + "," + fast.result().value;

  auto later = ctx.sleep(200ms);
  auto sooner = ctx.call<Text>("Fan", "Echo", Text{"20"});
  auto first = ctx.any(later, sooner);
  std::size_t winner = co_await std::move(first);
  co_return Text{seen + "/" + std::to_string(winner)};
}

TEST_F(EngineTest, AllWaitsForEveryFutureAndAnyForTheFirst) {
  EngineHarness h;
  h.registry.add("Fan", "Echo", &delayed_echo);
  h.registry.add("Child", "Decline", &decline);
  h.registry.add("Fan", "AllAny", &all_then_any);
  h.start();
  auto outcome = h.call("Fan", "AllAny", text_input(""));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"done,failed,5/1"})");
}

// Compensation on cancel: the handler's catch block runs, then the error goes on up.
Task<Text> compensating_parent(Context& ctx, Text) {
  auto child = ctx.call<Text>("Steps", "RunSleepRun", Text{"10000"});
  std::optional<TerminalError> failure;
  try {
    Text result = co_await child;
    co_return result;
  } catch (const TerminalError& e) {
    failure = e;
  }
  ctx.run("compensate", [] { return ++executions["compensate"]; });
  throw *failure;
}

TEST_F(EngineTest, CancelRunsCompensationAndReachesTheCallTree) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.registry.add("Parent", "Compensating", &compensating_parent);
  h.start();
  auto id = h.start_invocation("Parent", "Compensating", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  std::string child = h.engine().describe(id)->children.at(0).id;
  ASSERT_TRUE(h.await_durable_entries(child, 2));  // the child is in its long sleep

  ASSERT_EQ(h.engine().cancel(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.code, 409);
  EXPECT_EQ(outcome.body, "cancelled");
  EXPECT_EQ(executions["compensate"], 1);
  auto child_outcome = h.await_outcome(child);
  EXPECT_EQ(child_outcome.body, "cancelled");
  EXPECT_EQ(executions["second"], 0);
  // Finished by its cancel: a repeat is a no-op answered as the first (journaled once).
  EXPECT_EQ(h.engine().cancel(id), Engine::Control::kDone);
  EXPECT_EQ(
      h.query_int("SELECT count(*) FROM journal WHERE invocation_id = '" + id + "' AND kind = 5"),
      1);
}

// A cancel journaled before a crash, but not yet met by the handler, is met after recovery.
TEST_F(EngineTest, CancelJournaledBeforeACrashIsMetAfterRecovery) {
  EngineHarness h;
  h.registry.add("Steps", "RunSleepRun", &run_sleep_run);
  h.registry.add("Parent", "Compensating", &compensating_parent);
  h.start();
  auto id = h.start_invocation("Parent", "Compensating", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  // Paused, the handler cannot meet the cancel before the crash: only the journal carries it.
  ASSERT_EQ(h.engine().pause(id), Engine::Control::kDone);
  ASSERT_EQ(h.engine().cancel(id), Engine::Control::kDone);
  h.crash();  // the store commits what was queued; the posted restart of the handler never runs
  EXPECT_EQ(executions["compensate"], 0);
  EXPECT_EQ(
      h.query_int("SELECT count(*) FROM journal WHERE invocation_id = '" + id + "' AND kind = 5"),
      1);

  h.start();
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.code, 409);
  EXPECT_EQ(outcome.body, "cancelled");
  EXPECT_EQ(executions["compensate"], 1);
}

TEST_F(EngineTest, RetentionSweepPurgesOldFinishedInvocationsOnly) {
  EngineOptions options;
  options.journal_retention_ms = 100;
  options.idempotency_retention_ms = 100;
  options.sweep_interval_ms = 20;
  EngineHarness h(options);
  h.registry.add("Fan", "Echo", &delayed_echo);
  h.start();
  auto done = h.call("Fan", "Echo", text_input("1"));
  ASSERT_TRUE(done.ok);
  auto running = h.start_invocation("Fan", "Echo", text_input("60000"));
  auto rows = [&](const std::string& id) {
    return h.query_int("SELECT count(*) FROM invocations WHERE id = '" + id + "'") +
           static_cast<std::int64_t>(h.durable_entries(id));
  };
  ASSERT_GT(rows(done.invocation_id), 0);
  ASSERT_TRUE(h.run_until([&] { return rows(done.invocation_id) == 0; }));
  EXPECT_EQ(h.query_int("SELECT count(*) FROM invocations WHERE id = '" + running + "'"), 1);
}

// An outside system completes an awakeable; the outcome is durable on its own, so a restart
// finds it even though the handler never saw it.
std::string published_awakeable;
Task<Text> await_webhook(Context& ctx, Text) {
  auto webhook = ctx.awakeable<Text>();
  ctx.run("publish", [&webhook] {
    published_awakeable = webhook.id;
    return true;
  });
  Text paid = co_await webhook.future;
  ctx.run("after", [] { return ++executions["after"]; });
  co_return Text{"paid:" + paid.value};
}

TEST_F(EngineTest, AwakeableIsCompletedFromOutside) {
  EngineHarness h;
  h.registry.add("Webhook", "Await", &await_webhook);
  h.start();
  published_awakeable.clear();
  auto id = h.start_invocation("Webhook", "Await", text_input(""));
  ASSERT_TRUE(h.run_until([&] { return !published_awakeable.empty(); }));
  bool durable = false;
  ASSERT_EQ(h.engine().complete_awakeable(published_awakeable, false, 0, R"({"value":"ok"})",
                                          [&] { durable = true; }),
            Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_TRUE(durable);
  EXPECT_EQ(outcome.body, R"({"value":"paid:ok"})");
  EXPECT_EQ(h.engine().complete_awakeable(published_awakeable, false, 0, "{}", {}),
            Engine::Control::kNotFound);  // its invocation is finished
  EXPECT_EQ(h.engine().complete_awakeable("awk_inv_nope_3", false, 0, "{}", {}),
            Engine::Control::kNotFound);
}

TEST_F(EngineTest, RejectedAwakeableThrowsItsErrorAndCompletionsSurviveACrash) {
  EngineHarness h;
  h.registry.add("Webhook", "Await", &await_webhook);
  h.start();
  published_awakeable.clear();
  auto id = h.start_invocation("Webhook", "Await", text_input(""));
  ASSERT_TRUE(h.run_until([&] { return !published_awakeable.empty(); }));
  // Paused, the handler cannot see the rejection before the crash: only the store carries it.
  ASSERT_EQ(h.engine().pause(id), Engine::Control::kDone);
  bool durable = false;
  ASSERT_EQ(h.engine().complete_awakeable(published_awakeable, true, 402, "card declined",
                                          [&] { durable = true; }),
            Engine::Control::kDone);
  EXPECT_EQ(h.engine().complete_awakeable(published_awakeable, false, 0, "{}", {}),
            Engine::Control::kWrongState);  // the first completion wins
  ASSERT_TRUE(h.run_until([&] { return durable; }));
  h.crash();

  h.start();
  ASSERT_EQ(h.engine().resume(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.code, 402);
  EXPECT_EQ(outcome.body, "card declined");
  EXPECT_EQ(executions["after"], 0);
}

// A virtual object: a counter per key. Add reads, naps (so concurrent calls would interleave if
// the engine let them), then writes.
struct Amount {
  long value = 0;
};
Amount tag_invoke(boost::json::value_to_tag<Amount>, const boost::json::value& v) {
  return {static_cast<long>(v.as_object().at("value").as_int64())};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Amount& a) {
  v = {{"value", a.value}};
}

Task<Amount> counter_add(Context& ctx, Amount by) {
  long count = ctx.get<long>("count").value_or(0);
  auto nap = ctx.sleep(std::chrono::milliseconds(by.value));
  co_await nap;
  ctx.set("count", count + 1);
  co_return Amount{count + 1};
}

Task<Amount> counter_get(Context& ctx, Amount) {
  co_return Amount{ctx.get<long>("count").value_or(0)};
}

Task<Amount> counter_sneaky_set(Context& ctx, Amount) {
  ctx.set("count", 0L);
  co_return Amount{0};
}

void register_counter(Registry& r) {
  r.add("Counter", "Add", &counter_add, HandlerEntry::Kind::kExclusive);
  r.add("Counter", "Get", &counter_get, HandlerEntry::Kind::kShared);
  r.add("Counter", "SneakySet", &counter_sneaky_set, HandlerEntry::Kind::kShared);
}

std::string invoke_on(EngineHarness& h, const std::string& handler, const std::string& key,
                      long value, std::optional<InvocationOutcome>* out = nullptr) {
  InvokeRequest request{"Counter", handler, "{\"value\":" + std::to_string(value) + "}",
                        {},        0,       key};
  Engine::OutcomeCallback done;
  if (out) done = [out](InvocationOutcome o) { *out = std::move(o); };
  return h.engine().invoke(std::move(request), std::move(done)).invocation_id;
}

TEST_F(EngineTest, ExclusiveHandlersRunOneAtATimePerKey) {
  EngineHarness h;
  register_counter(h.registry);
  h.start();
  std::vector<std::optional<InvocationOutcome>> a(12), b(5);
  for (auto& out : a) invoke_on(h, "Add", "a", 3, &out);
  for (auto& out : b) invoke_on(h, "Add", "b", 3, &out);
  ASSERT_TRUE(h.run_until([&] {
    for (auto& o : a)
      if (!o) return false;
    for (auto& o : b)
      if (!o) return false;
    return true;
  }));
  // In arrival order, no lost update: the i-th Add on "a" saw i earlier ones.
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(a[i]->body, "{\"value\":" + std::to_string(i + 1) + "}");
  std::optional<InvocationOutcome> got;
  invoke_on(h, "Get", "b", 0, &got);
  ASSERT_TRUE(h.run_until([&] { return got.has_value(); }));
  EXPECT_EQ(got->body, R"({"value":5})");

  std::optional<InvocationOutcome> sneaky;
  invoke_on(h, "SneakySet", "a", 0, &sneaky);
  ASSERT_TRUE(h.run_until([&] { return sneaky.has_value(); }));
  EXPECT_EQ(sneaky->code, 400);  // shared handlers may only read
}

// A handler reaches an object through a call step with a key: it queues with the key's other
// exclusive invocations, so calls and clients together lose no update.
Task<Amount> add_via_call(Context& ctx, Amount key) {
  auto added = ctx.call<Amount>("Counter", std::to_string(key.value), "Add", Amount{2});
  Amount result = co_await added;
  co_return result;
}

Task<Amount> call_without_key(Context& ctx, Amount) {
  auto added = ctx.call<Amount>("Counter", "Add", Amount{2});
  Amount result = co_await added;
  co_return result;
}

TEST_F(EngineTest, CallsWithAKeyQueueWithTheObjectsOtherInvocations) {
  EngineHarness h;
  register_counter(h.registry);
  h.registry.add("Caller", "AddVia", &add_via_call);
  h.registry.add("Caller", "NoKey", &call_without_key);
  h.start();
  std::vector<std::optional<InvocationOutcome>> via(5), direct(5);
  for (std::size_t i = 0; i < via.size(); ++i) {
    InvokeRequest request{"Caller", "AddVia", R"({"value":7})", {}, 0, ""};
    h.engine().invoke(std::move(request), [&via, i](InvocationOutcome o) { via[i] = o; });
    invoke_on(h, "Add", "7", 2, &direct[i]);
  }
  ASSERT_TRUE(h.run_until([&] {
    for (std::size_t i = 0; i < via.size(); ++i)
      if (!via[i] || !direct[i]) return false;
    return true;
  }));
  std::set<std::string> results;
  for (std::size_t i = 0; i < via.size(); ++i) {
    results.insert(via[i]->body);
    results.insert(direct[i]->body);
  }
  EXPECT_EQ(results.size(), 10u);  // each saw a different count: none ran alongside another
  EXPECT_EQ(h.query_text("SELECT value FROM state WHERE object_key = '7'"), "10");

  auto no_key = h.call("Caller", "NoKey", R"({"value":0})");
  EXPECT_EQ(no_key.code, 400);
  EXPECT_NE(no_key.body.find("needs a key"), std::string::npos) << no_key.body;
}

TEST_F(EngineTest, DelayedSendDoesNotHoldItsKey) {
  EngineHarness h;
  register_counter(h.registry);
  h.start();
  InvokeRequest later{"Counter", "Add", R"({"value":0})", {}, 3'600'000, "d"};
  auto delayed = h.engine().invoke(std::move(later), {}).invocation_id;
  std::optional<InvocationOutcome> now;
  invoke_on(h, "Add", "d", 0, &now);
  ASSERT_TRUE(h.run_until([&] { return now.has_value(); }, 2s));
  EXPECT_EQ(now->body, R"({"value":1})");
  EXPECT_EQ(h.engine().kill(delayed), Engine::Control::kDone);
}

TEST_F(EngineTest, ObjectStateAndQueueSurviveACrash) {
  EngineHarness h;
  register_counter(h.registry);
  h.start();
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(invoke_on(h, "Add", "c", 40));
  // Crash with some Adds done, one mid-nap (its read journaled, its write not), the rest queued.
  ASSERT_TRUE(h.run_until([&] {
    return h.query_int("SELECT count(*) FROM invocations WHERE object_key = 'c' AND status = 2") >=
               3 &&
           h.query_int(
               "SELECT count(*) FROM journal j JOIN invocations i ON i.id = "
               "j.invocation_id WHERE i.object_key = 'c' AND i.status = 1") >= 2;
  }));
  h.crash();
  h.start();
  std::set<std::string> results;
  for (const auto& id : ids) {
    auto outcome = h.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
    results.insert(outcome.body);
  }
  EXPECT_EQ(results.size(), ids.size());  // 1..8, each exactly once
  EXPECT_EQ(h.query_text("SELECT value FROM state WHERE service = 'Counter' AND object_key = 'c'"),
            "8");
}

Task<Text> version_one(Context& ctx, Text) {
  ctx.run("alpha", [] { return 1; });
  auto nap = ctx.sleep(10s);
  co_await nap;
  co_return Text{"v1"};
}

Task<Text> version_two(Context& ctx, Text) {
  ctx.run("beta", [] { return 2; });
  co_return Text{"v2"};
}

TEST_F(EngineTest, JournalMismatchNamesTheRecordedAndTheAttemptedStep) {
  EngineHarness h;
  h.registry.add("Evolving", "Run", &version_one);
  h.start();
  auto id = h.start_invocation("Evolving", "Run", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 2));
  h.crash();

  h.registry.add("Evolving", "Run", &version_two);  // deployed code changed under the journal
  h.start();
  auto outcome = h.await_outcome(id);
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.code, 570);
  EXPECT_NE(outcome.body.find("recorded run 'alpha'"), std::string::npos) << outcome.body;
  EXPECT_NE(outcome.body.find("attempted run 'beta'"), std::string::npos) << outcome.body;
}

// Found by the journal fuzzer: an unreadable sleep entry threw out of recovery, so orderd could
// not start at all. Now only that invocation stops, paused with the reason.
TEST_F(EngineTest, UnreadableJournalPausesItsInvocationNotRecovery) {
  EngineHarness h;
  h.registry.add("Napper", "Run", &run_sleep_run);
  h.start();
  auto damaged = h.start_invocation("Napper", "Run", text_input("60000"));
  auto healthy = h.start_invocation("Napper", "Run", text_input("50"));
  ASSERT_TRUE(h.await_durable_entries(damaged, 2));
  h.crash();
  h.execute("UPDATE journal SET payload = 'soon' WHERE invocation_id = '" + damaged +
            "' AND kind = 3");

  h.start();
  EXPECT_TRUE(h.await_outcome(healthy).ok);
  EXPECT_EQ(h.query_int("SELECT status FROM invocations WHERE id = '" + damaged + "'"), 4);
  EXPECT_NE(h.query_text("SELECT output FROM invocations WHERE id = '" + damaged + "'")
                .find("corrupt journal: journal entry 1 (sleep) holds no wake-up time"),
            std::string::npos);
  EXPECT_EQ(h.engine().kill(damaged), Engine::Control::kDone);  // an operator can end it
}

// run_durable: the charge, built from the quote, never happens unless the quote's record is
// durable, at every crash point. (With a plain run, a crash could forget a quote the charge was
// already made from, and the replay could quote differently.)
Task<Text> quote_then_charge(Context& ctx, Text) {
  auto quote = ctx.run_durable("quote", [] { return ++executions["quote"]; });
  int quoted = co_await quote;
  ctx.run("charge", [] { return ++executions["charge"]; });
  co_return Text{std::to_string(quoted)};
}

TEST_F(EngineTest, RunDurableHoldsLaterStepsUntilItsRecordIsDurable) {
  EngineOptions options;
  options.max_writes_per_batch = 1;  // every write its own commit, so its own crash point
  for (std::size_t k = 0; k < 8; ++k) {
    SCOPED_TRACE("crash after batch " + std::to_string(k));
    executions.clear();
    EngineHarness h(options);
    h.registry.add("Shop", "Quote", &quote_then_charge);
    h.start_crashing_after(k);
    auto id = h.start_invocation("Shop", "Quote", text_input(""));
    h.run_until([&] { return h.store_crashed() || executions["charge"] > 0; }, 2s);
    h.crash();
    const bool quote_committed =
        h.query_int("SELECT count(*) FROM journal WHERE name = 'quote' AND invocation_id = '" + id +
                    "'") == 1;
    if (executions["charge"] > 0) {
      EXPECT_TRUE(quote_committed);
    }
    if (h.query_int("SELECT count(*) FROM invocations WHERE id = '" + id + "'") == 0) continue;
    h.start();
    auto outcome = h.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
  }
}

Task<Text> uuids(Context& ctx, Text) {
  std::string live = ctx.uuid();
  std::string recorded = ctx.run("keep", [live] { return live; });
  auto nap = ctx.sleep(300ms);
  co_await nap;
  co_return Text{live == recorded ? "same" : live + " != " + recorded};
}

TEST_F(EngineTest, UuidIsDeterministicAcrossReplay) {
  EngineHarness h;
  h.registry.add("Random", "Uuid", &uuids);
  h.start();
  auto id = h.start_invocation("Random", "Uuid", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 2));
  h.crash();
  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"same"})");
}

// Who called and under which trace, as a handler reads them.
std::string caller_of(const Context& ctx) {
  return ctx.principal() + "|" + ctx.traceparent();
}

// The child naps first (in.value ms): a crash can find it in flight.
Task<Text> traced_child(Context& ctx, Text in) {
  auto nap = ctx.sleep(std::chrono::milliseconds(std::stoi(in.value)));
  co_await nap;
  co_return Text{caller_of(ctx)};
}

Task<Text> traced_parent(Context& ctx, Text in) {
  std::string mine = caller_of(ctx);
  auto child = ctx.call<Text>("Traced", "Child", in);
  Text theirs = co_await child;
  co_return Text{mine + " / " + theirs.value};
}

const std::string kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

InvokeRequest traced_request(const std::string& nap_ms, std::string principal,
                             std::string traceparent) {
  InvokeRequest request;
  request.service = "Traced";
  request.handler = "Parent";
  request.input = text_input(nap_ms);
  request.principal = std::move(principal);
  request.traceparent = std::move(traceparent);
  return request;
}

TEST_F(EngineTest, HandlersAndTheirChildrenSeeTheCallersPrincipalAndTrace) {
  EngineHarness h;
  h.registry.add("Traced", "Parent", &traced_parent);
  h.registry.add("Traced", "Child", &traced_child);
  h.start();
  std::optional<InvocationOutcome> traced, anonymous;
  auto id = h.engine()
                .invoke(traced_request("0", "user:alice", kTraceparent),
                        [&](InvocationOutcome o) { traced = std::move(o); })
                .invocation_id;
  h.engine().invoke(traced_request("0", "", ""),
                    [&](InvocationOutcome o) { anonymous = std::move(o); });
  ASSERT_TRUE(h.run_until([&] { return traced && anonymous; }));
  ASSERT_TRUE(traced->ok) << traced->body;
  const std::string seen = "user:alice|" + kTraceparent;
  EXPECT_EQ(traced->body, R"({"value":")" + seen + " / " + seen + R"("})");
  ASSERT_TRUE(anonymous->ok) << anonymous->body;
  EXPECT_EQ(anonymous->body, R"({"value":"| / |"})");  // nothing leaks from the other caller
  // The child's own record carries them too, where the admin API and metrics read them.
  EXPECT_EQ(h.query_text("SELECT principal || ' ' || traceparent FROM invocations WHERE "
                         "parent_id = '" +
                         id + "'"),
            "user:alice " + kTraceparent);
}

// Crashed after every batch in turn: before the child exists (the parent's replay starts it from
// the recovered record), while it naps, or after it finished. Either way both handlers see what
// the caller sent, read back from the store.
TEST_F(EngineTest, PrincipalAndTraceSurviveACrashAtEveryPoint) {
  EngineOptions options;
  options.max_writes_per_batch = 1;
  const std::string seen = "user:alice|" + kTraceparent;
  std::size_t total = 0;
  {
    EngineHarness dry(options);
    dry.registry.add("Traced", "Parent", &traced_parent);
    dry.registry.add("Traced", "Child", &traced_child);
    dry.start();
    std::optional<InvocationOutcome> done;
    dry.engine().invoke(traced_request("20", "user:alice", kTraceparent),
                        [&](InvocationOutcome o) { done = std::move(o); });
    ASSERT_TRUE(dry.run_until([&] { return done.has_value(); }));
    total = dry.batches_submitted();
  }
  ASSERT_GE(total, 3u);
  for (std::size_t k = 1; k < total; ++k) {
    SCOPED_TRACE("crash after batch " + std::to_string(k) + " of " + std::to_string(total));
    EngineHarness h(options);
    h.registry.add("Traced", "Parent", &traced_parent);
    h.registry.add("Traced", "Child", &traced_child);
    h.start_crashing_after(k);
    auto id = h.engine().invoke(traced_request("20", "user:alice", kTraceparent), {}).invocation_id;
    ASSERT_TRUE(h.run_until([&] { return h.store_crashed(); }));
    h.crash();
    h.start();
    auto outcome = h.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
    EXPECT_EQ(outcome.body, R"({"value":")" + seen + " / " + seen + R"("})");
  }
}

}  // namespace
}  // namespace orderd
