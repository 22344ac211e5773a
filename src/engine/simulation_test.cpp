// Deterministic simulation. The engine runs on virtual time (SimulatedScheduler: events due at the
// same time run in an order the seed picks), over an in-memory store whose batches commit after
// seeded delays and which loses power after its K-th commit (MemoryStore), with seeded invocation
// ids and seeded transient failures. One seed is one exact run, so a failure names the seed and
// crash point that reproduce it.
//
// For each scenario and seed: a dry run counts the commits, then every K from 0 to that count
// crashes the run after commit K, reboots on the committed tables, lets the client retry as a
// real one would (idempotency keys, workflow ids), and checks the invariants:
//  - an answer the client saw before the crash is the answer it gets after;
//  - a side effect whose journal record was committed never runs again, and none was made by an
//    invocation the crash then lost;
//  - every call step has its child, and nothing is left unfinished;
//  - the retried requests did not start anything twice (one order, one workflow run, one
//    shipment);
//  - a workflow's promises and state end as its run left them.
//
// Each crash point is also run with a second crash early in the recovering lifetime.
//
// Environment: ORDERD_SIM_SEED=<n> runs that seed only; ORDERD_SIM_CRASH=<k> that crash point
// only (ORDERD_SIM_CRASH2=<k2> fixes the second crash); ORDERD_SIM_SEEDS=<count> sweeps more
// seeds than the default (64; 16 in the sanitizer build).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "commerce/events/event_feed.hpp"
#include "commerce/events/event_publisher.hpp"
#include "commerce/events/event_relay.hpp"
#include "commerce/orders/order.hpp"
#include "commerce/requests.hpp"
#include "commerce/shop.hpp"
#include "common/ids.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "inventory/resource_key.hpp"
#include "notifications/mailbox.hpp"
#include "notifications/notification_service.hpp"
#include "services/seed_services.hpp"
#include "services/simulation.hpp"
#include "sim/memory_store.hpp"
#include "sim/simulated_scheduler.hpp"
#include "sim/simulated_workers.hpp"
#include "support/text_value.hpp"
#include "travel/travel.hpp"
#include "travel/trip.hpp"

namespace orderd {
namespace {

using sim::MemoryStore;
using sim::SimulatedScheduler;
using testing::Text;
using testing::text_input;

constexpr std::uint64_t kBaseSeed = 20261123;
constexpr std::int64_t kHorizonMs = 3 * 24 * 3600 * 1000LL;  // virtual time one lifetime may use

// The outside world's ledger: how often each side effect really ran, by "invocation/name".
std::map<std::string, int> ledger;

int record_effect(Context& ctx, const std::string& name) {
  std::string key = ctx.invocation_id() + "/" + name;
  auto effect = [&key] { return ++ledger[key]; };
  return ctx.run(name, effect);
}

// A plain service with a side effect, called from the workflow.
Task<Text> charge(Context& ctx, Text in) {
  record_effect(ctx, "charge");
  co_return Text{"charged:" + in.value};
}

// The keyed workflow: reserve, publish its stage, charge through a call, wait for the shipment
// signal, nap, then publish the receipt that queries wait for.
Task<Text> fulfil(Context& ctx, Text in) {
  record_effect(ctx, "reserve");
  ctx.set("stage", std::string("reserved"));
  auto charged = ctx.call<Text>("Ledger", "Charge", in);
  Text receipt = co_await charged;
  auto shipped = ctx.promise<std::string>("shipped").get();
  std::string label = co_await shipped;
  auto nap = ctx.sleep(std::chrono::milliseconds(5));
  co_await nap;
  std::string summary = ctx.key() + "|" + receipt.value + "|" + label;
  ctx.set("stage", std::string("done"));
  ctx.promise<std::string>("receipt").resolve(summary);
  co_return Text{summary};
}

Task<Text> ship(Context& ctx, Text in) {
  record_effect(ctx, "label");
  ctx.promise<std::string>("shipped").resolve("label-" + in.value);
  co_return Text{"shipped"};
}

Task<Text> receipt(Context& ctx, Text) {
  auto published = ctx.promise<std::string>("receipt").get();
  std::string summary = co_await published;
  co_return Text{summary};
}

// A virtual object per product: reserve reads, naps, takes one unit and writes. Buyers reach it
// through a call step, clients directly: both queue on the same key.
Task<Text> reserve(Context& ctx, Text) {
  long taken = ctx.get<long>("taken").value_or(0);
  auto nap = ctx.sleep(std::chrono::milliseconds(1));
  co_await nap;
  record_effect(ctx, "pick");
  ctx.set("taken", taken + 1);
  co_return Text{std::to_string(taken + 1)};
}

Task<Text> buy(Context& ctx, Text in) {
  auto reserved = ctx.call<Text>("Stock", in.value, "reserve", Text{""});
  Text unit = co_await reserved;
  co_return unit;
}

// A domain decision and an outside effect: the hold is written with its journal entry (transact),
// then the payment runs on a worker, keyed by its step. A crash can fall between the worker
// finishing and its outcome committing: the payment then runs again, under the same key.
Task<Text> hold_and_pay(Context& ctx, Text in) {
  const std::string id = ctx.invocation_id();
  ctx.transact("hold", [&](WriteSet& writes) {
    writes.put("holds", in.value, "1");
    writes.put("holds_log", in.value + "/" + id, "1");
    return 1;
  });
  auto paid = ctx.run_on_worker("pay", [](const EffectAttempt& attempt) {
    ++ledger[attempt.idempotency_key];
    return attempt.idempotency_key;
  });
  std::string key = co_await paid;
  co_return Text{key};
}

void register_services(Registry& registry) {
  registry.add_table("holds");
  registry.add_table("holds_log");
  registry.add("Checkout", "holdAndPay", &hold_and_pay);
  services::register_seed_services(registry, services::Simulation{1.0, 1.0});
  registry.add("Ledger", "Charge", &charge);
  registry.add("Fulfilment", "run", &fulfil, HandlerEntry::Kind::kWorkflowRun);
  registry.add("Fulfilment", "ship", &ship, HandlerEntry::Kind::kWorkflowShared);
  registry.add("Fulfilment", "receipt", &receipt, HandlerEntry::Kind::kWorkflowShared);
  registry.add("Stock", "reserve", &reserve, HandlerEntry::Kind::kExclusive);
  registry.add("Buyer", "buy", &buy);
}

// The broker the outbox's relay publishes to: another process, so it outlives every crash. It
// keeps P1 (event_publisher.hpp) as JetStreamPublisher does, and refuses the rest of a batch
// when the seed says so, as a dropped connection would.
class SimulatedBroker final : public commerce::EventPublisher {
 public:
  std::function<std::size_t(std::size_t)> draw;
  std::vector<store::Row> held;

