// The outbox relay to NATS JetStream (issue 9), end to end: the real orderd binary and a real
// nats-server -js of the test's own, on a free port and a temporary store directory.
//
// EveryEventOnceThroughBrokerOutageAndKillNine: client threads place a few hundred orders over a
// small catalog with a hot product (some declined, some cancelled, a restock). Under that load
// the broker is stopped for 3 s and started again on the same port and store (orders placed
// while it is down must still succeed), and orderd is killed -9 twice and restarted on the same
// data dir: once while the broker is down, once after it is back, when /health shows the relay
// has published part of its backlog (small batches: --nats-batch 16); the times and that part
// vary with ORDERD_JETSTREAM_SEED. Then, once /health says the relay has caught up (awaited
// with a deadline), the whole stream is read through a JetStream consumer and checked:
//  - every message: its Nats-Msg-Id is its event's id, its NATS subject follows from its type
//    (order.* -> orders.*, stock.* -> stock.*), its data is the event exactly as the pull API
//    serves it; no msg id and no event id twice;
//  - the stream, in its order: ids ascend, every CloudEvents subject's versions are 1..n; the
//    stream holds exactly the pull API's events, in the same order;
//  - against the store: every order has events, each order's last event is the order as
//    GET /api/v1/orders/{id} shows it, each product's last stock event is its stock now, and
//    every order the clients placed is there.
// The same feed checks run on the pull API, paged with after/next_after. Finally the checks are
// shown to fail: on copies of the stream with a message published twice (under a new msg id),
// one left out, two swapped.
//
// CatchesUpWhenTheBrokerComesLate: orderd pointed at a port where no broker runs takes orders,
// /health says the relay is failing with events waiting; once nats-server starts on that port
// the relay catches up and the stream holds every event once.
//
// ChecksPassOnTheOutboxPublishedByHand: the checks on orderd without a relay, its pull API
// published into a stream by the test as the relay would: they pass, and fail on doctored copies.
//
// JetStreamHarness: the test's own tools (NatsServer, JetStreamClient) on a stream it fills by
// hand, across a broker restart and a kill; nats-server found off the PATH, or missed loudly.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <unistd.h>

#include "client/http_client.hpp"
#include "support/findings.hpp"
#include "support/jetstream_client.hpp"
#include "support/json_fields.hpp"
#include "support/nats_server.hpp"
#include "support/orderd_process.hpp"
#include "support/shop_catalog.hpp"
#include "support/shop_http.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using namespace std::chrono_literals;
using client::HttpResult;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

constexpr const char* kStream = "ORDERS";

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// ---- The events -----------------------------------------------------------------------------

struct Event {
  std::string id, type, subject;
  std::int64_t version = 0;
  json::object event;  // the whole CloudEvents object
  std::string text;    // as served: the stream message's data, or the pull API's re-serialized
};

std::optional<Event> event_of(const json::object& o, std::string text) {
  Event e;
  e.id = string_at(o, "id");
  e.type = string_at(o, "type");
  e.subject = string_at(o, "subject");
  e.version = int_at(o, "version", -1);
  e.event = o;
  e.text = std::move(text);
  if (e.id.empty() || e.type.empty() || e.subject.empty() || e.version < 0) return std::nullopt;
  return e;
}

// The NATS subject the relay publishes an event of `type` to: order.X -> orders.X, stock.X stays.
std::string nats_subject_of(const std::string& type) {
  if (type.rfind("order.", 0) == 0) return "orders." + type.substr(6);
  return type;
}

// Checks one feed in its own order: well-formed CloudEvents, no id twice, ids ascending, and
// every subject's versions exactly 1..n. Returns the events by subject, in feed order.
std::map<std::string, std::vector<const Event*>> check_feed(const std::vector<Event>& events,
                                                            Findings& f) {
  std::map<std::string, std::vector<const Event*>> by_subject;
  std::set<std::string> ids;
  const Event* previous = nullptr;
  for (const auto& e : events) {
    const std::string shown = e.text.substr(0, 400);
    if (!ids.insert(e.id).second) f.add("event id twice", shown);
    if (previous && !(previous->id < e.id))
      f.add("ids do not ascend", previous->id + " then " + e.id);
    previous = &e;
    if (e.id.size() != 24 || e.id.rfind("evt_", 0) != 0 ||
        e.id.find_first_not_of("0123456789", 4) != std::string::npos)
      f.add("malformed event id", shown);
    if (string_at(e.event, "specversion") != "1.0" || string_at(e.event, "source").empty() ||
        string_at(e.event, "time").empty() ||
        string_at(e.event, "datacontenttype") != "application/json" || !e.event.contains("data") ||
        !e.event.at("data").is_object())
      f.add("not a CloudEvents event", shown);
    if (e.type.rfind("order.", 0) != 0 && e.type.rfind("stock.", 0) != 0)
      f.add("unknown event type", shown);
    auto& list = by_subject[e.subject];
    const auto expected = static_cast<std::int64_t>(list.size() + 1);
    if (e.version != expected)
      f.add(e.version < expected ? "version repeated or going back" : "version gap",
            e.subject + ": version " + std::to_string(e.version) + " where " +
                std::to_string(expected) + " was due: " + shown);
    list.push_back(&e);
  }
  return by_subject;
}

