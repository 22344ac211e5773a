// Workflows: a run handler that executes once per key, shared handlers beside it, and durable
// promises between them that survive crashes. Each test makes one of these promises fail.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

int run_side_effects = 0;

// run: records the input in state, waits for the "go" signal, publishes "result" for queries and
// returns the signal. signal resolves "go" (or rejects it when the value starts with "!"), peek
// reads "go" without waiting, result awaits what run publishes.
Task<Text> approval_run(Context& ctx, Text in) {
  ctx.run("effect", [] { return ++run_side_effects; });
  ctx.set("input", in.value);
  auto go = ctx.promise<std::string>("go").get();
  std::string signal = co_await go;
  ctx.promise<std::string>("result").resolve(in.value + ":" + signal);
  co_return Text{signal};
}

Task<Text> approval_signal(Context& ctx, Text in) {
  auto go = ctx.promise<std::string>("go");
  if (!in.value.empty() && in.value[0] == '!')
    go.reject(in.value.substr(1), 403);
  else
    go.resolve(in.value);
  co_return Text{"sent"};
}

Task<Text> approval_peek(Context& ctx, Text) {
  auto go = ctx.promise<std::string>("go").peek();
  auto input = ctx.get<std::string>("input").value_or("");
  co_return Text{(go ? *go : std::string("none")) + "/" + input};
}

Task<Text> approval_result(Context& ctx, Text) {
  auto result = ctx.promise<std::string>("result").get();
  std::string value = co_await result;
  co_return Text{value};
}

Task<Text> approval_peek_later(Context& ctx, Text) {
  auto never = ctx.promise<std::string>("never").get();
  std::string value = co_await never;
  co_return Text{value};
}

Task<Text> not_a_workflow(Context& ctx, Text) {
  ctx.promise<std::string>("go").resolve("x");
  co_return Text{""};
}

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_side_effects = 0;
    h.registry.add("Approval", "run", &approval_run, HandlerEntry::Kind::kWorkflowRun);
    h.registry.add("Approval", "signal", &approval_signal, HandlerEntry::Kind::kWorkflowShared);
    h.registry.add("Approval", "peek", &approval_peek, HandlerEntry::Kind::kWorkflowShared);
    h.registry.add("Approval", "result", &approval_result, HandlerEntry::Kind::kWorkflowShared);
    h.registry.add("Approval", "peek_later", &approval_peek_later,
                   HandlerEntry::Kind::kWorkflowShared);
    h.registry.add("Counter", "promise", &not_a_workflow, HandlerEntry::Kind::kExclusive);
  }

  InvokeResult invoke(const std::string& handler, const std::string& key, const std::string& value,
                      std::optional<InvocationOutcome>* out) {
    InvokeRequest request{"Approval", handler, text_input(value), {}, 0, key};
    Engine::OutcomeCallback done;
    if (out) done = [out](InvocationOutcome o) { *out = std::move(o); };
    return h.engine().invoke(std::move(request), std::move(done));
  }

  InvocationOutcome call(const std::string& handler, const std::string& key,
                         const std::string& value) {
    std::optional<InvocationOutcome> out;
    invoke(handler, key, value, &out);
    EXPECT_TRUE(h.run_until([&] { return out.has_value(); })) << handler;
    return out.value_or(InvocationOutcome{});
  }

  EngineHarness h;
};