  void publish(std::vector<store::Row> events, std::uint64_t,
               UniqueFunction<void(commerce::PublishOutcome)> done) override {
    commerce::PublishOutcome outcome;
    for (auto& event : events) {
      const bool held_already = !held.empty() && event.key <= held.back().key;
      if (!held_already && draw(6) == 0) {
        outcome.error = "connection lost";
        break;
      }
      if (!held_already) held.push_back(std::move(event));
      ++outcome.acked;
    }
    done(std::move(outcome));
  }
  std::string url() const override { return "sim://broker"; }
  std::string stream() const override { return "ORDERS"; }
};

// A scenario with travel: the shop's payment desk (its mock gateway answering after
// `payment_latency_ms`), Travel on `catalog`, and the notifications mailbox.
struct TravelSetup {
  travel::TravelOptions options;
  std::int64_t payment_latency_ms = 0;
  travel::TravelCatalogSpec catalog;
};

commerce::ShopOptions shop_options(const std::optional<TravelSetup>& travel) {
  commerce::ShopOptions options;
  if (travel) options.gateway.latency_ms = travel->payment_latency_ms;
  return options;
}

// One simulated machine: the committed store outlives the process lifetimes booted on it.
class World {
 public:
  explicit World(std::uint64_t seed, const std::optional<TravelSetup>& travel = std::nullopt)
      : shop(shop_options(travel)), seed_(seed) {
    register_services(registry);
    shop.register_services(registry);
    commerce::EventRelay::register_tables(registry);
    if (travel) {
      travel_catalog_ = travel->catalog;
      trips = std::make_unique<travel::Travel>(travel->options, shop.payments);
      trips->register_services(registry);
      notifications::register_notification_service(registry, mailbox);
    }
    broker.draw = [this](std::size_t bound) { return scheduler_->draw(bound); };
  }
  ~World() { crash(); }

  // A process starts: recovery, then at most `commits_allowed` commits before power is lost.
  void boot(std::size_t commits_allowed) {
    scheduler_ = std::make_unique<SimulatedScheduler>(seed_ * 7919 + lifetimes_, clock_ms_);
    store.attach(*scheduler_, commits_allowed);
    services::seed_transient_failures(seed_ * 104729 + lifetimes_);
    ++lifetimes_;
    EngineOptions options;
    options.max_writes_per_batch = 1;  // every write is its own commit, so its own crash point
    options.unload_after_ms = 2;       // parked invocations unload and replay all the time
    options.journal_retention_ms = options.idempotency_retention_ms = 30LL * 24 * 3600 * 1000;
    options.id_source = [this](std::int64_t now) {
      return ids::invocation_id_from(now, seed_, ++id_sequence_);
    };
    workers_ = std::make_unique<sim::SimulatedWorkers>(*scheduler_);
    options.workers = workers_.get();
    engine_ = std::make_unique<Engine>(*scheduler_, store, registry, options);
    // The shop rebuilds its memory from the committed rows; a store without a catalog (even one
    // whose first seeding was lost) is seeded again.
    shop.attach(*engine_, *scheduler_);
    shop.load(store);
    if (shop.catalog.empty())
      engine_->write_rows(seed_rows(shop, shop_catalog(), clock_ms_), [] {});
    // Travel likewise, with its expiry timer on this lifetime's clock.
    if (trips) {
      trips->attach(*engine_, *scheduler_);
      trips->load(store);
      if (trips->inventory.empty())
        engine_->write_rows(travel::seed_travel_rows(*trips, travel_catalog_), [] {});
    }
    feed_ = std::make_unique<commerce::EventFeed>(*engine_, *scheduler_, shop.outbox);
    relay_ = std::make_unique<commerce::EventRelay>(*engine_, *scheduler_, *feed_, broker,
                                                    commerce::RelayOptions{3, 1, 8});
    relay_->start();
    engine_->recover();
    lifetime_start_ms_ = clock_ms_;
  }

  std::string relay_health() const {
    return relay_->health_json() + " emitted " + std::to_string(feed_->emitted_through()) +
           " durable " + std::to_string(feed_->durable_through());
  }
  // Everything durable has reached the broker.
  bool relay_caught_up() const {
    return feed_->durable_through() == feed_->emitted_through() &&
           relay_->published_through() == feed_->durable_through();
  }

  void crash() {
    if (!engine_) return;
    clock_ms_ = scheduler_->now_ms() + 1;
    relay_.reset();
    feed_.reset();
    engine_.reset();
    store.detach();
    scheduler_.reset();
    workers_.reset();
  }

  // Runs events until `done` holds; false when the world went quiet or past its horizon first.
  bool run_until(const std::function<bool()>& done) {
    while (!done()) {
      if (store.crashed()) return false;
      if (scheduler_->now_ms() - lifetime_start_ms_ > kHorizonMs || !scheduler_->step())
        return false;
    }
    return true;
  }

  Engine& engine() { return *engine_; }
  std::size_t draw(std::size_t bound) { return scheduler_->draw(bound); }

  Registry registry;
  MemoryStore store;
  commerce::Shop shop;
  SimulatedBroker broker;
  // A travel scenario's (null otherwise); like the shop, they outlive the lifetimes.
  std::unique_ptr<travel::Travel> trips;
  notifications::Mailbox mailbox;

  // Product 1: 5 units, 3 in main and 2 in backup.
  static commerce::CatalogSpec shop_catalog() {
    commerce::CatalogSpec spec;
    spec.warehouses = {{"main", "Main", 1}, {"backup", "Backup", 2}};
    spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 3}, {"backup", 2}}});
    return spec;
  }

 private:
  std::uint64_t seed_;
  travel::TravelCatalogSpec travel_catalog_;
  std::uint64_t lifetimes_ = 0;
  std::uint32_t id_sequence_ = 0;
  std::int64_t clock_ms_ = 1'900'000'000'000;
  std::int64_t lifetime_start_ms_ = 0;
  std::unique_ptr<SimulatedScheduler> scheduler_;
  std::unique_ptr<sim::SimulatedWorkers> workers_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<commerce::EventFeed> feed_;
  std::unique_ptr<commerce::EventRelay> relay_;
};

class World;

// What a client sent and saw, across the crash. An operator's action (`act`) is issued in turn
// like a request and counts as answered once `acted` says its work is done.
struct Request {
  InvokeRequest request;
  std::function<void(World&)> act;
  std::function<bool(World&)> acted;
  bool wants_outcome = true;  // a call; otherwise a send, answered by its acceptance
  std::optional<InvocationOutcome> outcome;
  std::optional<std::string> accepted;  // the id a send's 202 named
  InvokeResult result;
};

void issue(World& world, Request& r) {
  r.outcome.reset();
  r.accepted.reset();
  if (r.act) {
    r.act(world);
    return;
  }
  InvokeRequest copy = r.request;
  if (r.wants_outcome) {
    r.result = world.engine().invoke(std::move(copy),
                                     [&r](InvocationOutcome o) { r.outcome = std::move(o); });
    // A workflow's run answers a repeated call with 409; the client then attaches by workflow id.
    if (r.result.disposition == InvokeDisposition::kAlreadyInvoked) {
      world.engine().attach(r.result.invocation_id,
                            [&r](InvocationOutcome o) { r.outcome = std::move(o); });
    }
  } else {
    r.result = world.engine().invoke(std::move(copy), {},
                                     [&r](const std::string& id) { r.accepted = id; });
  }
}

// A scenario: the requests a client makes, and what must hold once all are answered.
struct Scenario {
  const char* name;
  std::function<std::vector<Request>()> requests;
  std::function<void(World&, std::vector<Request>&)> check;
  std::optional<TravelSetup> travel = std::nullopt;
  // The share of the default seeds this scenario sweeps (a scenario with many commits per seed
  // sweeps fewer seeds, so its runtime stays near the others').
  std::uint64_t seed_divisor = 1;
};