// The stream's messages against the pull API's events: the same events in the same order, each
// message its event's exact text, its msg id the event id, its NATS subject from its type.
std::vector<Event> check_stream(const std::vector<StreamMessage>& messages,
                                const std::vector<Event>& api, Findings& f) {
  std::vector<Event> events;
  std::set<std::string> msg_ids;
  std::uint64_t last_sequence = 0;
  for (const auto& m : messages) {
    const std::string shown = m.subject + " #" + std::to_string(m.sequence) + " msg id '" +
                              m.msg_id + "': " + m.data.substr(0, 300);
    if (m.sequence <= last_sequence) f.add("stream sequence does not ascend", shown);
    last_sequence = m.sequence;
    if (m.msg_id.empty()) f.add("message without Nats-Msg-Id", shown);
    if (!m.msg_id.empty() && !msg_ids.insert(m.msg_id).second) f.add("msg id twice", shown);
    auto o = object_of(m.data);
    std::optional<Event> e = o ? event_of(*o, m.data) : std::nullopt;
    if (!e) {
      f.add("message is not an event", shown);
      continue;
    }
    if (m.msg_id != e->id) f.add("msg id is not the event id", shown);
    if (m.subject != nats_subject_of(e->type))
      f.add("wrong NATS subject for its type",
            shown + " (expected " + nats_subject_of(e->type) + ")");
    events.push_back(std::move(*e));
  }
  if (events.size() != api.size())
    f.add("stream and pull API differ in size", std::to_string(events.size()) +
                                                    " events in the stream, " +
                                                    std::to_string(api.size()) + " in the API");
  std::map<std::string, const Event*> api_by_id;
  for (const auto& e : api) api_by_id[e.id] = &e;
  std::set<std::string> stream_ids;
  for (const auto& e : events) {
    stream_ids.insert(e.id);
    auto it = api_by_id.find(e.id);
    if (it == api_by_id.end()) {
      f.add("event in the stream, not in the pull API", e.text.substr(0, 300));
      continue;
    }
    if (e.text != it->second->text)
      f.add("message data is not the event as the pull API serves it",
            "stream: " + e.text.substr(0, 300) + "\n  API:    " + it->second->text.substr(0, 300));
  }
  for (const auto& e : api)
    if (!stream_ids.count(e.id))
      f.add("event in the pull API, missing from the stream", e.text.substr(0, 300));
  for (std::size_t i = 0; i < std::min(events.size(), api.size()); ++i) {
    if (events[i].id != api[i].id) {
      f.add("stream order differs from the pull API's",
            "at " + std::to_string(i) + ": stream " + events[i].id + ", API " + api[i].id);
      break;
    }
  }
  return events;
}

// A feed against the store: every order has events and its last one is the order as it is now;
// every product's last stock event is its stock now; no event names an unknown subject.
void check_against_store(const std::map<std::string, std::vector<const Event*>>& by_subject,
                         const std::map<std::string, json::object>& orders,
                         const std::map<std::int64_t, json::object>& products, Findings& f) {
  for (const auto& [id, order] : orders) {
    auto it = by_subject.find(id);
    if (it == by_subject.end()) {
      f.add("order without events", json::serialize(order));
      continue;
    }
    const Event& last = *it->second.back();
    const json::object& data = object_at(last.event, "data");
    if (string_at(data, "status") != string_at(order, "status") ||
        data.if_contains("version") == nullptr || !order.contains("version") ||
        data.at("version") != order.at("version"))
      f.add("an order's last event is not its final state",
            id + ": last event " + last.text.substr(0, 500) + "\n  order " +
                json::serialize(order).substr(0, 500));
    else if (data != order)
      f.add("an order's last event differs from GET /api/v1/orders/{id}",
            "last event data " + json::serialize(data) + "\n  order " + json::serialize(order));
    for (const Event* e : it->second)
      if (e->type.rfind("order.", 0) != 0)
        f.add("a non-order event about an order", e->text.substr(0, 300));
  }
  for (const auto& [product, view] : products) {
    auto it = by_subject.find(std::to_string(product));
    if (it == by_subject.end()) {
      f.add("product without stock events", json::serialize(view));
      continue;
    }
    const Event& last = *it->second.back();
    const json::object& data = object_at(last.event, "data");
    if (int_at(data, "product_id") != product)
      f.add("stock event names another product", last.text.substr(0, 300));
    if (!data.contains("stock") || !view.contains("stock") || data.at("stock") != view.at("stock"))
      f.add("a product's last stock event is not its stock",
            "product " + std::to_string(product) + ": last event " + last.text + "\n  product " +
                json::serialize(view));
  }
  for (const auto& [subject, list] : by_subject) {
    const bool order = subject.rfind("ord_", 0) == 0;
    if (order && !orders.count(subject))
      f.add("events of an order the store does not list", list.front()->text.substr(0, 300));
    if (!order && !products.count(std::atoll(subject.c_str())))
      f.add("events of an unknown subject", list.front()->text.substr(0, 300));
  }
}

