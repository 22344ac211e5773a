// The outbox's readers over the real engine and SQLite store: the EventFeed (F1), the relay
// (R1-R3) against a broker that goes down, refuses part of a batch and outlives crashes, and
// retention. The JetStream publisher itself is tested against a real nats-server elsewhere.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include "commerce/events/event_feed.hpp"
#include "commerce/events/event_relay.hpp"
#include "commerce/events/event_retention.hpp"
#include "commerce/events/outbox.hpp"
#include "commerce/requests.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "support/engine_harness.hpp"

namespace orderd::commerce {
namespace {

using testing::EngineHarness;

// A broker keeping P1 as JetStreamPublisher does: what it holds is an ordered prefix of what it
// was offered, and an event it holds already counts as acked without being stored again.
class FakeBroker final : public EventPublisher {
 public:
  std::vector<store::Row> held;
  bool down = false;
  std::size_t takes_per_batch = SIZE_MAX;  // then refuses the rest of the batch
  std::size_t offered_again = 0;           // events offered that it held already
  std::size_t batches = 0;
  std::string address = "fake://broker";

  void publish(std::vector<store::Row> events, std::uint64_t,
               UniqueFunction<void(PublishOutcome)> done) override {
    ++batches;
    PublishOutcome outcome;
    std::size_t taken = 0;
    for (auto& event : events) {
      if (!held.empty() && event.key <= held.back().key) {
        ++offered_again;
        ++outcome.acked;
        continue;
      }
      if (down || taken == takes_per_batch) {
        outcome.error = down ? "broker down" : "refused";
        break;
      }
      held.push_back(std::move(event));
      ++taken;
      ++outcome.acked;
    }
    done(std::move(outcome));
  }
  std::string url() const override { return address; }
  std::string stream() const override { return "ORDERS"; }
};

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 1000}}});
  return spec;
}

class EventRelayTest : public ::testing::Test {
 protected:
  EventRelayTest() : shop(fast_payments()) {
    shop.register_services(harness.registry);
    EventRelay::register_tables(harness.registry);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      this->scheduler = &scheduler;
      if (shop.catalog.empty()) {
        seeding = true;
        engine.write_rows(seed_rows(shop, catalog(), scheduler.now_ms()),
                          [this] { seeding = false; });
      }
      feed = std::make_unique<EventFeed>(engine, scheduler, shop.outbox);
      if (with_relay) {
        relay = std::make_unique<EventRelay>(engine, scheduler, *feed, broker, relay_options);
        relay->start();
      }
    };
  }
  static ShopOptions fast_payments() {
    ShopOptions options;
    options.payment_timeout_ms = 50;
    return options;
  }
  void start() {
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return !seeding; }));
  }
  void crash() {
    relay.reset();
    feed.reset();
    harness.crash();
  }
  void TearDown() override { crash(); }

  std::string place(std::int64_t quantity = 1, const std::string& method = "mock") {
    PlaceOrder request;
    request.user_id = 7;
    request.items = {{1, quantity}};
    request.payment_method = method;
    return harness.start_invocation("Orders", "place",
                                    json::dump(boost::json::value_from(request)));
  }
  boost::json::object health() const {
    return boost::json::parse(relay->health_json()).as_object();
  }
  bool caught_up() const {
    return feed->durable_through() == feed->emitted_through() &&
           relay->published_through() == feed->durable_through() &&
           health().at("state").as_string() == "caught_up";
  }
  std::vector<store::Row> stored_events() {
    std::vector<store::Row> rows;
    const auto count = harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events'");
    for (std::int64_t i = 0; i < count; ++i) {
      const std::string offset = " ORDER BY key LIMIT 1 OFFSET " + std::to_string(i);
      rows.push_back(
          {harness.query_text("SELECT CAST(key AS TEXT) FROM rows WHERE tbl = 'events'" + offset),
           harness.query_text("SELECT CAST(value AS TEXT) FROM rows WHERE tbl = 'events'" +
                              offset)});
    }
    return rows;
  }
  // The broker holds exactly the store's events, each once, in id order (R1, R2).
  void expect_broker_matches_store() {
    auto stored = stored_events();
    ASSERT_EQ(broker.held.size(), stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
      EXPECT_EQ(broker.held[i].key, stored[i].key) << "event " << i;
      EXPECT_EQ(broker.held[i].value, stored[i].value) << stored[i].key;
    }
  }

  EngineHarness harness;
  Shop shop;
  FakeBroker broker;
  bool with_relay = true;
  RelayOptions relay_options{64, 1, 20};
  std::unique_ptr<EventFeed> feed;
  std::unique_ptr<EventRelay> relay;
  Scheduler* scheduler = nullptr;
  bool seeding = false;
};