bool answered(World& world, const std::vector<Request>& requests) {
  for (const auto& r : requests) {
    if (r.act) {
      if (r.acted && !r.acted(world)) return false;
      continue;
    }
    if (r.wants_outcome ? !r.outcome : !r.accepted) return false;
  }
  return true;
}

// Issues the requests one by one, each after a seeded number of events, as clients arriving over
// time would; then runs until all are answered. False if the store lost power first.
bool play(World& world, std::vector<Request>& requests) {
  for (std::size_t i = 0; i < requests.size(); ++i) {
    std::size_t events = world.draw(20);
    std::size_t ran = 0;
    auto waited = [&] {
      for (std::size_t j = 0; j < i; ++j)  // an issued action watches for its moment
        if (requests[j].acted) requests[j].acted(world);
      return ran++ >= events;
    };
    if (!world.run_until(waited) && world.store.crashed()) return false;
    issue(world, requests[i]);
  }
  return world.run_until([&] { return answered(world, requests); });
}

// What a client keeps of a request: the outcome it was given (a send's acceptance says nothing
// about the outcome).
std::optional<std::string> seen_body(const Request& r) {
  if (!r.outcome) return std::nullopt;
  return std::to_string(r.outcome->code) + " " + r.outcome->body;
}

bool all_finished(World& world) {
  for (const auto& [id, r] : world.store.tables().invocations)
    if (!store::is_finished(r.status)) return false;
  return true;
}

void check_common(World& world) {
  const auto& t = world.store.tables();
  // The relay (R1, R2): the broker holds exactly the outbox's events, each once, in id order,
  // and none the store lost (a crash hands lost ids out again, to other events).
  static const std::map<std::string, std::string> no_events;
  const auto& events = t.rows.count("events") ? t.rows.at("events") : no_events;
  ASSERT_EQ(world.broker.held.size(), events.size());
  std::size_t i = 0;
  for (const auto& [key, value] : events) {
    EXPECT_EQ(world.broker.held[i].key, key) << "event " << i;
    EXPECT_EQ(world.broker.held[i].value, value) << key;
    ++i;
  }
  for (const auto& [id, r] : t.invocations)
    EXPECT_TRUE(store::is_finished(r.status)) << id << " " << r.service << "/" << r.handler;
  for (const auto& [id, entries] : t.journal) {
    for (const auto& [index, e] : entries) {
      if (e.kind != store::EntryKind::kCall) continue;
      auto child = t.invocations.find(e.payload);
      ASSERT_NE(child, t.invocations.end()) << "call step " << id << "/" << index << " lost";
      EXPECT_EQ(child->second.parent_id, id);
      EXPECT_EQ(child->second.parent_index, index);
    }
  }
}

std::size_t count_invocations(World& world, const std::string& service,
                              const std::string& handler) {
  std::size_t n = 0;
  for (const auto& [id, r] : world.store.tables().invocations)
    if (r.service == service && r.handler == handler) ++n;
  return n;
}

const std::string kOrder =
    R"({"userId":"u1","productId":"p1","quantity":1,"amount":10,"weight":2,"destination":"Oslo"})";

Scenario order_service() {
  return {"OrderService",
          [] {
            std::vector<Request> rs(1);
            rs[0].request = {"OrderService", "ProcessOrder", kOrder, "order-1", 0, ""};
            return rs;
          },
          [](World& world, std::vector<Request>& rs) {
            ASSERT_TRUE(rs[0].outcome);
            EXPECT_TRUE(rs[0].outcome->ok) << rs[0].outcome->body;
            EXPECT_EQ(count_invocations(world, "OrderService", "ProcessOrder"), 1u);
            // One authorization per order, and at most one void of it: no double charge.
            EXPECT_EQ(count_invocations(world, "PaymentService", "AuthorizePayment"), 1u);
            EXPECT_LE(count_invocations(world, "PaymentService", "VoidPayment"), 1u);
          }};
}

Scenario fulfilment() {
  return {"Fulfilment",
          [] {
            std::vector<Request> rs(3);
            rs[0].request = {"Fulfilment", "run", text_input("basket"), "", 0, "o-1"};
            rs[0].wants_outcome = false;  // started with a send, its outcome fetched later
            rs[1].request = {"Fulfilment", "ship", text_input("dhl"), "ship-1", 0, "o-1"};
            rs[2].request = {"Fulfilment", "receipt", text_input(""), "query-1", 0, "o-1"};
            return rs;
          },
          [](World& world, std::vector<Request>& rs) {
            const std::string summary = R"({"value":"o-1|charged:basket|label-dhl"})";
            ASSERT_TRUE(rs[1].outcome && rs[2].outcome);
            EXPECT_EQ(rs[1].outcome->body, R"({"value":"shipped"})");
            EXPECT_EQ(rs[2].outcome->body, summary);
            std::optional<InvocationOutcome> run;
            auto run_id = world.engine().find_idempotent("Fulfilment/o-1/run", "o-1");
            ASSERT_TRUE(run_id);
            world.engine().attach(*run_id, [&](InvocationOutcome o) { run = std::move(o); });
            ASSERT_TRUE(world.run_until([&] { return run.has_value(); }));
            EXPECT_EQ(run->body, summary);
            EXPECT_EQ(count_invocations(world, "Fulfilment", "run"), 1u);
            EXPECT_EQ(count_invocations(world, "Fulfilment", "ship"), 1u);
            EXPECT_EQ(count_invocations(world, "Ledger", "Charge"), 1u);
            const auto& t = world.store.tables();
            auto state = t.state.find({"Fulfilment", "o-1"});
            ASSERT_NE(state, t.state.end());
            EXPECT_EQ(state->second.at("stage"), R"("done")");
            auto promises = t.promises.find({"Fulfilment", "o-1"});
            ASSERT_NE(promises, t.promises.end());
            EXPECT_EQ(promises->second.at("shipped").value, R"("label-dhl")");
          }};
}

// The shipped workflow: a risky order waits for a reviewer, racing a durable timeout.
Scenario order_review() {
  return {"OrderReview",
          [] {
            std::vector<Request> rs(2);
            rs[0].request = {
                "OrderReview",
                "run",
                R"({"customerId":"c","amount":900,"riskScore":80,"timeoutSeconds":60})",
                "",
                0,
                "ord-9"};
            rs[1].request = {"OrderReview", "decide", R"({"approved":true,"reviewer":"alice"})",
                             "decide-1",    0,        "ord-9"};
            return rs;
          },
          // The decision may arrive after the virtual minute ran out: then the order timed out,
          // and the late decision is refused. Either way, every view agrees.
          [](World& world, std::vector<Request>& rs) {
            const std::string approved =
                R"({"orderId":"ord-9","status":"approved","approved":true,"reviewer":"alice"})";
            const std::string timed_out =
                R"({"orderId":"ord-9","status":"timed-out","approved":false,"reviewer":""})";
            ASSERT_TRUE(rs[0].outcome && rs[1].outcome);
            const bool in_time = rs[0].outcome->body == approved;
            // A decision after the timeout is refused: the run closed the decision itself.
            if (in_time)
              EXPECT_EQ(rs[1].outcome->body, approved);
            else
              EXPECT_EQ(rs[1].outcome->code, 409) << rs[1].outcome->body;
            EXPECT_EQ(rs[0].outcome->body, in_time ? approved : timed_out);
            EXPECT_EQ(count_invocations(world, "OrderReview", "run"), 1u);
            EXPECT_EQ(count_invocations(world, "OrderReview", "decide"), 1u);
            const auto& t = world.store.tables();
            EXPECT_EQ(t.state.at({"OrderReview", "ord-9"}).at("status"),
                      in_time ? R"("approved")" : R"("timed-out")");
            EXPECT_EQ(t.promises.at({"OrderReview", "ord-9"}).count("decision"), 1u);
          }};
}