// ---- Reading orderd (through support/shop_http's Conn) -------------------------------------

// Every event of the pull API, oldest first, paged with after/next_after.
std::vector<Event> read_api_events(Conn& conn, Findings& f) {
  std::vector<Event> events;
  std::string after;
  for (int pages = 0;; ++pages) {
    const std::string path = "/api/v1/events?limit=1000" + (after.empty() ? "" : "&after=" + after);
    auto page = conn.get_object(path);
    if (!page) return events;
    const auto* data = page->if_contains("data");
    if (!data || !data->is_array()) {
      f.add("events page without data", json::serialize(*page));
      return events;
    }
    for (const auto& v : data->as_array()) {
      std::optional<Event> e =
          v.is_object() ? event_of(v.as_object(), json::serialize(v)) : std::nullopt;
      if (!e) {
        f.add("pull API served a malformed event", json::serialize(v));
        continue;
      }
      events.push_back(std::move(*e));
    }
    const std::string next = string_at(*page, "next_after");
    if (!events.empty() && next != events.back().id)
      f.add("next_after is not the page's last event", path + ": " + next);
    if (!page->at("has_more").as_bool()) break;
    if (next.empty() || next == after) {
      f.add("has_more without a next_after that moves on", path);
      break;
    }
    after = next;
  }
  return events;
}

// Every order of the store (newest first), paged.
std::map<std::string, json::object> read_orders(Conn& conn) {
  std::map<std::string, json::object> orders;
  std::string after;
  for (;;) {
    std::string path = "/api/v1/orders?limit=100";
    if (!after.empty()) path += "&starting_after=" + after;
    auto page = conn.get_object(path);
    if (!page) return orders;
    const auto& data = page->at("data").as_array();
    for (const auto& o : data) orders[string_at(o.as_object(), "id")] = o.as_object();
    if (!page->at("has_more").as_bool() || data.empty()) return orders;
    after = string_at(data.back().as_object(), "id");
  }
}

// ---- /health ----------------------------------------------------------------------------------

// The relay's part of GET /health ("events" -> "relay"), empty when it has none.
struct Health {
  json::object all;
  json::object events;
  json::object relay;
  std::string state;
  std::int64_t waiting = -1;
  std::string text;
};

std::optional<Health> health(Conn& conn) {
  auto r = conn.exchange("GET", "/health");
  if (!r || r->status != 200) return std::nullopt;
  auto o = object_of(r->body);
  if (!o) return std::nullopt;
  Health h;
  h.all = *o;
  h.events = object_at(*o, "events");
  h.relay = object_at(h.events, "relay");
  h.state = string_at(h.relay, "state");
  h.waiting = int_at(h.relay, "waiting", -1);
  h.text = r->body;
  return h;
}

