// Crash-point sweep: run a workflow once to count its store batches, then for every K crash it
// after K batches (the (K+1)th and everything after never reach the disk), recover on the same
// file and finish. At every crash point: an answer a client saw is the answer it gets again; an
// invocation nobody was told about may vanish, nothing else may; a side effect whose record was
// committed never runs again; each call step has exactly one child.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <set>

#include "engine/engine.hpp"
#include "services/seed_services.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

using testing::Text;

// Executions of each side effect, by invocation: what a payment provider would have seen.
std::map<std::string, int> charges;

Task<Text> charge(Context& ctx, Text in) {
  const std::string& id = ctx.invocation_id();
  ctx.run("charge", [&id] { return ++charges[id]; });
  co_return in;
}

Task<Text> short_nap(Context& ctx, Text in) {
  auto nap = ctx.sleep(2ms);
  co_await nap;
  co_return in;
}

// Every kind of step: two calls fanned out and in, a side effect, a durable sleep, a uuid.
Task<Text> checkout(Context& ctx, Text in) {
  auto charged = ctx.call<Text>("Shop", "Charge", in);
  auto waited = ctx.call<Text>("Shop", "Nap", in);
  Waiter waiter = ctx.wait(charged, waited);
  std::string order;
  for (;;) {
    auto next = waiter.next();
    auto which = co_await std::move(next);
    if (!which) break;
    order += std::to_string(which->position());
  }
  auto nap = ctx.sleep(1ms);
  co_await nap;
  std::string receipt = ctx.run("receipt", [&ctx] { return ctx.uuid(); });
  co_return Text{order + ":" + receipt.substr(0, 8)};
}

// Domain rows and an effect: a reservation decided and written in one transact step, then a
// payment made on a worker and keyed by its step.
std::map<std::string, int> payments;  // by idempotency key; touched on the engine thread only
std::atomic<int> pay_runs{0};         // executions of the payment effect, on its workers
Task<Text> reserve_and_pay(Context& ctx, Text in) {
  const std::string id = ctx.invocation_id();
  ctx.transact("reserve", [&](WriteSet& writes) {
    writes.put("reservations", id, "{\"units\":1}");
    writes.put("reservation_log", id + "/reserved", "1");
    return 1;
  });
  auto paid = ctx.run_on_worker("pay", [](const EffectAttempt& a) {
    ++pay_runs;
    return a.idempotency_key;
  });
  std::string key = co_await paid;
  ctx.run("count payment", [&key] { return ++payments[key]; });
  co_return in;
}

void register_shop(Registry& registry) {
  registry.add_table("reservations");
  registry.add_table("reservation_log");
  registry.add("Ledger", "Reserve", &reserve_and_pay);
  registry.add("Shop", "Charge", &charge);
  registry.add("Shop", "Nap", &short_nap);
  registry.add("Shop", "Checkout", &checkout);
  services::register_seed_services(registry, services::Simulation{0, 0});
}

struct Workflow {
  const char* service;
  const char* handler;
  const char* input;
};

// One transaction per step: every journal write is a crash point.
EngineOptions one_step_per_batch() {
  EngineOptions options;
  options.max_writes_per_batch = 1;
  return options;
}

class CrashPointTest : public ::testing::TestWithParam<Workflow> {};

TEST_P(CrashPointTest, EveryCrashPointRecovers) {
  const Workflow w = GetParam();
  std::size_t total = 0;
  {
    EngineHarness dry(one_step_per_batch());
    register_shop(dry.registry);
    dry.start();
    ASSERT_TRUE(dry.call(w.service, w.handler, w.input).ok);
    total = dry.batches_submitted();
  }
  ASSERT_GT(total, 3u);
  std::size_t vanished = 0, recovered = 0;

  for (std::size_t k = 0; k <= total; ++k) {
    SCOPED_TRACE("crash after batch " + std::to_string(k) + " of " + std::to_string(total));
    charges.clear();
    EngineHarness h(one_step_per_batch());
    register_shop(h.registry);
    h.start_crashing_after(k);
    std::optional<InvocationOutcome> seen;
    std::string id =
        h.engine().invoke(w.service, w.handler, w.input, [&](InvocationOutcome o) { seen = o; });
    // Once a batch is dropped, nothing after it can reach the disk: crash right there.
    h.run_until([&] { return seen.has_value() || h.store_crashed(); }, 5s);
    h.crash();
    // A transact step's rows and its journal entry: both committed or neither.
    EXPECT_EQ(h.query_int("SELECT count(*) FROM journal WHERE kind = 13") * 2,
              h.query_int("SELECT count(*) FROM rows"))
        << "a domain write and its journal entry were split";
    const bool payment_committed =
        h.query_int(
            "SELECT count(*) FROM completions c JOIN journal j ON j.invocation_id = "
            "c.invocation_id AND j.idx = c.idx WHERE j.kind = 14") > 0;
    pay_runs = 0;

    std::set<std::string> committed_charges;
    for (const auto& [invocation, n] : charges)
      if (h.query_int("SELECT count(*) FROM journal WHERE invocation_id = '" + invocation +
                      "' AND name = 'charge'") == 1)
        committed_charges.insert(invocation);
    charges.clear();

    h.start();
    if (h.query_int("SELECT count(*) FROM invocations WHERE id = '" + id + "'") == 0) {
      EXPECT_FALSE(seen) << "an answered invocation was lost";
      ++vanished;
      continue;
    }
    auto outcome = h.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
    ++recovered;
    if (seen) {
      EXPECT_EQ(outcome.body, seen->body) << "the answer changed after the crash";
    }
    for (const auto& [invocation, n] : charges)
      EXPECT_FALSE(committed_charges.count(invocation)) << "a committed charge ran again";
    if (payment_committed) {
      EXPECT_EQ(pay_runs, 0) << "an effect with a durable outcome ran again";
    }
    EXPECT_EQ(h.query_int("SELECT count(*) FROM journal j LEFT JOIN invocations c ON c.id = "
                          "CAST(j.payload AS TEXT) WHERE j.kind = 1 AND c.id IS NULL"),
              0);
    EXPECT_EQ(h.query_int("SELECT count(*) FROM (SELECT 1 FROM invocations WHERE parent_id IS "
                          "NOT NULL GROUP BY parent_id, parent_index HAVING count(*) > 1)"),
              0);
    EXPECT_EQ(h.query_int("SELECT count(*) FROM invocations WHERE status IN (1, 4)"), 0);
    EXPECT_EQ(h.query_int("SELECT count(*) FROM journal WHERE kind = 13") * 2,
              h.query_int("SELECT count(*) FROM rows"));
  }
  std::cout << w.service << ": " << total + 1 << " crash points, " << recovered
            << " recovered and finished, " << vanished << " never accepted\n";
  EXPECT_GT(recovered, total / 2);  // the sweep really crashed mid-flight, not only before start
}

INSTANTIATE_TEST_SUITE_P(
    Workflows, CrashPointTest,
    ::testing::Values(Workflow{"Shop", "Checkout", R"({"value":"basket-1"})"},
                      Workflow{"Ledger", "Reserve", R"({"value":"basket-2"})"},
                      Workflow{"OrderService", "ProcessOrder",
                               R"({"userId":"u","productId":"p","quantity":1,"amount":10,)"
                               R"("weight":2,"destination":"Oslo"})"},
                      Workflow{"OrderServiceSlow", "ProcessOrder",
                               R"({"userId":"u","productId":"p","quantity":1,"amount":10,)"
                               R"("weight":2,"destination":"Oslo"})"}),
    [](const auto& info) { return std::string(info.param.service); });

}  // namespace
}  // namespace orderd