TEST_F(EventRelayTest, TheFeedWakesAReaderOnlyOnceEventsPastItAreDurable) {
  with_relay = false;
  start();
  const std::uint64_t before = feed->durable_through();
  bool woken = false;
  feed->wait(before, [&] { woken = true; });
  std::string id = place();
  // The order's first event is emitted in memory before its batch commits.
  ASSERT_TRUE(harness.run_until([&] { return feed->emitted_through() > before; }));
  ASSERT_TRUE(harness.run_until([&] { return woken; }));
  EXPECT_GT(feed->durable_through(), before);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events' AND "
                              "CAST(key AS TEXT) = '" +
                              Outbox::event_id(feed->durable_through()) + "'"),
            1);
  // A wait already satisfied wakes from the loop, never inside wait() itself.
  bool again = false;
  feed->wait(before, [&] { again = true; });
  EXPECT_FALSE(again);
  ASSERT_TRUE(harness.run_until([&] { return again; }));
  // A cancelled waiter is never woken.
  bool cancelled_woken = false;
  auto waiter = feed->wait(feed->emitted_through(), [&] { cancelled_woken = true; });
  feed->cancel(waiter);
  harness.await_outcome(id);
  std::string second = place();
  harness.await_outcome(second);
  ASSERT_TRUE(
      harness.run_until([&] { return feed->durable_through() == feed->emitted_through(); }));
  EXPECT_FALSE(cancelled_woken);
}

TEST_F(EventRelayTest, EveryEventReachesTheBrokerOnceInOrder) {
  start();
  std::vector<std::string> orders;
  for (int i = 0; i < 20; ++i) orders.push_back(place(1, i % 4 == 0 ? "mock_declined" : "mock"));
  for (const auto& id : orders) harness.await_outcome(id);
  ASSERT_TRUE(harness.run_until([&] { return caught_up(); }));
  expect_broker_matches_store();
  EXPECT_EQ(broker.offered_again, 0u);
  EXPECT_EQ(health().at("waiting").as_int64(), 0);
  // Batched: far fewer publishes than events.
  EXPECT_LT(broker.batches * 4, broker.held.size());
  // The progress row says where the broker is, once its own commit is durable (it is written
  // after the ack, so it can trail the relay's memory by a batch).
  EXPECT_TRUE(harness.run_until([&] {
    return harness.query_text("SELECT CAST(value AS TEXT) FROM rows WHERE tbl = 'event_relay'")
               .find(broker.held.back().key) != std::string::npos;
  }));
}

TEST_F(EventRelayTest, WhileTheBrokerIsDownOrdersGoOnAndEventsWaitThenCatchUp) {
  broker.down = true;
  start();
  std::vector<std::string> orders;
  for (int i = 0; i < 10; ++i) orders.push_back(place());
  for (const auto& id : orders) {
    InvocationOutcome outcome = harness.await_outcome(id);
    EXPECT_TRUE(outcome.ok) << outcome.body;
  }
  ASSERT_TRUE(harness.run_until([&] {
    auto h = health();
    return h.at("state").as_string() == "failing" && h.at("waiting").as_int64() > 0 &&
           h.at("last_error").as_string() == "broker down";
  }));
  EXPECT_TRUE(broker.held.empty());
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'event_relay'"), 0);
  broker.down = false;
  ASSERT_TRUE(harness.run_until([&] { return caught_up(); }));
  expect_broker_matches_store();
}