// Clients and buyers' call steps race for one product's units: every reservation gets its own
// unit, none lost or taken twice, across the crash.
Scenario stock() {
  return {"ObjectCalls",
          [] {
            std::vector<Request> rs;
            for (int i = 0; i < 3; ++i) {
              Request direct, via_call;
              direct.request = {"Stock", "reserve", text_input(""), "direct-" + std::to_string(i),
                                0,       "sku-1"};
              via_call.request = {"Buyer", "buy", text_input("sku-1"), "buy-" + std::to_string(i),
                                  0,       ""};
              rs.push_back(std::move(direct));
              rs.push_back(std::move(via_call));
            }
            return rs;
          },
          [](World& world, std::vector<Request>& rs) {
            std::set<std::string> units;
            for (const auto& r : rs) {
              ASSERT_TRUE(r.outcome && r.outcome->ok);
              units.insert(r.outcome->body);
            }
            EXPECT_EQ(units.size(), rs.size()) << "two reservations got the same unit";
            EXPECT_EQ(world.store.tables().state.at({"Stock", "sku-1"}).at("taken"),
                      std::to_string(rs.size()));
          }};
}

// Orders hold stock in a domain table and pay on a worker: one hold row per order, written once,
// and each payment's answer is the one its order's step recorded.
Scenario holds() {
  return {"DomainRowsAndEffects",
          [] {
            std::vector<Request> rs;
            for (int i = 1; i <= 3; ++i) {
              Request r;
              r.request = {"Checkout",
                           "holdAndPay",
                           text_input("o-" + std::to_string(i)),
                           "hold-" + std::to_string(i),
                           0,
                           ""};
              rs.push_back(std::move(r));
            }
            return rs;
          },
          [](World& world, std::vector<Request>& rs) {
            const auto& t = world.store.tables();
            ASSERT_EQ(t.rows.count("holds"), 1u);
            EXPECT_EQ(t.rows.at("holds").size(), rs.size());
            // One log row per order: no order was decided twice under two invocations.
            EXPECT_EQ(t.rows.at("holds_log").size(), rs.size());
            for (const auto& r : rs) {
              ASSERT_TRUE(r.outcome && r.outcome->ok);
              EXPECT_EQ(r.outcome->body, R"({"value":")" + r.outcome->invocation_id + R"(/1"})");
            }
            EXPECT_EQ(count_invocations(world, "Checkout", "holdAndPay"), rs.size());
          }};
}

// The gateway's counts for one owner, for failure messages.
std::string describe(const payments::MoneyCount& m) {
  return "authorized " + std::to_string(m.authorized) + ", captured " + std::to_string(m.captured) +
         ", voided " + std::to_string(m.voided) + ", refunded " + std::to_string(m.refunded);
}

// The saga of the order placed under `key`, if the engine knows it yet.
std::optional<std::string> saga_of(World& world, const std::string& key) {
  return world.engine().find_idempotent("Orders/place", key);
}