TEST_F(WorkflowTest, RunExecutesOncePerKeyAndASharedHandlerSignalsIt) {
  h.start();
  std::optional<InvocationOutcome> run;
  auto first = invoke("run", "w1", "order-7", &run);
  ASSERT_EQ(first.disposition, InvokeDisposition::kStarted);

  std::optional<InvocationOutcome> again;
  auto second = invoke("run", "w1", "something else", &again);
  EXPECT_EQ(second.disposition, InvokeDisposition::kAlreadyInvoked);
  EXPECT_EQ(second.invocation_id, first.invocation_id);
  auto send = invoke("run", "w1", "something else", nullptr);  // a send: previously accepted
  EXPECT_EQ(send.disposition, InvokeDisposition::kExisting);
  EXPECT_EQ(send.invocation_id, first.invocation_id);

  ASSERT_TRUE(h.run_until([&] { return h.durable_entries(first.invocation_id) >= 3; }));
  EXPECT_EQ(call("peek", "w1", "").body, R"({"value":"none/order-7"})");
  EXPECT_FALSE(run.has_value());  // still waiting for the signal

  EXPECT_EQ(call("signal", "w1", "approved").body, R"({"value":"sent"})");
  ASSERT_TRUE(h.run_until([&] { return run.has_value(); }));
  EXPECT_EQ(run->body, R"({"value":"approved"})");
  EXPECT_FALSE(again.has_value());  // the refused call was never attached

  auto late = call("signal", "w1", "changed my mind");
  EXPECT_EQ(late.code, 409);  // the first completion wins
  EXPECT_NE(late.body.find("already completed"), std::string::npos) << late.body;
  EXPECT_EQ(call("peek", "w1", "").body, R"({"value":"approved/order-7"})");
  EXPECT_EQ(call("result", "w1", "").body, R"({"value":"order-7:approved"})");
  EXPECT_EQ(invoke("run", "w1", "order-7", &again).disposition,
            InvokeDisposition::kAlreadyInvoked);  // finished runs keep their key

  // Another key is another workflow.
  std::optional<InvocationOutcome> other;
  EXPECT_EQ(invoke("run", "w2", "order-8", &other).disposition, InvokeDisposition::kStarted);
  EXPECT_EQ(call("signal", "w2", "!too risky").body, R"({"value":"sent"})");
  ASSERT_TRUE(h.run_until([&] { return other.has_value(); }));
  EXPECT_EQ(other->code, 403);
  EXPECT_EQ(other->body, "too risky");
  EXPECT_EQ(run_side_effects, 2);
}

TEST_F(WorkflowTest, SharedHandlerAwaitsWhatRunPublishes) {
  h.start();
  std::optional<InvocationOutcome> query, run;
  invoke("result", "w3", "", &query);  // arrives before the run even started
  invoke("run", "w3", "order-9", &run);
  ASSERT_TRUE(h.run_until([&] { return h.query_int("SELECT count(*) FROM journal") >= 4; }));
  EXPECT_FALSE(query.has_value());
  call("signal", "w3", "ok");
  ASSERT_TRUE(h.run_until([&] { return query.has_value() && run.has_value(); }));
  EXPECT_EQ(query->body, R"({"value":"order-9:ok"})");
}