// Polls /health until `done` holds (every 20 ms), or fails the test at the deadline with the
// last answer. Returns the last answer.
std::optional<Health> await_health(Conn& conn, const std::string& what,
                                   std::chrono::milliseconds within,
                                   const std::function<bool(const Health&)>& done) {
  const auto started = Clock::now();
  std::optional<Health> last;
  while (Clock::now() - started < within) {
    last = health(conn);
    if (last && done(*last)) {
      std::cout << what << ": after " << ms_since(started) << " ms: " << last->text << "\n";
      return last;
    }
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << what << ": not within " << within.count()
                << " ms; last /health: " << (last ? last->text : "(no answer)");
  return std::nullopt;
}

// Caught up: nothing waits, every event emitted is durable, the last of them published.
bool caught_up(const Health& h) {
  return h.state == "caught_up" && h.waiting == 0 && h.relay.contains("published_through") &&
         h.events.contains("durable_through") && h.events.contains("emitted_through") &&
         h.relay.at("published_through") == h.events.at("durable_through") &&
         h.events.at("emitted_through") == h.events.at("durable_through");
}

// ---- Placing orders -------------------------------------------------------------------------

struct Placed {
  std::string key, body, id;
  unsigned status = 0;  // the final answer
  std::string code;     // its problem code, if any
  Clock::time_point sent, answered;
  bool cancelled = false;  // a cancel answered 200 cancelled
};

// A keyed request, sent again with its key until its answer is final: across lost connections,
// 503, 202 and 409 idempotency_key_in_use. Nothing at the deadline.
std::optional<HttpResult> until_final(Conn& conn, const std::string& method,
                                      const std::string& path, const std::string& body,
                                      const std::string& key) {
  for (;;) {
    auto r = conn.exchange(method, path, body, {{"idempotency-key", key}});
    if (!r) return r;
    auto o = object_of(r->body);
    if (r->status == 503 || r->status == 202 ||
        (r->status == 409 && o && string_at(*o, "code") == "idempotency_key_in_use")) {
      std::this_thread::sleep_for(30ms);
      continue;
    }
    return r;
  }
}

// An order POSTed until final. Returns the order id in the answer ("" when none came).
Placed place(Conn& conn, const std::string& key, const std::string& body) {
  Placed p;
  p.key = key;
  p.body = body;
  p.sent = Clock::now();
  auto r = until_final(conn, "POST", "/api/v1/orders", body, key);
  if (!r) return p;
  auto o = object_of(r->body);
  p.status = r->status;
  p.code = o ? string_at(*o, "code") : "";
  p.answered = Clock::now();
  if (o) p.id = r->status == 201 ? string_at(*o, "id") : string_at(*o, "order_id");
  if (p.id.empty()) {
    const std::string location = r->header("location");
    if (location.rfind("/api/v1/orders/", 0) == 0) p.id = location.substr(15);
  }
  return p;
}

// A cancel, until final: true when it answered the order cancelled.
bool cancel(Conn& conn, const std::string& id, const std::string& key) {
  auto r =
      until_final(conn, "POST", "/api/v1/orders/" + id + "/cancel", R"({"reason":"test"})", key);
  if (!r) return false;
  auto o = object_of(r->body);
  return r->status == 200 && o && string_at(*o, "status") == "cancelled";
}

// ---- The fixture ------------------------------------------------------------------------------

// Product 1 is hot: far fewer units than the buyers want.
const std::vector<ProductSpec> kProducts = {
    {1, 1500, 40, 30, 0.3}, {2, 2500, 60, 40, 0.4}, {3, 500, 600, 400, 0.5}};

class EventsJetStreamTest : public ::testing::Test {
 protected:
  TempDir dir;
  Endpoint endpoint;
  std::vector<std::string> args;

  void SetUp() override {
    std::filesystem::create_directories(dir.path() / "data");
    std::ofstream(dir.path() / "catalog.json") << catalog_json(kProducts);
  }

  // A failed run keeps its store and the broker's store and log for a look.
  void TearDown() override {
    if (!HasFailure()) return;
    const auto kept = std::filesystem::temp_directory_path() /
                      ("orderd-jetstream-" + std::to_string(::getpid()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::error_code ec;
    std::filesystem::remove_all(kept, ec);
    std::filesystem::copy(dir.path(), kept, std::filesystem::copy_options::recursive, ec);
    std::cout << "the failed run's data dir, broker store and broker log are kept in "
              << kept.string() << (ec ? " (copy failed: " + ec.message() + ")" : std::string())
              << "\n";
  }

  // orderd's flags; without a broker's url, no relay. `decline_rate`: of mock payments.
  void set_args(const std::string& nats_url, const char* decline_rate = "0.1") {
    args = {"--catalog",
            (dir.path() / "catalog.json").string(),
            "--payment-decline-rate",
            decline_rate,
            "--payment-latency-ms",
            "5",
            "--retry-initial-ms",
            "50"};
    if (!nats_url.empty()) args.insert(args.end(), {"--nats-url", nats_url});
  }

  bool start(std::unique_ptr<OrderdProcess>& orderd) {
    try {
      orderd = std::make_unique<OrderdProcess>((dir.path() / "data").string(), args);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "orderd did not start (" << e.what() << "); flags:" << [&] {
        std::string all;
        for (const auto& a : args) all += " " + a;
        return all;
      }();
      endpoint.abandoned = true;
      return false;
    }
    endpoint.port = orderd->port();
    return true;
  }

  // Reads the stream, the pull API, the orders and the products, and checks them all.
  // `placed`: the orders the clients were answered about, all of which must be in the store.
  void check_everything(const std::string& nats_url, const std::vector<Placed>& placed,
                        bool with_relay = true) {
    Conn conn(endpoint, Clock::now() + 30s);
    Findings api_findings, stream_findings, store_findings;

    // One consistent view of the stream, the pull API and the store: read while nothing new
    // became durable (a late event, a reclaim, would make them differ for no fault); retried.
    std::optional<StreamState> state;
    std::vector<StreamMessage> messages;
    std::vector<Event> api;
    std::map<std::string, json::object> orders;
    std::map<std::int64_t, json::object> products;
    for (int attempt = 1;; ++attempt) {
      auto before = health(conn);
      ASSERT_TRUE(before) << "no /health";
      const auto read_started = Clock::now();
      JetStreamClient js(nats_url);
      state = js.stream(kStream);
      ASSERT_TRUE(state) << "no stream " << kStream << " on " << nats_url;
      messages = js.read_all(kStream);
      std::cout << "read " << messages.size() << " messages from stream " << kStream << " in "
                << ms_since(read_started) << " ms (stream state: " << state->messages
                << " messages, sequences " << state->first_sequence << ".." << state->last_sequence
                << ")\n";
      api_findings = Findings();
      api = read_api_events(conn, api_findings);
      orders = read_orders(conn);
      products.clear();
      for (const auto& p : kProducts)
        if (auto view = conn.get_object("/api/v1/products/" + std::to_string(p.id)))
          products[p.id] = *view;
      auto after = health(conn);
      ASSERT_TRUE(after) << "no /health";
      const bool still =
          before->events.at("durable_through") == after->events.at("durable_through");
      if (still && (!with_relay || caught_up(*after))) break;
      std::cout << "events came while reading (" << before->text << " then " << after->text
                << "): reading again\n";
      ASSERT_LT(attempt, 5) << "the events would not stand still";
      if (with_relay) {
        ASSERT_TRUE(await_health(conn, "relay caught up again", 20s, caught_up));
      }
    }
    std::set<std::string> subjects(state->subjects.begin(), state->subjects.end());
    EXPECT_TRUE(subjects.count("orders.>") && subjects.count("stock.>"))
        << "the stream's subjects are not orders.> and stock.>";
    EXPECT_EQ(messages.size(), state->messages)
        << "the consumer delivered another number of messages than the stream holds";

    const std::vector<Event> streamed = check_stream(messages, api, stream_findings);
    const auto stream_by_subject = check_feed(streamed, stream_findings);
    const auto api_by_subject = check_feed(api, api_findings);

    for (const auto& p : placed) {
      if (p.id.empty())
        store_findings.add("an order got no final answer with an id", p.key + " " + p.body);
      else if (!orders.count(p.id))
        store_findings.add("an answered order is not in the store", p.id);
    }
    Findings stream_store, api_store;
    check_against_store(stream_by_subject, orders, products, stream_store);
    check_against_store(api_by_subject, orders, products, api_store);

    std::map<std::string, int> types;
    for (const auto& e : streamed) ++types[e.type];
    std::cout << api.size() << " events in the pull API, " << streamed.size() << " in the stream, "
              << orders.size() << " orders, by type:";
    for (const auto& [type, n] : types) std::cout << " " << type << "=" << n;
    std::cout << "\n";
    EXPECT_GT(api.size(), orders.size());

    api_findings.report("pull API");
    stream_findings.report("stream");
    store_findings.report("store");
    api_store.report("pull API against the store");
    stream_store.report("stream against the store");

    // The checks can fail: the same stream, doctored three ways.
    if (messages.size() >= 3 && stream_findings.empty()) {
      auto doctored = [&](const char* how, std::vector<StreamMessage> copy,
                          std::initializer_list<const char*> expected) {
        Findings f;
        const auto events = check_stream(copy, api, f);
        const auto by_subject = check_feed(events, f);
        check_against_store(by_subject, orders, products, f);
        std::cout << "the checks on the stream with " << how << " found:" << f.kinds() << "\n";
        for (const char* kind : expected)
          EXPECT_TRUE(f.has(kind))
              << "the checks missed " << how << ": no '" << kind << "'; found:" << f.kinds();
      };
      const std::size_t k = messages.size() / 2;
      {
        auto copy = messages;
        StreamMessage again = copy[k];
        again.msg_id = "dup-" + again.msg_id;  // published again under a new msg id
        again.sequence = copy.back().sequence + 1;
        copy.push_back(again);
        doctored("a message published twice", copy,
                 {"msg id is not the event id", "event id twice", "version repeated or going back",
                  "stream and pull API differ in size"});
      }
      {
        auto copy = messages;
        copy.erase(copy.begin() + static_cast<long>(k));
        doctored("a message left out", copy,
                 {"event in the pull API, missing from the stream",
                  "stream and pull API differ in size"});
      }
      {
        // Two messages of one subject, swapped (keeping the stream sequences in place).
        auto copy = messages;
        std::map<std::string, std::size_t> first_of;
        for (std::size_t i = 0; i < copy.size(); ++i) {
          const auto o = object_of(copy[i].data);
          const std::string subject = o ? string_at(*o, "subject") : "";
          auto [it, fresh] = first_of.emplace(subject, i);
          if (!fresh) {
            std::swap(copy[it->second].data, copy[i].data);
            std::swap(copy[it->second].msg_id, copy[i].msg_id);
            std::swap(copy[it->second].subject, copy[i].subject);
            break;
          }
        }
        doctored("two events of a subject swapped", copy,
                 {"version repeated or going back", "ids do not ascend",
                  "stream order differs from the pull API's"});
      }
    }
  }
};

// ---- The tests ------------------------------------------------------------------------------

TEST(JetStreamHarness, ReadsBackAStreamAcrossARestartAndAKill) {
  TempDir dir;
  NatsServer nats(dir.path() / "nats");
  nats.start();
  {
    JetStreamClient js(nats.url());
    EXPECT_FALSE(js.stream(kStream));
    js.add_stream(kStream, {"orders.>", "stock.>"});
    EXPECT_EQ(js.read_all(kStream).size(), 0u);
    for (int i = 1; i <= 300; ++i) {
      const std::string id = "evt_" + std::string(17, '0') + std::to_string(100 + i);
      const auto ack =
          js.publish(i % 3 ? "orders.created" : "stock.reserved", "{\"id\":\"" + id + "\"}", id);
      EXPECT_EQ(ack.sequence, static_cast<std::uint64_t>(i));
      EXPECT_FALSE(ack.duplicate);
    }
    // The same msg id again: the stream keeps one.
    EXPECT_TRUE(js.publish("orders.created", "{}", "evt_00000000000000000101").duplicate);
  }
  ASSERT_TRUE(nats.stop()) << nats.log_tail();
  EXPECT_THROW(JetStreamClient{nats.url()}, std::runtime_error) << "stopped, yet it answers";
  nats.start();  // the same port and store
  {
    JetStreamClient js(nats.url());
    auto state = js.stream(kStream);
    ASSERT_TRUE(state) << "the stream did not survive a restart";
    EXPECT_EQ(state->messages, 300u);
    const auto all = js.read_all(kStream);
    ASSERT_EQ(all.size(), 300u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].sequence, i + 1);
      EXPECT_EQ(all[i].subject, (i + 1) % 3 ? "orders.created" : "stock.reserved");
      EXPECT_EQ(all[i].data, "{\"id\":\"" + all[i].msg_id + "\"}");
    }
    // A second consumer reads it all again.
    EXPECT_EQ(js.read_all(kStream).size(), 300u);
  }
  EXPECT_TRUE(nats.kill_hard());
  EXPECT_FALSE(nats.running());
  nats.start();
  JetStreamClient js(nats.url());
  auto state = js.stream(kStream);
  ASSERT_TRUE(state);
  std::cout << "after kill -9, the stream holds " << state->messages << " messages\n";
  EXPECT_EQ(js.read_all(kStream).size(), state->messages);
}

TEST(JetStreamHarness, NatsServerIsFoundOffThePathAndMissedLoudly) {
  const char* path = std::getenv("PATH");
  const std::string saved = path ? path : "";
  ::setenv("PATH", "/nonexistent", 1);
  std::filesystem::path found;
  EXPECT_NO_THROW(found = NatsServer::binary()) << "nats-server not found off the PATH";
  std::cout << "nats-server: " << found.string() << "\n";
  try {
    NatsServer::find_binary({"/nonexistent/sbin"});
    ADD_FAILURE() << "found a nats-server where there is none";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nats-server not found"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("scripts/install-deps"), std::string::npos) << e.what();
  }
  ::setenv("PATH", saved.c_str(), 1);
}

// The checks themselves, on orderd without a relay: its events published by hand from the pull
// API as the relay would, the checks pass; on doctored copies they fail (check_everything).
TEST_F(EventsJetStreamTest, ChecksPassOnTheOutboxPublishedByHand) {
  NatsServer nats(dir.path() / "nats");
  nats.start();
  set_args("", "0");
  std::unique_ptr<OrderdProcess> orderd;
  ASSERT_TRUE(start(orderd));
  Conn conn(endpoint, Clock::now() + 30s);
  std::vector<Placed> placed;
  for (int i = 0; i < 30; ++i) {
    const std::string body = std::string(R"({"user_id":3,"payment_method":")") +
                             (i % 5 == 4 ? "mock_declined" : "mock") +
                             R"(","items":[{"product_id":1,"quantity":2},{"product_id":3,)"
                             R"("quantity":1}]})";
    placed.push_back(place(conn, "hand-" + std::to_string(i), body));
    if (i == 0) cancel(conn, placed.back().id, "cancel-hand-0");
  }
  Findings f;
  const auto api = read_api_events(conn, f);
  f.report("pull API");
  JetStreamClient js(nats.url());
  js.add_stream(kStream, {"orders.>", "stock.>"});
  for (const auto& e : api) js.publish(nats_subject_of(e.type), e.text, e.id);
  check_everything(nats.url(), placed, false);
}

TEST_F(EventsJetStreamTest, EveryEventOnceThroughBrokerOutageAndKillNine) {
  const auto started = Clock::now();
  NatsServer nats(dir.path() / "nats");
  nats.start();
  set_args(nats.url());
  args.insert(args.end(), {"--nats-batch", "16"});
  std::unique_ptr<OrderdProcess> orderd;
  ASSERT_TRUE(start(orderd));

  // The load: kOrders orders spread over kLoadMs from kClients threads.
  constexpr int kOrders = 320;
  constexpr int kClients = 8;
  constexpr int kLoadMs = 10'000;
  const auto deadline = started + 60s;
  const char* fixed = std::getenv("ORDERD_JETSTREAM_SEED");
  const std::uint64_t seed = fixed ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
  std::cout << "seed " << seed << " (ORDERD_JETSTREAM_SEED)\n";
  std::mt19937_64 rng(seed);
  // The first kill while the broker is down, the second after it is back, when the relay has
  // published part of its backlog.
  const auto kill_down = 3000ms + std::chrono::milliseconds(rng() % 1000);
  const auto kill_after_published = static_cast<std::int64_t>(16 * (1 + rng() % 24));
  std::vector<std::pair<std::chrono::milliseconds, std::string>> plan;  // when, body
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < kOrders; ++i) {
    json::array items;
    for (const auto& p : kProducts)
      if (u(rng) < p.weight)
        items.push_back({{"product_id", p.id}, {"quantity", 1 + static_cast<int>(rng() % 2)}});
    if (items.empty()) items.push_back({{"product_id", 3}, {"quantity", 1}});
    const char* method = u(rng) < 0.1 ? "mock_declined" : "mock";
    json::object body{{"user_id", 1 + static_cast<int>(rng() % 10)},
                      {"payment_method", method},
                      {"items", std::move(items)}};
    plan.emplace_back(std::chrono::milliseconds(i * kLoadMs / kOrders), json::serialize(body));
  }
  std::mutex mutex;
  std::vector<Placed> placed;
  std::atomic<std::size_t> next{0};
  std::atomic<int> cancels{0};
  std::vector<std::thread> threads;
  // A failed assertion returns early: the clients give up and are joined on the way out.
  struct Joiner {
    std::vector<std::thread>& threads;
    Endpoint& endpoint;
    ~Joiner() {
      for (auto& t : threads)
        if (t.joinable()) {
          endpoint.abandoned = true;
          t.join();
        }
    }
  } joiner{threads, endpoint};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      Conn conn(endpoint, deadline);
      for (std::size_t i; (i = next++) < plan.size();) {
        std::this_thread::sleep_until(started + plan[i].first);
        const std::string key = "order-" + std::to_string(i);
        Placed p = place(conn, key, plan[i].second);
        // Every 15th confirmed order is cancelled: refunded, its units returned.
        if (p.status == 201 && i % 15 == 0) {
          p.cancelled = cancel(conn, p.id, "cancel-" + key);
          ++cancels;
        }
        std::lock_guard lock(mutex);
        placed.push_back(std::move(p));
      }
    });
  }
  // A restock in the middle (a stock.restocked event on the hot product).
  threads.emplace_back([&] {
    Conn conn(endpoint, deadline);
    std::this_thread::sleep_until(started + 6s);
    for (;;) {
      auto r = conn.exchange("PUT", "/api/v1/products/1/stock/main", R"({"restock":10})",
                             {{"idempotency-key", "restock-1"}});
      if (!r || (r->status != 503 && r->status != 409)) {
        EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer to the restock");
        break;
      }
      std::this_thread::sleep_for(30ms);
    }
  });

  // The broker down from 2 s to 5 s; orderd killed in each phase.
  auto at = [&](std::chrono::milliseconds t) { std::this_thread::sleep_until(started + t); };
  auto kill_and_restart = [&](const char* when) {
    const auto t = ms_since(started);
    EXPECT_TRUE(orderd->kill_hard()) << "orderd died on its own before the kill " << when;
    endpoint.port = 0;
    orderd.reset();
    const auto restarting = Clock::now();
    if (!start(orderd)) return false;
    std::cout << "kill -9 at " << t << " ms (" << when << "); restarted in " << ms_since(restarting)
              << " ms\n";
    return true;
  };
  Conn watcher(endpoint, deadline);
  at(2000ms);
  ASSERT_TRUE(nats.stop()) << nats.log_tail();
  const auto broker_down = Clock::now();
  std::cout << "broker stopped at " << ms_since(started) << " ms\n";
  at(kill_down);
  ASSERT_TRUE(kill_and_restart("the broker down"));
  at(4900ms);
  const auto while_down = health(watcher);
  ASSERT_TRUE(while_down) << "no /health while the broker is down";
  std::cout << "/health with the broker down: " << while_down->text << "\n";
  EXPECT_NE(while_down->state, "caught_up") << while_down->text;
  EXPECT_GT(while_down->waiting, 0) << "nothing waits with the broker down: " << while_down->text;
  at(5000ms);
  const auto broker_up = Clock::now();
  nats.start();
  std::cout << "broker started again at " << ms_since(started) << " ms\n";
  // The second kill in the middle of the relay's catching up: once /health shows it has
  // published kill_after_published events of its backlog and not all (small batches make that
  // last a while), or as soon as it has caught up if it gets there first; at 8.5 s if neither
  // is seen.
  std::string seen;
  while (Clock::now() < started + 8500ms) {
    auto h = health(watcher);
    const std::int64_t published = h ? int_at(h->relay, "published") : 0;
    if (h && published >= kill_after_published && h->waiting > 0) {
      seen = "the relay catching up: " + std::to_string(published) + " published, " +
             std::to_string(h->waiting) + " waiting";
      break;
    }
    if (h && published > 0 && h->waiting < 30) {
      seen = "the relay just caught up: " + std::to_string(published) + " published, " +
             std::to_string(h->waiting) + " waiting";
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(
      kill_and_restart(seen.empty() ? "the broker back, the relay not seen" : seen.c_str()));
  for (auto& t : threads) t.join();
  ASSERT_FALSE(endpoint.abandoned);
  std::cout << "load done in " << ms_since(started) << " ms\n";

  // What the clients were told.
  std::map<std::string, int> answers;
  int during_outage = 0;
  for (const auto& p : placed) {
    ++answers[std::to_string(p.status) + (p.code.empty() ? "" : " " + p.code)];
    if (p.sent >= broker_down && p.answered < broker_up &&
        (p.status == 201 || p.status == 402 || p.status == 409))
      ++during_outage;
  }
  std::cout << placed.size() << " orders answered:";
  for (const auto& [answer, n] : answers) std::cout << " [" << answer << "]=" << n;
  std::cout << "; " << during_outage << " placed and answered while the broker was down; "
            << cancels << " cancels\n";
  EXPECT_EQ(placed.size(), static_cast<std::size_t>(kOrders));
  EXPECT_GT(answers["201"], 0);
  EXPECT_GT(answers["402 payment_declined"], 0);
  EXPECT_GT(answers["409 out_of_stock"], 0) << "the hot product was not contended";
  EXPECT_GT(during_outage, 20) << "orderd did not keep taking orders with the broker down";
  for (const auto& [answer, n] : answers)
    EXPECT_TRUE(answer == "201" || answer == "402 payment_declined" || answer == "409 out_of_stock")
        << n << " orders answered " << answer;

  // The relay catches up.
  Conn conn(endpoint, Clock::now() + 60s);
  const auto catching_up = Clock::now();
  auto h = await_health(conn, "relay caught up after the load", 20s, caught_up);
  ASSERT_TRUE(h);
  std::cout << "caught up " << ms_since(catching_up) << " ms after the load\n";
  EXPECT_EQ(string_at(h->relay, "url"), nats.url());
  EXPECT_EQ(string_at(h->relay, "stream"), kStream);

  check_everything(nats.url(), placed);
  std::cout << "total " << ms_since(started) << " ms\n";
}

TEST_F(EventsJetStreamTest, CatchesUpWhenTheBrokerComesLate) {
  const auto started = Clock::now();
  NatsServer nats(dir.path() / "nats");  // a free port, nothing listening on it yet
  set_args(nats.url(), "0");
  std::unique_ptr<OrderdProcess> orderd;
  ASSERT_TRUE(start(orderd));
  Conn conn(endpoint, Clock::now() + 60s);

  std::vector<Placed> placed;
  auto place_some = [&](int from, int n) {
    for (int i = from; i < from + n; ++i) {
      const std::string body = std::string(R"({"user_id":7,"payment_method":")") +
                               (i % 4 == 3 ? "mock_declined" : "mock") +
                               R"(","items":[{"product_id":3,"quantity":1},{"product_id":2,)"
                               R"("quantity":1}]})";
      Placed p = place(conn, "late-" + std::to_string(i), body);
      EXPECT_EQ(p.status, i % 4 == 3 ? 402u : 201u) << p.key << ": " << p.code;
      placed.push_back(std::move(p));
    }
  };
  place_some(0, 12);
  // Failing, with every event emitted durable (the feed learns that just after the answers).
  auto h = await_health(conn, "relay failing without a broker", 15s, [](const Health& h) {
    return h.state == "failing" && h.waiting > 0 &&
           h.events.at("durable_through") == h.events.at("emitted_through");
  });
  ASSERT_TRUE(h);
  EXPECT_EQ(string_at(h->relay, "url"), nats.url());
  EXPECT_FALSE(string_at(h->relay, "last_error").empty()) << h->text;
  EXPECT_EQ(int_at(h->relay, "published", -1), 0) << h->text;
  EXPECT_TRUE(h->relay.contains("published_through") && h->relay.at("published_through").is_null())
      << h->text;
  EXPECT_GT(int_at(h->relay, "oldest_waiting_ms", -1), 0) << h->text;
  {
    Findings f;
    const auto api = read_api_events(conn, f);
    EXPECT_EQ(static_cast<std::int64_t>(api.size()), h->waiting)
        << "every durable event waits: " << h->text;
    f.report("pull API");
  }

  nats.start();
  const auto broker_up = Clock::now();
  h = await_health(conn, "relay caught up once the broker is there", 30s, caught_up);
  ASSERT_TRUE(h);
  std::cout << "caught up " << ms_since(broker_up) << " ms after the broker started\n";
  // And it goes on publishing what comes next.
  place_some(12, 4);
  h = await_health(conn, "relay caught up with the later orders", 10s, caught_up);
  ASSERT_TRUE(h);
  check_everything(nats.url(), placed);
  {
    Findings f;
    const auto api = read_api_events(conn, f);
    EXPECT_EQ(int_at(h->relay, "published", -1), static_cast<std::int64_t>(api.size()))
        << "published counts every event once: " << h->text;
  }
  std::cout << "total " << ms_since(started) << " ms\n";
}

}  // namespace
}  // namespace orderd::testing