// The shop under crashes: orders race for 5 units (demand 8), one is declined, one takes over a
// reservation, another reservation expires; an operator kills one order's saga and cancels
// another's, each at a seeded moment, and the reclaim (R1) runs as its timer would. Whatever
// crashed, the rows conserve the stock, no unit is held at the end, and the gateway, which
// outlives every crash, did for each order placed: one authorization and one capture if it is
// confirmed, else every authorization voided or refunded once and nothing held.
Scenario shop() {
  return {
      "ShopOrdersAndReservations",
      [] {
        std::vector<Request> rs;
        auto order = [](const std::string& key, std::int64_t quantity, const char* method,
                        std::string reservation = {}) {
          commerce::PlaceOrder o;
          o.user_id = 7;
          if (reservation.empty()) o.items = {{1, quantity}};
          o.payment_method = method;
          o.reservation_id = std::move(reservation);
          Request r;
          r.request = {"Orders", "place", json::dump(boost::json::value_from(o)), key, 0, ""};
          return r;
        };
        // Operator actions: issued in turn like any request, each acts once the saga's
        // committed journal holds a seeded number of entries (or the saga ended), so every step
        // of a saga is met by some seed. A client resends everything after a crash, and so does
        // the operator.
        auto at_seeded_step = [](const std::string& key,
                                 Engine::Control (*control)(Engine&, const std::string&)) {
          auto target = std::make_shared<std::size_t>(0);
          auto done = std::make_shared<bool>(false);
          Request r;
          r.act = [target, done](World& world) {
            *target = 1 + world.draw(12);
            *done = false;
          };
          r.acted = [key, control, target, done](World& world) {
            if (*done) return true;
            auto id = saga_of(world, key);
            if (!id) return false;
            const auto& t = world.store.tables();
            auto journal = t.journal.find(*id);
            auto record = t.invocations.find(*id);
            const bool ended =
                record != t.invocations.end() && store::is_finished(record->second.status);
            if (!ended && (journal == t.journal.end() || journal->second.size() < *target))
              return false;
            control(world.engine(), *id);
            *done = true;
            return true;
          };
          return r;
        };
        auto kill = [](Engine& engine, const std::string& id) { return engine.kill(id); };
        auto cancel = [](Engine& engine, const std::string& id) { return engine.cancel(id); };
        // The reclaim's timer (R1), as the server runs it: until every saga has ended and it
        // finds nothing more.
        // A reclaim that leaves what it reclaims would be started forever: after a few rounds
        // the checks say what it left.
        Request reclaim;
        auto rounds = std::make_shared<int>(0);
        reclaim.act = [rounds](World&) { *rounds = 0; };
        reclaim.acted = [rounds](World& world) {
          if (world.shop.reclaim.running() > 0) return false;
          if (*rounds >= 3) return all_finished(world);
          const std::size_t started = world.shop.reclaim.run();
          if (started > 0) ++*rounds;
          return started == 0 && all_finished(world);
        };
        commerce::CreateReservation expiring{{{1, 1}}, commerce::kMinReservationTtlMs, "user:8"};
        Request hold;
        hold.request = {"Reservations", "create", json::dump(boost::json::value_from(expiring)),
                        "hold-1",       0,        ""};
        rs.push_back(std::move(hold));
        rs.push_back(order("order-1", 2, "mock"));
        rs.push_back(order("order-2", 2, "mock_declined"));
        rs.push_back(order("order-3", 2, "mock"));
        rs.push_back(at_seeded_step("order-3", kill));
        rs.push_back(order("order-4", 2, "mock"));
        rs.push_back(at_seeded_step("order-4", cancel));
        rs.push_back(std::move(reclaim));
        return rs;
      },
      [](World& world, std::vector<Request>& rs) {
        commerce::Shop durable{commerce::ShopOptions{}};
        durable.load(world.store);  // what the rows say, not what memory says
        const commerce::ProductLevels* levels = durable.stock.ledger().levels(1);
        ASSERT_NE(levels, nullptr);
        EXPECT_EQ(levels->reserved(), 0) << "a unit is still held";
        EXPECT_EQ(levels->available() + levels->sold, 5);
        static const std::map<std::string, std::string> none;
        const auto& rows = world.store.tables().rows;
        const auto& order_rows = rows.count("orders") ? rows.at("orders") : none;
        std::map<std::string, commerce::Order> stored;
        for (const auto& [key, value] : order_rows)
          stored[key] = boost::json::value_to<commerce::Order>(boost::json::parse(value));

        for (const auto& r : rs) {
          if (r.act) continue;
          ASSERT_TRUE(r.outcome) << r.request.idempotency_key;
          // Only the killed saga answers with an error (409, killed).
          if (r.request.idempotency_key == "order-3" && !r.outcome->ok) {
            EXPECT_EQ(r.outcome->code, 409) << r.outcome->body;
            continue;
          }
          ASSERT_TRUE(r.outcome->ok) << r.request.idempotency_key << " " << r.outcome->body;
          if (r.request.idempotency_key == "order-2") {
            auto order = stored.find(commerce::order_id_for(r.outcome->invocation_id));
            ASSERT_NE(order, stored.end());
            EXPECT_EQ(order->second.status, commerce::OrderStatus::kFailed);
          }
        }

        // Every order a saga was started for (its row may never have been written: a kill or a
        // crash before the reservation), and every stored one.
        std::set<std::string> placed;
        for (const auto& [id, r] : world.store.tables().invocations)
          if (r.service == "Orders" && r.handler == "place")
            placed.insert(commerce::order_id_for(id));
        for (const auto& [id, order] : stored) placed.insert(id);
        const payments::MockGateway& gateway = *world.shop.payments.mock();
        std::int64_t sold = 0;
        for (const auto& order_id : placed) {
          const std::string owner = "order:" + order_id;
          const payments::MoneyCount money = gateway.money(owner);
          auto order = stored.find(order_id);
          const bool confirmed =
              order != stored.end() && order->second.status == commerce::OrderStatus::kConfirmed;
          EXPECT_FALSE(gateway.held(owner)) << owner << " still holds money: " << describe(money);
          if (order != stored.end()) {
            EXPECT_TRUE(confirmed || order->second.terminal())
                << order_id << " left " << to_string(order->second.status);
          }
          if (confirmed) {
            for (const auto& item : order->second.items) sold += item.quantity;
            EXPECT_EQ(money, (payments::MoneyCount{1, 1, 0, 0}))
                << "confirmed " << owner << ": " << describe(money);
            continue;
          }
          // Not confirmed: what was captured was refunded, and the one authorization, if it was
          // made, voided or refunded once. (A void sent before its authorization arrived
          // succeeds with nothing to void: voided without authorized.)
          EXPECT_LE(money.authorized, 1u) << owner << ": " << describe(money);
          EXPECT_LE(money.voided, 1u) << owner << ": " << describe(money);
          EXPECT_EQ(money.captured, money.refunded) << owner << ": " << describe(money);
          if (money.authorized == 1) {
            EXPECT_EQ(money.voided + money.refunded, 1u) << owner << ": " << describe(money);
          } else {
            EXPECT_EQ(money.captured, 0u) << owner << ": " << describe(money);
          }
        }
        // No held reservation belongs to an order that has ended (or that no row knows).
        for (const auto& [id, reservation] : durable.stock.held_reservations()) {
          if (reservation.order_id.empty()) continue;
          auto order = stored.find(reservation.order_id);
          EXPECT_TRUE(order != stored.end() && !order->second.terminal() &&
                      order->second.status != commerce::OrderStatus::kConfirmed)
              << "reservation " << id << " held for ended order " << reservation.order_id;
        }
        EXPECT_EQ(levels->sold, sold);
        EXPECT_LE(sold, 5);

        // The outbox (E1, E2): per subject, versions 1..n in event order, and the last event
        // of each subject is its final state.
        static const std::map<std::string, std::string> no_events;
        const auto& events = rows.count("events") ? rows.at("events") : no_events;
        std::map<std::string, std::vector<boost::json::object>> by_subject;
        for (const auto& [key, value] : events) {
          auto event = boost::json::parse(value).as_object();
          EXPECT_EQ(event.at("id").as_string(), key);
          by_subject[std::string(event.at("subject").as_string())].push_back(event);
        }
        for (const auto& [subject, list] : by_subject)
          for (std::size_t i = 0; i < list.size(); ++i)
            EXPECT_EQ(list[i].at("version").as_int64(), static_cast<std::int64_t>(i + 1))
                << subject << " " << boost::json::serialize(list[i]);
        ASSERT_TRUE(by_subject.count("1"));
        EXPECT_EQ(by_subject["1"].back().at("data").at("stock").at("sold").as_int64(), sold);
        EXPECT_EQ(by_subject["1"].back().at("version").as_int64(), levels->version);
        for (const auto& [order_id, order] : stored) {
          ASSERT_TRUE(by_subject.count(order_id)) << order_id;
          const auto& last = by_subject[order_id].back();
          EXPECT_EQ(last.at("data").at("status").as_string(), to_string(order.status)) << order_id;
          EXPECT_EQ(last.at("version").as_int64(), order.event_version);
          EXPECT_EQ(last.at("type").as_string(), "order." + std::string(to_string(order.status)));
        }
      }};
}

// ---- Travel: seed 003's TripOrchestrator --------------------------------------------------------

constexpr const char* kTripDate = "2024-12-15";
constexpr const char* kCancelReason = R"({"reason":"changed my mind"})";
// Every stay of the travel scenarios: two nights.
const std::vector<std::string> kTripNights = {"2024-12-15", "2024-12-16"};

// Two flights (2 and 3 seats) and two hotels (1 and 2 rooms of two guests), so the trips below
// race for the last seats and rooms.
travel::TravelCatalogSpec small_travel_catalog() {
  travel::TravelCatalogSpec spec;
  spec.flights.push_back(
      {"UA1-2024-12-15", "UA1", "United", "SFO", "JFK", kTripDate, "08:00", 25000, "USD", 2});
  spec.flights.push_back(
      {"AA1-2024-12-15", "AA1", "American", "SFO", "JFK", kTripDate, "09:00", 30000, "USD", 3});
  spec.hotels.push_back({"cheap-nyc", "Cheap Inn", "New York", 10000, "USD", 1, 2});
  spec.hotels.push_back({"mid-nyc", "Midtown Hotel", "New York", 20000, "USD", 2, 2});
  return spec;
}

Request book_trip(const std::string& trip_id, std::int64_t passengers, const char* method) {
  boost::json::object body{
      {"customerId", "customer-" + trip_id},
      {"customerEmail", trip_id + "@example.com"},
      {"flight", {{"from", "SFO"}, {"to", "JFK"}, {"date", kTripDate}, {"passengers", passengers}}},
      {"hotel",
       {{"city", "New York"},
        {"checkIn", kTripNights.front()},
        {"checkOut", "2024-12-17"},
        {"guests", passengers}}},
      {"payment", {{"method", method}}}};
  Request r;
  r.request = {"TripOrchestrator", "BookTrip", json::dump(body), "", 0, trip_id};
  return r;
}