TEST_F(WorkflowTest, PromiseCompletedWhileTheRunIsPausedReachesItAfterACrash) {
  h.start();
  auto id = invoke("run", "w4", "order-10", nullptr).invocation_id;
  ASSERT_TRUE(h.run_until([&] { return h.durable_entries(id) >= 3; }));
  // Paused, the run cannot see the signal before the crash: only the store carries it.
  ASSERT_EQ(h.engine().pause(id), Engine::Control::kDone);
  EXPECT_EQ(call("signal", "w4", "late").body, R"({"value":"sent"})");
  h.crash();

  h.start();
  ASSERT_EQ(h.engine().resume(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.body, R"({"value":"late"})");
  EXPECT_EQ(run_side_effects, 1);  // the side effect before the crash was not repeated
}

TEST_F(WorkflowTest, RunWaitingOnAPromiseResumesAfterACrash) {
  h.start();
  auto id = invoke("run", "w5", "order-11", nullptr).invocation_id;
  ASSERT_TRUE(h.run_until([&] { return h.durable_entries(id) >= 3; }));
  h.crash();

  h.start();
  EXPECT_EQ(invoke("run", "w5", "order-11", nullptr).disposition, InvokeDisposition::kExisting);
  EXPECT_EQ(call("peek", "w5", "").body, R"({"value":"none/order-11"})");
  call("signal", "w5", "after-restart");
  EXPECT_EQ(h.await_outcome(id).body, R"({"value":"after-restart"})");
  EXPECT_EQ(run_side_effects, 1);
}

TEST_F(WorkflowTest, PurgingTheRunForgetsTheKeyItsStateAndItsPromises) {
  h.start();
  std::optional<InvocationOutcome> run;
  auto id = invoke("run", "w6", "order-12", &run).invocation_id;
  call("signal", "w6", "yes");
  ASSERT_TRUE(h.run_until([&] { return run.has_value(); }));
  ASSERT_EQ(h.engine().purge(id), Engine::Control::kDone);
  h.engine().flush();
  ASSERT_TRUE(h.run_until([&] {
    return h.query_int("SELECT count(*) FROM promises WHERE workflow_key = 'w6'") == 0 &&
           h.query_int("SELECT count(*) FROM state WHERE object_key = 'w6'") == 0;
  }));
  std::optional<InvocationOutcome> rerun;
  EXPECT_EQ(invoke("run", "w6", "order-12b", &rerun).disposition, InvokeDisposition::kStarted);
  EXPECT_EQ(call("peek", "w6", "").body, R"({"value":"none/order-12b"})");
}

// Found in review: a run started after the previous one's retention ran out, but before the
// sweeper came, inherited the old run's promises (an old decision answered the new run).
TEST(WorkflowRetentionTest, ARunAfterTheRetentionStartsAfresh) {
  EngineOptions options;
  options.idempotency_retention_ms = 0;  // a finished run gives its key up at once
  EngineHarness h(options);
  h.registry.add("Approval", "run", &approval_run, HandlerEntry::Kind::kWorkflowRun);
  h.registry.add("Approval", "signal", &approval_signal, HandlerEntry::Kind::kWorkflowShared);
  h.registry.add("Approval", "peek", &approval_peek, HandlerEntry::Kind::kWorkflowShared);
  h.start();
  auto call = [&h](const std::string& handler, const std::string& value) {
    std::optional<InvocationOutcome> out;
    InvokeRequest request{"Approval", handler, text_input(value), {}, 0, "again"};
    auto result =
        h.engine().invoke(std::move(request), [&](InvocationOutcome o) { out = std::move(o); });
    EXPECT_TRUE(h.run_until([&] { return out.has_value(); }));
    return std::make_pair(result, out.value_or(InvocationOutcome{}));
  };
  std::optional<InvocationOutcome> first;
  InvokeRequest run{"Approval", "run", text_input("order-1"), {}, 0, "again"};
  h.engine().invoke(std::move(run), [&](InvocationOutcome o) { first = std::move(o); });
  call("signal", "old-decision");
  ASSERT_TRUE(h.run_until([&] { return first.has_value(); }));

  InvokeRequest rerun{"Approval", "run", text_input("order-2"), {}, 0, "again"};
  std::optional<InvocationOutcome> second;
  auto started =
      h.engine().invoke(std::move(rerun), [&](InvocationOutcome o) { second = std::move(o); });
  EXPECT_EQ(started.disposition, InvokeDisposition::kStarted);
  EXPECT_EQ(call("peek", "").second.body, R"({"value":"none/order-2"})");
  EXPECT_FALSE(second.has_value());  // waits for a decision of its own
  call("signal", "new-decision");
  ASSERT_TRUE(h.run_until([&] { return second.has_value(); }));
  EXPECT_EQ(second->body, R"({"value":"new-decision"})");
}

TEST_F(WorkflowTest, PurgeWaitsWhileAHandlerStillUsesTheKey) {
  h.start();
  std::optional<InvocationOutcome> run;
  auto run_id = invoke("run", "w8", "order-13", &run).invocation_id;
  call("signal", "w8", "go");
  ASSERT_TRUE(h.run_until([&] { return run.has_value(); }));
  // A query that waits on a promise nobody resolves keeps the key in use.
  std::optional<InvocationOutcome> query;
  auto waiting = invoke("peek_later", "w8", "", &query).invocation_id;
  ASSERT_TRUE(h.run_until([&] { return h.durable_entries(waiting) >= 1; }));
  EXPECT_EQ(h.engine().purge(run_id), Engine::Control::kWrongState);
  ASSERT_EQ(h.engine().kill(waiting), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return query.has_value(); }));  // it has left the key
  EXPECT_EQ(h.engine().purge(run_id), Engine::Control::kDone);
}

TEST_F(WorkflowTest, PromisesOutsideWorkflowsAreRefused) {
  h.start();
  InvokeRequest request{"Counter", "promise", text_input(""), {}, 0, "k"};
  std::optional<InvocationOutcome> out;
  h.engine().invoke(std::move(request), [&](InvocationOutcome o) { out = std::move(o); });
  ASSERT_TRUE(h.run_until([&] { return out.has_value(); }));
  EXPECT_EQ(out->code, 400);
  EXPECT_NE(out->body.find("belong to workflows"), std::string::npos) << out->body;
}

}  // namespace
}  // namespace orderd