// GET /health printed --nats-url as given, credentials included (issue 14).
TEST_F(EventRelayTest, HealthShowsTheBrokerUrlWithoutCredentials) {
  broker.address = "nats://orderd:s3cret@broker-1:4222,nats://t0ken@broker-2:4222";
  start();
  EXPECT_EQ(health().at("url").as_string(), "nats://broker-1:4222,nats://broker-2:4222");
  EXPECT_EQ(relay->health_json().find("s3cret"), std::string::npos);
  EXPECT_EQ(relay->health_json().find("t0ken"), std::string::npos);
}

TEST_F(EventRelayTest, APartlyRefusedBatchResumesRightAfterItsLastAck) {
  broker.takes_per_batch = 3;
  start();
  std::vector<std::string> orders;
  for (int i = 0; i < 8; ++i) orders.push_back(place());
  for (const auto& id : orders) harness.await_outcome(id);
  ASSERT_TRUE(harness.run_until([&] { return caught_up(); }, std::chrono::seconds(30)));
  expect_broker_matches_store();
  EXPECT_EQ(broker.offered_again, 0u);  // resumed after the last ack, not before it
}

TEST_F(EventRelayTest, ACrashAtAnyCommitNeitherLosesNorRepeatsNorPublishesAnUndurableEvent) {
  start();
  ASSERT_TRUE(harness.run_until([&] { return caught_up(); }));
  for (std::size_t k = 1; k <= 12; ++k) {
    SCOPED_TRACE("crash after batch " + std::to_string(k));
    crash();
    harness.start_crashing_after(k);
    std::vector<std::string> orders{place(), place(1, "mock_declined")};
    std::size_t finished = 0;
    for (const auto& id : orders)
      harness.engine().attach(id, [&](InvocationOutcome) { ++finished; });
    harness.run_until([&] { return harness.store_crashed() || (finished == 2 && caught_up()); });
    crash();
    start();
    // The broker never holds an event the store lost: after the restart the ids are handed
    // out again, so a published undurable event would now name a different one.
    for (const auto& id : orders)
      if (harness.query_int("SELECT count(*) FROM invocations WHERE id = '" + id + "'") > 0)
        harness.await_outcome(id);
    ASSERT_TRUE(harness.run_until([&] { return caught_up(); }));
    expect_broker_matches_store();
  }
}

TEST_F(EventRelayTest, RetentionPurgesOnlyPublishedEventsAndKeepsTheNewest) {
  broker.down = true;
  start();
  EventRetention retention(harness.engine(), *scheduler, {1, 1000},
                           [this] { return relay->published_through(); });
  for (const auto& id : {place(), place()}) harness.await_outcome(id);
  const auto total = harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events'");
  ASSERT_GT(total, 4);
  // Nothing published: nothing goes, however old.
  retention.sweep();
  ASSERT_TRUE(harness.run_until([&] { return retention.passes() == 1; }));
  EXPECT_EQ(retention.purged(), 0u);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events'"), total);
  broker.down = false;
  ASSERT_TRUE(harness.run_until([&] { return caught_up(); }));
  ASSERT_TRUE(harness.run_until([&] {
    retention.sweep();  // until every event is older than the 1 ms retention
    return retention.purged() == std::uint64_t(total - 1);
  }));
  // The newest stays: the ids resume after it at the next start (E1).
  ASSERT_TRUE(harness.run_until(
      [&] { return harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'events'") == 1; }));
  const std::string newest = Outbox::event_id(feed->durable_through());
  EXPECT_EQ(harness.query_text("SELECT CAST(key AS TEXT) FROM rows WHERE tbl = 'events'"), newest);
  crash();
  start();
  std::string next = place();
  harness.await_outcome(next);
  ASSERT_TRUE(harness.run_until([&] { return caught_up(); }));
  EXPECT_GT(broker.held.back().key, newest);
  EXPECT_EQ(broker.offered_again, 0u);
}

}  // namespace
}  // namespace orderd::commerce
