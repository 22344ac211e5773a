// JetStreamPublisher against a real nats-server (JetStream): P1 as the broker really behaves, with
// the expected-last-sequence chain, the read of the stream's tail, other publishers' messages,
// a stream filled by another store, and a broker that is not there yet.
#include <gtest/gtest.h>

#include <future>

#include "commerce/events/jetstream_publisher.hpp"
#include "commerce/events/outbox.hpp"
#include "support/jetstream_client.hpp"
#include "support/nats_server.hpp"
#include "support/temp_dir.hpp"

namespace orderd::commerce {
namespace {

using testing::JetStreamClient;
using testing::NatsServer;

// Events as the outbox writes them: ids 1..n, alternately an order's and a product's.
std::vector<store::Row> events(std::uint64_t count, const std::string& flavour = "a") {
  Outbox outbox;
  WriteSet writes;
  for (std::uint64_t i = 1; i <= count; ++i) {
    const bool order = i % 2 == 1;
    outbox.emit(writes, order ? "order.created" : "stock.reserved", order ? "ord_1" : "1",
                static_cast<std::int64_t>(i), 1'900'000'000'000 + static_cast<std::int64_t>(i),
                "{\"flavour\":\"" + flavour + "\"}");
  }
  std::vector<store::Row> rows;
  for (auto& write : writes.take()) rows.push_back({write.key, *write.value});
  return rows;
}

std::vector<store::Row> slice(const std::vector<store::Row>& rows, std::size_t from,
                              std::size_t to) {
  return {rows.begin() + static_cast<std::ptrdiff_t>(from),
          rows.begin() + static_cast<std::ptrdiff_t>(to)};
}

class JetStreamPublisherTest : public ::testing::Test {
 protected:
  JetStreamPublisherTest() : server(dir.path() / "nats") {}
  void SetUp() override { server.start(); }

  JetStreamOptions options() const {
    JetStreamOptions o;
    o.url = server.url();
    o.stream = "ORDERS";
    o.ack_timeout_ms = 2000;
    return o;
  }
  static PublishOutcome publish(JetStreamPublisher& publisher, std::vector<store::Row> rows,
                                std::uint64_t newest) {
    std::promise<PublishOutcome> answered;
    auto outcome = answered.get_future();
    publisher.publish(std::move(rows), newest,
                      [&answered](PublishOutcome o) { answered.set_value(std::move(o)); });
    return outcome.get();
  }
  // Publishes until the whole batch is acked, as the relay retries it (a few tries at most).
  static void publish_all(JetStreamPublisher& publisher, const std::vector<store::Row>& rows,
                          std::uint64_t newest) {
    std::size_t done = 0;
    for (int attempt = 0; attempt < 5 && done < rows.size(); ++attempt)
      done += publish(publisher, slice(rows, done, rows.size()), newest).acked;
    ASSERT_EQ(done, rows.size());
  }
  std::vector<testing::StreamMessage> stream() {
    JetStreamClient client(server.url());
    return client.read_all("ORDERS");
  }