// An invocation the check makes in the last lifetime, and its outcome.
InvocationOutcome call(World& world, InvokeRequest request) {
  auto outcome = std::make_shared<std::optional<InvocationOutcome>>();
  InvokeResult result =
      world.engine().invoke(std::move(request), [outcome](InvocationOutcome o) { *outcome = o; });
  if (result.disposition == InvokeDisposition::kAlreadyInvoked)
    world.engine().attach(result.invocation_id, [outcome](InvocationOutcome o) { *outcome = o; });
  EXPECT_TRUE(world.run_until([&] { return outcome->has_value(); }));
  return outcome->value_or(InvocationOutcome{});
}

InvokeRequest cancel_trip_request(const std::string& trip_id) {
  return {"TripOrchestrator", "CancelTrip", kCancelReason, "cancel-" + trip_id, 0, trip_id};
}

// CancelTrip of `trip_id`, sent once its BookTrip's committed journal holds a seeded number of
// entries (or it ended): every step of a booking, and its end, meets a cancel under some seed.
// Resent after a crash under the same idempotency key, as a client would.
Request cancel_trip_at_seeded_step(const std::string& trip_id) {
  auto target = std::make_shared<std::size_t>(0);
  auto sent = std::make_shared<bool>(false);
  auto answer = std::make_shared<std::optional<InvocationOutcome>>();
  Request r;
  r.act = [target, sent, answer](World& world) {
    *target = 1 + world.draw(40);
    *sent = false;
    answer->reset();
  };
  r.acted = [trip_id, target, sent, answer](World& world) {
    if (answer->has_value()) return true;
    if (*sent) return false;
    const auto& t = world.store.tables();
    for (const auto& [id, record] : t.invocations) {
      if (record.service != "TripOrchestrator" || record.handler != "BookTrip" ||
          record.object_key != trip_id)
        continue;
      auto journal = t.journal.find(id);
      const bool ended = store::is_finished(record.status);
      if (!ended && (journal == t.journal.end() || journal->second.size() < *target)) return false;
      world.engine().invoke(cancel_trip_request(trip_id),
                            [answer](InvocationOutcome o) { *answer = std::move(o); });
      *sent = true;
      return false;
    }
    return false;
  };
  return r;
}

travel::Trip trip_of(const InvocationOutcome& outcome) {
  return boost::json::value_to<travel::Trip>(boost::json::parse(outcome.body));
}

// The travel inventory as the committed rows say (not as memory says).
travel::TravelInventory durable_travel(World& world) {
  travel::TravelInventory inventory;
  const auto& rows = world.store.tables().rows;
  for (const char* table : {travel::TravelInventory::kFlights, travel::TravelInventory::kHotels,
                            travel::TravelInventory::kLevels, travel::TravelInventory::kBookings}) {
    auto found = rows.find(table);
    if (found == rows.end()) continue;
    for (const auto& [key, value] : found->second) inventory.load_row(table, key, value);
  }
  return inventory;
}

// Sold units of a resource: 0 when no booking ever created it (T4).
std::int64_t sold(const travel::TravelInventory& inventory, const std::string& kind,
                  const std::string& id) {
  const auto key = inventory::ResourceKey::of(kind, id);
  const inventory::Levels* levels = key ? inventory.inventory().levels(*key) : nullptr;
  return levels ? levels->sold : 0;
}

// What every travel scenario must leave: each trip ended (confirmed, failed or cancelled) with
// nothing held; the rows and memory keep T1-T5; seats and room-nights sold are exactly the
// confirmed trips' passengers and rooms; and the gateway, which outlives every crash, captured
// each confirmed trip once and holds no money for the others. Returns the trips' final records.
std::map<std::string, travel::Trip> check_travel(World& world,
                                                 const std::vector<std::string>& trip_ids) {
  std::map<std::string, travel::Trip> trips;
  std::map<std::string, std::int64_t> seats_sold;  // by flight
  std::map<std::string, std::int64_t> rooms_sold;  // by "hotel/night"
  const payments::MockGateway& gateway = *world.shop.payments.mock();
  for (const auto& trip_id : trip_ids) {
    InvocationOutcome status = call(world, {"TripOrchestrator", "GetStatus", "{}", "", 0, trip_id});
    EXPECT_TRUE(status.ok) << trip_id << " " << status.body;
    if (!status.ok) continue;
    const travel::Trip trip = trip_of(status);
    trips[trip_id] = trip;
    const std::string shown = trip_id + ": " + status.body;
    EXPECT_EQ(trip.step, "done") << shown;
    EXPECT_FALSE(trip.notifications.empty()) << "no one was told: " << shown;
    const std::string owner = "trip:" + trip_id;
    const payments::MoneyCount money = gateway.money(owner);
    const std::string paid = owner + ": " + describe(money) + "; " + shown;
    EXPECT_FALSE(gateway.held(owner)) << "money held: " << paid;
    if (trip.status == "confirmed") {
      EXPECT_TRUE(trip.flight && trip.flight->status == "confirmed") << shown;
      EXPECT_TRUE(trip.hotel && trip.hotel->status == "confirmed") << shown;
      EXPECT_TRUE(trip.payment && trip.payment->status == "captured") << shown;
      EXPECT_EQ(money, (payments::MoneyCount{1, 1, 0, 0})) << paid;
      if (trip.flight) seats_sold[trip.flight->flight_id] += trip.flight->passengers;
      if (trip.hotel)
        for (const auto& night : kTripNights)
          rooms_sold[trip.hotel->hotel_id + "/" + night] += trip.hotel->rooms;
      continue;
    }
    EXPECT_TRUE(trip.status == "failed" || trip.status == "cancelled") << shown;
    EXPECT_FALSE(trip.reason.empty()) << shown;
    if (trip.flight)
      EXPECT_TRUE(trip.flight->status != "held" && trip.flight->status != "confirmed") << shown;
    if (trip.hotel)
      EXPECT_TRUE(trip.hotel->status != "held" && trip.hotel->status != "confirmed") << shown;
    // Not confirmed: what was captured was refunded, and the one authorization, if it was
    // made, voided or refunded once (a void before any authorization: voided alone).
    EXPECT_LE(money.authorized, 1u) << paid;
    EXPECT_LE(money.voided, 1u) << paid;
    EXPECT_EQ(money.captured, money.refunded) << paid;
    if (money.authorized == 1)
      EXPECT_EQ(money.voided + money.refunded, 1u) << paid;
    else
      EXPECT_EQ(money.captured, 0u) << paid;
  }

  // Memory, and what the rows say: whole (T1-T5), nothing held, sold == the confirmed trips'.
  EXPECT_EQ(world.trips->inventory.check_all(), std::nullopt);
  const travel::TravelInventory durable = durable_travel(world);
  EXPECT_EQ(durable.check_all(), std::nullopt);
  for (const auto& [id, hold] : durable.inventory().holds())
    ADD_FAILURE() << "still held at the end: " << id << " for " << hold.owner;
  for (const auto& [id, hold] : world.trips->inventory.inventory().holds())
    ADD_FAILURE() << "still held in memory at the end: " << id << " for " << hold.owner;
  for (const auto& flight : small_travel_catalog().flights) {
    EXPECT_EQ(sold(durable, "seat", flight.flight_id), seats_sold[flight.flight_id])
        << flight.flight_id;
    const auto key = inventory::ResourceKey::of("seat", flight.flight_id);
    const inventory::Levels* levels = durable.inventory().levels(*key);
    EXPECT_NE(levels, nullptr) << flight.flight_id;
    if (levels)
      EXPECT_EQ(levels->available() + levels->reserved + levels->sold, flight.seats)
          << flight.flight_id;
  }
  for (const auto& hotel : small_travel_catalog().hotels) {
    for (const auto& night : kTripNights) {
      const std::string id = hotel.hotel_id + "/" + night;
      EXPECT_EQ(sold(durable, "room", id), rooms_sold[id]) << id;
      const auto key = inventory::ResourceKey::of("room", id);
      if (const inventory::Levels* levels = durable.inventory().levels(*key))
        EXPECT_EQ(levels->available() + levels->reserved + levels->sold, hotel.rooms) << id;
    }
  }
  return trips;
}

// TripOrchestrator under crashes: four trips race for 5 seats and 3 rooms (demand 7 and 4), one
// pays with a card that is declined, one is cancelled at a seeded step of its booking (while it
// searches, reserves, is charged, confirms or after it is confirmed).
Scenario trips() {
  Scenario scenario{
      "TripOrchestrator",
      [] {
        std::vector<Request> rs;
        rs.push_back(book_trip("trip-3", 1, "mock"));
        rs.push_back(cancel_trip_at_seeded_step("trip-3"));
        rs.push_back(book_trip("trip-1", 2, "mock"));
        rs.push_back(book_trip("trip-2", 2, "mock_declined"));
        rs.push_back(book_trip("trip-4", 2, "mock"));
        return rs;
      },
      [](World& world, std::vector<Request>& rs) {
        const auto trips = check_travel(world, {"trip-1", "trip-2", "trip-3", "trip-4"});
        // What BookTrip answered is how the trip ended, but for the cancelled one.
        for (const auto& r : rs) {
          if (r.act) continue;
          ASSERT_TRUE(r.outcome) << r.request.object_key;
          ASSERT_TRUE(r.outcome->ok) << r.request.object_key << " " << r.outcome->body;
          const travel::Trip answered = trip_of(*r.outcome);
          EXPECT_EQ(answered.trip_id, r.request.object_key);
          auto now = trips.find(answered.trip_id);
          ASSERT_NE(now, trips.end());
          if (answered.trip_id == "trip-3") continue;
          EXPECT_EQ(now->second.status, answered.status) << r.outcome->body;
        }
        // The declined card never confirms (it may not reach the charge: the seats or rooms
        // may be gone first).
        EXPECT_EQ(trips.at("trip-2").status, "failed");
        EXPECT_NE(trips.at("trip-2").reason, "");
        // The cancel won whatever step it met: the trip is cancelled (or had failed first),
        // and CancelTrip answers so, the same under its key.
        const travel::Trip& cancelled = trips.at("trip-3");
        EXPECT_TRUE(cancelled.status == "cancelled" || cancelled.status == "failed")
            << cancelled.status << " " << cancelled.reason;
        InvocationOutcome answer = call(world, cancel_trip_request("trip-3"));
        ASSERT_TRUE(answer.ok) << answer.body;
        EXPECT_EQ(trip_of(answer).status, cancelled.status) << answer.body;
        // One BookTrip per trip, and every trip was decided on the catalog.
        EXPECT_EQ(count_invocations(world, "TripOrchestrator", "BookTrip"), 4u);
      }};
  TravelSetup setup;
  setup.catalog = small_travel_catalog();
  setup.payment_latency_ms = 5;
  scenario.travel = setup;
  // About 200 commits a seed (the shop's scenario: 90), each swept twice: 4 seeds (1 under
  // sanitizers) keep it near a minute.
  scenario.seed_divisor = 16;
  return scenario;
}

// A hold that expires before its trip is confirmed: the hold lasts 20 ms, the gateway answers
// each of the charge's operations after 50. The expiry timer releases the seats and rooms, the
// confirmation is refused, and the trip fails and gives everything back: the capture refunded,
// nothing held, nothing sold.
Scenario trip_hold_expiry() {
  Scenario scenario{"TripHoldExpiry",
                    [] {
                      std::vector<Request> rs;
                      rs.push_back(book_trip("trip-late", 2, "mock"));
                      return rs;
                    },
                    [](World& world, std::vector<Request>& rs) {
                      const auto trips = check_travel(world, {"trip-late"});
                      ASSERT_TRUE(rs[0].outcome && rs[0].outcome->ok);
                      const travel::Trip answered = trip_of(*rs[0].outcome);
                      EXPECT_EQ(answered.status, "failed") << rs[0].outcome->body;
                      ASSERT_TRUE(trips.count("trip-late"));
                      const travel::Trip& trip = trips.at("trip-late");
                      EXPECT_EQ(trip.status, "failed");
                      EXPECT_EQ(world.shop.payments.mock()->money("trip:trip-late"),
                                (payments::MoneyCount{1, 1, 0, 1}))
                          << "the capture is refunded once";
                      ASSERT_TRUE(trip.flight && trip.hotel) << rs[0].outcome->body;
                      EXPECT_EQ(trip.flight->status, "expired") << rs[0].outcome->body;
                      EXPECT_EQ(trip.hotel->status, "expired") << rs[0].outcome->body;
                      bool refunded = false;
                      for (const auto& c : trip.compensations)
                        if (c.action == "refund_payment" && c.status == "done") refunded = true;
                      EXPECT_TRUE(refunded) << rs[0].outcome->body;
                    }};
  TravelSetup setup;
  setup.catalog = small_travel_catalog();
  setup.options.hold_ttl_ms = 20;
  setup.payment_latency_ms = 50;
  scenario.travel = setup;
  scenario.seed_divisor = 4;
  return scenario;
}

std::optional<std::uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}