  orderd::testing::TempDir dir;
  NatsServer server;
};

TEST_F(JetStreamPublisherTest, PublishesABatchInOrderWithEventIdsAndSubjects) {
  auto rows = events(6);
  JetStreamPublisher publisher(options());
  PublishOutcome outcome = publish(publisher, rows, 6);
  EXPECT_EQ(outcome.acked, 6u) << outcome.error;
  EXPECT_EQ(outcome.stream_tail, std::optional<std::uint64_t>(0));  // a new stream
  auto messages = stream();
  ASSERT_EQ(messages.size(), 6u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(messages[i].msg_id, rows[i].key);
    EXPECT_EQ(messages[i].data, rows[i].value);
    EXPECT_EQ(messages[i].subject, i % 2 == 0 ? "orders.created" : "stock.reserved");
  }
  JetStreamClient client(server.url());
  auto state = client.stream("ORDERS");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->subjects, (std::vector<std::string>{"orders.>", "stock.>"}));
}

TEST_F(JetStreamPublisherTest, ARestartedPublisherSendsNothingTheStreamHolds) {
  auto rows = events(8);
  {
    JetStreamPublisher first(options());
    ASSERT_EQ(publish(first, slice(rows, 0, 5), 5).acked, 5u);
  }
  // A restart whose progress row was lost: the relay offers 1..8 again.
  JetStreamPublisher second(options());
  PublishOutcome outcome = publish(second, rows, 8);
  EXPECT_EQ(outcome.acked, 8u) << outcome.error;
  EXPECT_EQ(outcome.stream_tail, std::optional<std::uint64_t>(5));
  auto messages = stream();
  ASSERT_EQ(messages.size(), 8u);  // 1..5 were not sent again (no duplicate, whatever the window)
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(messages[i].msg_id, rows[i].key);
}

TEST_F(JetStreamPublisherTest, AnotherPublishersMessageNeverPassesForHeldEvents) {
  auto rows = events(8);
  {
    JetStreamPublisher first(options());
    ASSERT_EQ(publish(first, slice(rows, 0, 5), 5).acked, 5u);
  }
  // A message at the tail with an id that sorts after every event id.
  JetStreamClient client(server.url());
  client.publish("orders.audit", "{}", "x-1");
  JetStreamPublisher second(options());
  publish_all(second, rows, 8);
  auto messages = stream();
  ASSERT_EQ(messages.size(), 9u);  // 1..5, the other message, 6..8: each event once, in order
  std::vector<std::string> ids;
  for (const auto& m : messages) ids.push_back(m.msg_id);
  EXPECT_EQ(ids,
            (std::vector<std::string>{rows[0].key, rows[1].key, rows[2].key, rows[3].key,
                                      rows[4].key, "x-1", rows[5].key, rows[6].key, rows[7].key}));
}

TEST_F(JetStreamPublisherTest, AStreamFilledByAnotherStoreIsRefusedLoudly) {
  {
    JetStreamPublisher first(options());
    ASSERT_EQ(publish(first, events(5), 5).acked, 5u);
  }
  // A store that has emitted less than the stream holds (its data directory was replaced).
  {
    JetStreamPublisher fresh(options());
    PublishOutcome outcome = publish(fresh, events(3, "b"), 3);
    EXPECT_EQ(outcome.acked, 0u);
    EXPECT_NE(outcome.error.find("past the newest this store has emitted"), std::string::npos)
        << outcome.error;
    // Sticky: nothing is published to that stream by this publisher any more.
    EXPECT_EQ(publish(fresh, events(3, "b"), 3).acked, 0u);
  }
  // One that has emitted as many, but other events under the same ids.
  {
    JetStreamPublisher other(options());
    PublishOutcome outcome = publish(other, events(7, "b"), 7);
    EXPECT_EQ(outcome.acked, 0u);
    EXPECT_NE(outcome.error.find("differs from this store's"), std::string::npos) << outcome.error;
  }
  EXPECT_EQ(stream().size(), 5u);
}

TEST_F(JetStreamPublisherTest, ABrokerNotThereYetFailsTheBatchThenTakesIt) {
  server.stop();
  auto rows = events(4);
  JetStreamPublisher publisher(options());
  PublishOutcome down = publish(publisher, rows, 4);
  EXPECT_EQ(down.acked, 0u);
  EXPECT_FALSE(down.error.empty());
  server.start();
  publish_all(publisher, rows, 4);
  EXPECT_EQ(stream().size(), 4u);
}

// The relay shows the publisher's error on GET /health: it names the server, not its password.
TEST_F(JetStreamPublisherTest, AFailedConnectNamesTheServerWithoutCredentials) {
  server.stop();
  JetStreamOptions o = options();
  o.url = "nats://orderd:s3cret@" + o.url.substr(std::string("nats://").size());
  JetStreamPublisher publisher(o);
  PublishOutcome down = publish(publisher, events(1), 1);
  EXPECT_EQ(down.acked, 0u);
  EXPECT_NE(down.error.find("connect to " + server.url()), std::string::npos) << down.error;
  EXPECT_EQ(down.error.find("s3cret"), std::string::npos) << down.error;
}

TEST_F(JetStreamPublisherTest, AStreamWithoutOrderdsSubjectsIsAnError) {
  JetStreamClient client(server.url());
  client.add_stream("ORDERS", {"other.>"});
  JetStreamPublisher publisher(options());
  PublishOutcome outcome = publish(publisher, events(2), 2);
  EXPECT_EQ(outcome.acked, 0u);
  EXPECT_NE(outcome.error.find("does not take the subjects"), std::string::npos) << outcome.error;
}

}  // namespace
}  // namespace orderd::commerce