// One run of `scenario` under `seed`, crashing after commit `crash_after` (SIZE_MAX: never).
// Returns how many commits the first lifetime made.
// One run of `scenario` under `seed`: one process lifetime per budget (commits allowed before
// power is lost), the last one without a crash. Returns how many commits the first lifetime made.
std::size_t simulate(const Scenario& scenario, std::uint64_t seed,
                     const std::vector<std::size_t>& budgets) {
  World world(seed, scenario.travel);
  auto requests = scenario.requests();
  // What the client was told, first time each: later lifetimes must tell it the same.
  std::map<std::string, std::optional<std::string>> seen, accepted;
  std::set<std::string> committed_effects, effect_owners;
  std::size_t first_commits = 0;
  for (std::size_t life = 0; life < budgets.size(); ++life) {
    ledger.clear();
    world.boot(budgets[life]);
    // The client (re)sends everything: idempotency keys and the workflow id deduplicate.
    const bool finished = play(world, requests);
    if (life == 0) first_commits = world.store.commits();
    for (const auto& r : requests) {
      const std::string key =
          r.request.handler + r.request.idempotency_key + "@" + r.request.object_key;
      auto& before = seen[key];
      if (before && seen_body(r)) {
        EXPECT_EQ(seen_body(r), before) << "the answer changed";
      }
      if (!before) before = seen_body(r);
      // A send acknowledged before a crash is the same invocation after it, not a new one.
      auto& acked = accepted[key];
      if (acked && r.accepted) {
        EXPECT_EQ(r.accepted, acked) << "an acknowledged send was redone";
      }
      if (!acked) acked = r.accepted;
    }
    for (const auto& [key, n] : ledger) {
      EXPECT_FALSE(committed_effects.count(key)) << "committed side effect " << key << " ran again";
      effect_owners.insert(key.substr(0, key.find('/')));
    }
    if (budgets[life] == SIZE_MAX) {
      EXPECT_TRUE(finished) << "the run without a crash did not finish";
      // Answers can come before everything is done (a query answered from a promise the
      // recovering run resolved before the crash): let the rest finish.
      EXPECT_TRUE(world.run_until([&] { return all_finished(world); })) << "work left unfinished";
      // What a saga killed before a crash left behind is the reclaim's (R1): run it as the
      // server's timer would, until it finds nothing more.
      for (int round = 0; round < 3 && world.shop.reclaim.run() > 0; ++round) {
        EXPECT_TRUE(world.run_until([&] {
          return world.shop.reclaim.running() == 0 && all_finished(world);
        })) << "the reclaim did not finish";
      }
      // Reservations expire on the stock's timer (X1), not in an invocation: let it fire, and
      // its rows become durable.
      EXPECT_TRUE(world.run_until([&] { return world.shop.stock.held_reservations().empty(); }))
          << "a reservation never expired";
      bool durable = false;
      world.engine().after_durable([&durable] { durable = true; });
      EXPECT_TRUE(world.run_until([&] { return durable; }));
      EXPECT_TRUE(world.run_until([&] { return world.relay_caught_up(); }))
          << "events left unpublished: " << world.relay_health();
      for (const auto& [key, n] : ledger)
        EXPECT_EQ(n, 1) << "side effect " << key << " ran " << n << " times without a crash";
      break;
    }
    for (const auto& [key, n] : ledger) {
      auto id = key.substr(0, key.find('/'));
      auto name = key.substr(key.find('/') + 1);
      auto journal = world.store.tables().journal.find(id);
      if (journal == world.store.tables().journal.end()) continue;
      const auto& completions = world.store.tables().completions;
      for (const auto& [index, e] : journal->second) {
        if (e.kind == store::EntryKind::kRun && e.name == name) committed_effects.insert(key);
        // An effect on a worker is keyed "invocation/step": committed once its outcome is.
        auto outcome = completions.find(id);
        if (e.kind == store::EntryKind::kEffect && name == std::to_string(index) &&
            outcome != completions.end() && outcome->second.count(index))
          committed_effects.insert(key);
      }
    }
    world.crash();
  }
  if (budgets.size() > 1) {
    // Effects are made only by invocations that survive a crash (engine invariant I5): otherwise
    // a client's retry would repeat them under another id, which no outside system could dedupe.
    for (const auto& owner : effect_owners)
      EXPECT_TRUE(world.store.tables().invocations.count(owner))
          << "invocation " << owner << " made a side effect, then was lost in a crash";
    check_common(world);
    scenario.check(world, requests);
  }
  return first_commits;
}

class SimulationTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(SimulationTest, EveryCrashPointOfEverySeedRecovers) {
  const Scenario& scenario = GetParam();
  spdlog::set_level(spdlog::level::warn);  // thousands of runs: their info lines say nothing
  std::vector<std::uint64_t> seeds;
  if (auto only = env_number("ORDERD_SIM_SEED")) {
    seeds.push_back(*only);
  } else {
#ifdef ORDERD_SANITIZED
    // The sanitizer build runs a quarter of the sweep (it is 20 to 30 times slower); the
    // RelWithDebInfo build runs it all.
    constexpr std::uint64_t kDefaultSeeds = 16;
#else
    constexpr std::uint64_t kDefaultSeeds = 64;
#endif
    const std::uint64_t count =
        env_number("ORDERD_SIM_SEEDS")
            .value_or(std::max<std::uint64_t>(1, kDefaultSeeds / scenario.seed_divisor));
    for (std::uint64_t i = 0; i < count; ++i) seeds.push_back(kBaseSeed + i);
  }
  const auto only_crash = env_number("ORDERD_SIM_CRASH");
  std::size_t runs = 0;
  for (auto seed : seeds) {
    std::size_t total = 0;
    {
      SCOPED_TRACE("reproduce: ORDERD_SIM_SEED=" + std::to_string(seed) + " (no crash)");
      total = simulate(scenario, seed, {SIZE_MAX});
    }
    ASSERT_GT(total, 5u);
    for (std::size_t k = 0; k <= total; ++k) {
      if (only_crash && *only_crash != k) continue;
      // Each crash point twice: recovering cleanly, and crashing again early in the recovery
      // (where recovery's own writes happen) before recovering for good.
      const std::size_t k2 = env_number("ORDERD_SIM_CRASH2").value_or((seed * 31 + k) % 12);
      for (const auto& budgets :
           {std::vector<std::size_t>{k, SIZE_MAX}, std::vector<std::size_t>{k, k2, SIZE_MAX}}) {
        std::string reproduce = "reproduce: ORDERD_SIM_SEED=" + std::to_string(seed) +
                                " ORDERD_SIM_CRASH=" + std::to_string(k) + " (of " +
                                std::to_string(total) + " commits)";
        if (budgets.size() == 3) reproduce += " ORDERD_SIM_CRASH2=" + std::to_string(k2);
        SCOPED_TRACE(reproduce);
        try {
          simulate(scenario, seed, budgets);
        } catch (const std::exception& e) {  // a store error: still name the run that caused it
          ADD_FAILURE() << reproduce << ": " << e.what();
        }
        ++runs;
        if (HasFatalFailure()) return;
      }
    }
  }
  std::cout << scenario.name << ": " << runs << " crash points over " << seeds.size() << " seeds\n";
}

INSTANTIATE_TEST_SUITE_P(Scenarios, SimulationTest,
                         ::testing::Values(order_service(), fulfilment(), order_review(), stock(),
                                           holds(), shop(), trips(), trip_hold_expiry()),
                         [](const auto& info) { return std::string(info.param.name); });

// The expiry without a crash, under a few seeds: the hold always expires before the charge
// ends, so the trip fails and gives everything back (the sweep above checks the same after
// every crash point).
TEST(TripHoldExpiryTest, AHoldThatExpiresBeforeConfirmationFailsTheTripAndGivesEverythingBack) {
  spdlog::set_level(spdlog::level::warn);
  const Scenario scenario = trip_hold_expiry();
  for (std::uint64_t seed = kBaseSeed; seed < kBaseSeed + 8; ++seed) {
    SCOPED_TRACE("ORDERD_SIM_SEED=" + std::to_string(seed));
    World world(seed, scenario.travel);
    auto requests = scenario.requests();
    world.boot(SIZE_MAX);
    ASSERT_TRUE(play(world, requests));
    ASSERT_TRUE(world.run_until([&] { return all_finished(world); }));
    scenario.check(world, requests);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace orderd
