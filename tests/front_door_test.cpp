// Issue 14's proof: every item of its "Why" as the attack it is, on the real binary. Each test
// failed before the front door (one component that starts, attaches to and waits on
// invocations for every route family, with its bounds, deadlines and clear errors):
//  - 500 delayed sends under --max-inflight 500 no longer refuse every order (also after a
//    kill -9), and delayed sends have their own bound, --max-scheduled;
//  - an absurd delay, or one past --max-delay, is a 400;
//  - a 300-character Idempotency-Key is a 400 with a stable code on both families, never a 500;
//  - 90 callers that hang up mid-wait under --max-connections 40 leave room for new clients,
//    and --max-connections-per-address caps one client;
//  - a client that writes a whole 2 MiB body before reading gets its 413;
//  - /health never shows the credentials of --nats-url;
//  - a 5,000-line basket is refused before any work, and nothing is written;
//  - the shop's internal handlers answer 404 on the public ingress, like unknown services;
//  - the Restate routes and /api/v1 share one table of key, deadline and bound rules;
//  - a Request-Timeout header (or --request-timeout, --order-wait) ends a wait with a 202.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.hpp"
#include "support/fixtures.hpp"
#include "support/json_fields.hpp"
#include "support/orderd_process.hpp"
#include "support/raw_socket.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using namespace std::chrono_literals;
using client::Headers;
using client::HttpClient;
using client::HttpResult;
using Clock = std::chrono::steady_clock;

// ---- Requests ----

const std::string kOtherSeedOrder =
    R"({"userId":"user999","productId":"prod456","quantity":1,"amount":5,"weight":1,"destination":"Oslo"})";
// One unit of the demo catalog's product 1, and another basket.
const std::string kApiOrder =
    R"({"user_id":7,"items":[{"product_id":1,"quantity":1}],"payment_method":"mock"})";
const std::string kOtherApiOrder =
    R"({"user_id":7,"items":[{"product_id":2,"quantity":2}],"payment_method":"mock"})";
const std::string kReservation = R"({"items":[{"product_id":1,"quantity":1}],"ttl_seconds":60})";
// An OrderReview run that waits for a reviewer's decision: it never finishes on its own.
const std::string kRiskyReview = R"({"customerId":"c-1","amount":2500,"riskScore":85})";
const std::string kApproval = R"({"approved":true,"reviewer":"alice"})";
// The shop's internal handlers' own inputs, as orderd's routes send them: valid, so that only
// their exposure can refuse them. The reservation holds stock for ten years.
std::string place_order_input(const std::string& items) {
  return R"({"user_id":7,"items":[)" + items +
         R"(],"payment_method":"mock","currency":"","destination":"","carrier":"pickup","reservation_id":""})";
}
const std::string kOneItem = R"({"product_id":1,"quantity":1})";
const std::string kTenYearReservation =
    R"({"items":[{"product_id":1,"quantity":1}],"ttl_ms":315360000000,"owner":"x"})";

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- What the answers must look like ----

// An /api/v1 refusal: RFC 9457 problem+json with its stable `code` and the request id.
void expect_problem(const HttpResult& r, unsigned status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
  auto problem = object_of(r.body);
  ASSERT_TRUE(problem) << "not JSON: " << r.body;
  EXPECT_EQ(string_at(*problem, "code"), code) << r.body;
  EXPECT_FALSE(string_at(*problem, "request_id").empty()) << r.body;
}

// A Restate-family refusal: {"code": status, "message": ...}, the message naming its cause.
void expect_restate_error(const HttpResult& r, unsigned status, const std::string& mention) {
  EXPECT_EQ(r.status, status) << r.body;
  auto error = object_of(r.body);
  ASSERT_TRUE(error) << "not JSON: " << r.body;
  EXPECT_EQ(int_at(*error, "code"), static_cast<std::int64_t>(status)) << r.body;
  EXPECT_TRUE(contains(lower(string_at(*error, "message")), mention))
      << "the message does not mention '" << mention << "': " << r.body;
}

// No answer leaks internal text: a 500 says `internal` and the request id, nothing else.
void expect_no_internal_text(const HttpResult& r) {
  for (const char* leak : {"basic_string", "std::", "__pos", "what()", "exception"})
    EXPECT_FALSE(contains(r.body, leak)) << r.status << " " << r.body;
  if (r.status == 500) {
    auto o = object_of(r.body);
    EXPECT_TRUE(o && string_at(*o, "code") == "internal") << r.body;
  }
}

// Polls `probe` until it holds or `span` passes, a few milliseconds apart: for states the server
// reaches on its own, with nothing a client could wait on instead.
bool eventually(const std::function<bool()>& probe, Clock::duration span = 10s) {
  const auto deadline = Clock::now() + span;
  while (Clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return probe();
}

// A port on which nothing listens (bound, then released).
std::uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---- The fixture: one orderd, started with the test's flags ----

class FrontDoorTest : public ::testing::Test {
 protected:
  // Starts orderd (stopping the one before, if any) on the test's data dir. The seed's services
  // never fail by chance, and take no time unless the flags give a --latency-scale.
  void start(std::vector<std::string> flags = {}) {
    orderd_.reset();
    if (std::find(flags.begin(), flags.end(), "--latency-scale") == flags.end())
      flags.insert(flags.end(), {"--latency-scale", "0"});
    flags.insert(flags.end(), {"--failure-scale", "0"});
    flags_ = flags;
    orderd_ = std::make_unique<OrderdProcess>(dir_.path().string(), flags);
  }
  // kill -9 and a start on the same data dir with the same flags.
  void crash_and_restart() {
    EXPECT_TRUE(orderd_->kill_hard()) << "orderd had died on its own";
    orderd_.reset();
    orderd_ = std::make_unique<OrderdProcess>(dir_.path().string(), flags_);
  }

  std::uint16_t port() const { return orderd_->port(); }

  // One request on a connection of its own: a refusal that closes it spoils nothing else.
  HttpResult send(const std::string& method, const std::string& path, const std::string& body = "",
                  const Headers& headers = {}) {
    HttpClient client(port());
    return client.request(method, path, body, headers);
  }
  HttpResult post(const std::string& path, const std::string& body, const Headers& headers = {}) {
    return send("POST", path, body, headers);
  }
  // As send, for a wait that only the deadline under test ends: gives up after 5 s (status 0)
  // where HttpClient would block for two minutes on a server that ignores the deadline.
  HttpResult bounded(const std::string& method, const std::string& path,
                     const std::string& body = "", const Headers& headers = {}) {
    std::string extra;
    for (const auto& [name, value] : headers)
      extra += (extra.empty() ? "" : "\r\n") + name + ": " + value;
    RawAnswer answer = raw_exchange(port(), method, path, body, extra, 5s);
    HttpResult r;
    r.status = answer.status;
    r.body = answer.status ? answer.body : "(no answer in 5 s: " + answer.error + ")";
    r.headers = answer.headers;
    r.restate_id = r.header("x-restate-id");
    return r;
  }

  // The invocations of `service` the admin API lists (its own listener, outside the limits the
  // tests fill on the ingress).
  std::vector<boost::json::object> invocations(const std::string& service) {
    HttpClient admin(orderd_->admin_port());
    auto r = admin.get("/invocations?limit=1000&service=" + service);
    EXPECT_EQ(r.status, 200u) << r.body;
    std::vector<boost::json::object> out;
    auto page = object_of(r.body);
    if (!page) return out;
    if (const auto* list = page->if_contains("invocations"); list && list->is_array())
      for (const auto& v : list->as_array())
        if (v.is_object()) out.push_back(v.as_object());
    return out;
  }

  // What /health counts of the front door's bounds: "active", "parked" or "scheduled".
  std::int64_t health_count(const char* what) {
    auto health = object_of(send("GET", "/health").body);
    return health ? int_at(object_at(*health, "invocations"), what, -1) : -1;
  }

  // An order is served on both families: the seed's ProcessOrder and the shop's POST /orders.
  void expect_orders_served(const std::string& when) {
    auto restate = post("/OrderService/ProcessOrder", kSeedOrder);
    EXPECT_EQ(restate.status, 200u) << when << ": " << restate.body;
    EXPECT_TRUE(contains(restate.body, "orderId")) << when << ": " << restate.body;
    auto api = post("/api/v1/orders", kApiOrder);
    EXPECT_EQ(api.status, 201u) << when << ": " << api.body;
  }

  TempDir dir_;
  std::vector<std::string> flags_;
  std::unique_ptr<OrderdProcess> orderd_;
};

// ---- 1. Delayed sends are scheduled work, not active work ----

TEST_F(FrontDoorTest, FiveHundredDelayedSendsDoNotStopOrdersEvenAfterACrash) {
  start({"--max-inflight", "500"});
  // 500 sends due in two hours, from 4 clients.
  std::vector<std::future<int>> senders;
  for (int t = 0; t < 4; ++t) {
    senders.push_back(std::async(std::launch::async, [port = port()] {
      HttpClient client(port);
      int accepted = 0;
      for (int i = 0; i < 125; ++i)
        accepted +=
            client.post("/OrderService/ProcessOrder/send?delay=2h", kSeedOrder).status == 202u;
      return accepted;
    }));
  }
  int accepted = 0;
  for (auto& s : senders) accepted += s.get();
  ASSERT_EQ(accepted, 500);
  EXPECT_EQ(health_count("scheduled"), 500);
  expect_orders_served("with 500 delayed sends waiting");

  crash_and_restart();  // the delayed sends are recovered from the store, as scheduled
  EXPECT_EQ(health_count("scheduled"), 500);
  expect_orders_served("after a kill -9 and a restart");
}

TEST_F(FrontDoorTest, DelayedSendsHaveTheirOwnBoundAlsoAfterACrash) {
  start({"--max-scheduled", "10"});
  for (int i = 0; i < 10; ++i) {
    auto sent = post("/OrderService/ProcessOrder/send?delay=2h", kSeedOrder);
    ASSERT_EQ(sent.status, 202u) << "send " << i << ": " << sent.body;
  }
  auto eleventh = post("/OrderService/ProcessOrder/send?delay=2h", kSeedOrder);
  expect_restate_error(eleventh, 503, "scheduled");
  EXPECT_FALSE(eleventh.header("retry-after").empty());
  // The full bound is the delayed sends' own: an order that runs now is still served.
  expect_orders_served("with --max-scheduled full");

  crash_and_restart();
  auto after = post("/OrderService/ProcessOrder/send?delay=2h", kSeedOrder);
  expect_restate_error(after, 503, "scheduled");
  EXPECT_FALSE(after.header("retry-after").empty());
  expect_orders_served("with --max-scheduled full after a restart");
}

// ---- 2. Delays ----

TEST_F(FrontDoorTest, AnAbsurdDelayOrOnePastMaxDelayIsA400) {
  start();
  for (const char* absurd :
       {"9999999999999999h", "PT9999999999999999H", "99999999999999999999ms"}) {
    auto r = post(std::string("/OrderService/ProcessOrder/send?delay=") + absurd, kSeedOrder);
    expect_restate_error(r, 400, "delay");
  }
  // The default --max-delay is 30 days.
  expect_restate_error(post("/OrderService/ProcessOrder/send?delay=31d", kSeedOrder), 400, "delay");
  EXPECT_TRUE(invocations("OrderService").empty()) << "a refused send started an invocation";

  start({"--max-delay", "1h"});
  expect_restate_error(post("/OrderService/ProcessOrder/send?delay=2h", kSeedOrder), 400, "delay");
  EXPECT_EQ(post("/OrderService/ProcessOrder/send?delay=30m", kSeedOrder).status, 202u);
}

// ---- 3. The long key ----

TEST_F(FrontDoorTest, ALongIdempotencyKeyIsA400OnBothFamiliesNeverA500) {
  start();
  const Headers long_key{{"Idempotency-Key", std::string(300, 'k')}};
  for (const char* path : {"/OrderService/ProcessOrder", "/OrderService/ProcessOrder/send"}) {
    auto r = post(path, kSeedOrder, long_key);
    SCOPED_TRACE(path);
    expect_restate_error(r, 400, "idempotency");
    expect_no_internal_text(r);
  }
  struct ApiWrite {
    const char* method;
    const char* path;
    const std::string& body;
  };
  const std::string restock = R"({"restock":1})";
  for (const ApiWrite& w : {ApiWrite{"POST", "/api/v1/reservations", kReservation},
                            ApiWrite{"POST", "/api/v1/orders", kApiOrder},
                            ApiWrite{"PUT", "/api/v1/products/1/stock/main", restock}}) {
    auto r = send(w.method, w.path, w.body, long_key);
    SCOPED_TRACE(std::string(w.method) + " " + w.path);
    expect_problem(r, 400, "invalid_idempotency_key");
    expect_no_internal_text(r);
  }
  // 255 characters is the longest key: accepted.
  auto longest =
      post("/api/v1/reservations", kReservation, {{"Idempotency-Key", std::string(255, 'k')}});
  EXPECT_EQ(longest.status, 201u) << longest.body;
}

// ---- 4. Callers that hang up ----

TEST_F(FrontDoorTest, NinetyCallersThatHangUpLeaveRoomForNewClients) {
  start({"--max-connections", "40"});
  constexpr int kRounds = 3, kCallers = 30;
  for (int round = 0; round < kRounds; ++round) {
    // 30 calls that never finish on their own: each waits for a reviewer's decision.
    std::vector<std::unique_ptr<RawSocket>> callers;
    for (int i = 0; i < kCallers; ++i) {
      auto id = "hang-" + std::to_string(round) + "-" + std::to_string(i);
      callers.push_back(std::make_unique<RawSocket>(port()));
      callers.back()->write_all(
          http_request_bytes("POST", "/OrderReview/" + id + "/run", kRiskyReview));
    }
    // Hang up once orderd has read every call of the round (or after 3 s: a server that turned
    // callers away never will).
    const std::size_t expected = static_cast<std::size_t>((round + 1) * kCallers);
    eventually([&] { return invocations("OrderReview").size() >= expected; }, 3s);
    std::cout << "round " << round + 1 << ": " << invocations("OrderReview").size()
              << " reviews started of " << expected << " sent\n";
    for (auto& c : callers) c->close();
  }

  // A new client is served, at once or once orderd has seen the hang-ups.
  int resets = 0;
  std::optional<HttpResult> health;
  eventually([&] {
    try {
      health = send("GET", "/health");
      return true;
    } catch (const std::exception&) {
      ++resets;
      return false;
    }
  });
  ASSERT_TRUE(health) << "every new connection was closed (" << resets << " tries)";
  std::cout << "a new client was served after " << resets << " closed connections\n";
  EXPECT_EQ(health->status, 200u) << health->body;
  EXPECT_EQ(post("/OrderService/ProcessOrder", kSeedOrder).status, 200u);

  // The calls whose callers hung up go on: one of them, decided, answers its attach.
  ASSERT_EQ(post("/OrderReview/hang-0-0/decide", kApproval).status, 200u);
  auto outcome = send("GET", "/restate/workflow/OrderReview/hang-0-0/attach");
  EXPECT_EQ(outcome.status, 200u) << outcome.body;
  EXPECT_TRUE(contains(outcome.body, "\"approved\"")) << outcome.body;
}

TEST_F(FrontDoorTest, OneClientAddressHoldsAtMostMaxConnectionsPerAddress) {
  start({"--max-connections-per-address", "2"});
  // Two connections held open by a client that sends nothing.
  auto first = std::make_unique<RawSocket>(port());
  RawSocket second(port());
  auto third = raw_exchange(port(), "GET", "/health", "", "", 5s);
  EXPECT_EQ(third.status, 0u) << "a third connection from the same address was served";
  // One of the two goes: a new connection is served once orderd has seen it close.
  first.reset();
  EXPECT_TRUE(eventually(
      [&] { return raw_exchange(port(), "GET", "/health", "", "", 5s).status == 200u; }));
}

// ---- 5. A body sent whole before reading ----

TEST_F(FrontDoorTest, AClientThatWritesAWhole2MiBBodyBeforeReadingGetsThe413) {
  start();  // --max-body-bytes is 1 MiB by default
  const std::string body(2 << 20, 'x');
  const std::string big_header = "X-Padding: " + std::string(64 << 10, 'p');  // > 16 KiB of head
  struct Case {
    const char* path;
    std::string extra_headers;
    unsigned status;
  };
  for (const Case& c :
       {Case{"/api/v1/orders", "", 413}, Case{"/OrderService/ProcessOrder", "", 413},
        Case{"/api/v1/orders", big_header, 431}}) {
    SCOPED_TRACE(std::string(c.path) + " expecting " + std::to_string(c.status));
    RawSocket client(port());
    client.set_send_buffer(64 << 10);  // most of the body is still to send when orderd answers
    std::string error;
    // Blocking writes of the whole request, as urllib does, and only then a read.
    EXPECT_TRUE(client.write_all(http_request_bytes("POST", c.path, body, c.extra_headers), &error))
        << "the write failed: " << error;
    std::string answer = client.read_until_close(10s, &error);
    EXPECT_EQ(status_of_raw_answer(answer), c.status)
        << "read error '" << error << "', answer: " << answer.substr(0, 300);
  }
  EXPECT_EQ(send("GET", "/health").status, 200u);
}

// ---- 6. Credentials ----

TEST_F(FrontDoorTest, HealthNeverShowsTheCredentialsOfNatsUrl) {
  // No NATS server listens there: the relay fails to connect, and says so in /health.
  const std::string url =
      "nats://orderd-nats-user:hunter2-secret@127.0.0.1:" + std::to_string(unused_port());
  start({"--nats-url", url});
  HttpResult health;
  eventually([&] {
    health = send("GET", "/health");
    auto o = object_of(health.body);
    return o && !string_at(object_at(object_at(*o, "events"), "relay"), "last_error").empty();
  });
  std::cout << "/health: " << health.body << "\n";
  EXPECT_EQ(health.status, 200u);
  EXPECT_TRUE(contains(health.body, "127.0.0.1")) << "the relay's URL is not shown at all";
  for (const char* secret : {"orderd-nats-user", "hunter2", "secret", "user"})
    EXPECT_FALSE(contains(health.body, secret)) << secret << " in " << health.body;
}

// ---- 7. The huge basket ----

TEST_F(FrontDoorTest, AFiveThousandLineBasketIsRefusedAndNothingIsWritten) {
  start();
  std::string items;
  for (int i = 0; i < 5000; ++i) {
    if (i) items += ',';
    items += R"({"product_id":)" + std::to_string(i % 20 + 1) + R"(,"quantity":1})";
  }
  struct Case {
    const char* path;
    std::string body;
  };
  for (const Case& c :
       {Case{"/api/v1/orders", R"({"user_id":7,"payment_method":"mock","items":[)" + items + "]}"},
        Case{"/api/v1/reservations", R"({"ttl_seconds":60,"items":[)" + items + "]}"}}) {
    SCOPED_TRACE(c.path);
    const auto started = Clock::now();
    auto r = post(c.path, c.body);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    std::cout << c.path << ": a 5,000-line basket answered " << r.status << " in " << took.count()
              << " us\n";
    expect_problem(r, 400, "validation_failed");
    bool names_items = false;
    if (auto problem = object_of(r.body))
      if (const auto* errors = problem->if_contains("errors"); errors && errors->is_array())
        for (const auto& e : errors->as_array())
          names_items |= e.is_object() && string_at(e.as_object(), "field") == "items";
    EXPECT_TRUE(names_items) << r.body;
  }
  // The raw saga is not reachable with it either (it merged the basket before any check).
  const auto started = Clock::now();
  auto raw = post("/Orders/place", place_order_input(items));
  std::cout << "/Orders/place: a 5,000-line basket answered " << raw.status << " in "
            << std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count()
            << " us\n";
  EXPECT_EQ(raw.status, 404u) << raw.body.substr(0, 300);

  auto orders = send("GET", "/api/v1/orders");
  EXPECT_EQ(orders.status, 200u);
  EXPECT_TRUE(contains(orders.body, R"("data":[])")) << orders.body;
  EXPECT_TRUE(invocations("Orders").empty());
  EXPECT_TRUE(invocations("Reservations").empty());
}

TEST_F(FrontDoorTest, WarehousesAreCapped) {
  // The demo catalog has two warehouses; a third fits, a fourth does not.
  start({"--max-warehouses", "3"});
  auto third = send("PUT", "/api/v1/products/1/stock/third", R"({"on_hand":5})");
  EXPECT_EQ(third.status, 200u) << third.body;
  auto fourth = send("PUT", "/api/v1/products/1/stock/fourth", R"({"on_hand":5})");
  std::cout << "a fourth warehouse: " << fourth.status << " " << fourth.body << "\n";
  EXPECT_GE(fourth.status, 400u) << fourth.body;
  EXPECT_LT(fourth.status, 500u) << fourth.body;
  auto product = send("GET", "/api/v1/products/1");
  EXPECT_FALSE(contains(product.body, "fourth")) << product.body;
}

// ---- 8. Internal handlers stay inside ----

TEST_F(FrontDoorTest, TheShopsInternalHandlersAre404sLikeUnknownServices) {
  start();
  // An order through the API, so that internal invocations exist to be asked for.
  auto order = post("/api/v1/orders", kApiOrder, {{"Idempotency-Key", "order-1"}});
  ASSERT_EQ(order.status, 201u) << order.body;

  // Each internal path answers what the same path with an unknown service answers.
  auto unknown_like = [&](const std::string& method, const std::string& path,
                          const std::string& service, const std::string& body) {
    std::string stranger = path;
    stranger.replace(stranger.find(service), service.size(), "NoSuchService");
    auto expected = send(method, stranger, body);
    std::string expected_body = expected.body;
    for (auto at = expected_body.find("NoSuchService"); at != std::string::npos;
         at = expected_body.find("NoSuchService", at + service.size()))
      expected_body.replace(at, 13, service);
    auto r = send(method, path, body);
    EXPECT_EQ(r.status, 404u) << method << " " << path << ": " << r.body;
    EXPECT_EQ(r.body, expected_body) << method << " " << path;
    EXPECT_TRUE(r.restate_id.empty()) << method << " " << path;
  };
  struct Internal {
    const char* path;
    std::string body;
  };
  const std::string order_input = place_order_input(kOneItem);
  for (const Internal& i :
       {Internal{"/Orders/place", order_input}, Internal{"/Orders/place/send", order_input},
        Internal{"/Orders/place/send?delay=1s", order_input},
        Internal{"/Reservations/create", kTenYearReservation},
        Internal{"/Reservations/create/send", kTenYearReservation},
        Internal{"/Reservations/release", R"({"id":"res_x","ttl_ms":0})"},
        Internal{"/Reservations/expire", R"({"id":"res_x","ttl_ms":0})"},
        Internal{"/Stock/set",
                 R"({"product_id":1,"warehouse":"main","restock":false,"quantity":0})"},
        Internal{"/Catalog/put_product", "{}"},
        Internal{"/OrderCancel/ord_x/cancel", R"({"reason":"r"})"},
        Internal{"/OrderCancel/ord_x/cancel/send", R"({"reason":"r"})"}}) {
    const std::string path = i.path;
    unknown_like("POST", path, path.substr(1, path.find('/', 1) - 1), i.body);
  }
  // Nothing of that ran: the one Orders invocation is the API's order.
  EXPECT_EQ(invocations("Orders").size(), 1u);
  EXPECT_TRUE(invocations("Reservations").empty());
  EXPECT_TRUE(invocations("Stock").empty());

  // The order's saga is an Orders invocation: not readable by its id nor by its key.
  auto placed = invocations("Orders");
  ASSERT_FALSE(placed.empty());
  const std::string id = string_at(placed.front(), "id");
  std::string unknown_id = id;
  unknown_id.back() = unknown_id.back() == 'a' ? 'b' : 'a';
  for (const char* what : {"output", "attach"}) {
    auto r = send("GET", "/restate/invocation/" + id + "/" + what);
    auto stranger = send("GET", "/restate/invocation/" + unknown_id + "/" + what);
    EXPECT_EQ(r.status, 404u) << what << ": " << r.body;
    EXPECT_EQ(r.body, stranger.body) << what;
    unknown_like("GET", std::string("/restate/invocation/Orders/place/order-1/") + what, "Orders",
                 "");
  }
  // The public way to hold stock keeps its TTL limit (7 days).
  expect_problem(post("/api/v1/reservations",
                      R"({"items":[{"product_id":1,"quantity":1}],"ttl_seconds":315360000})"),
                 400, "validation_failed");
  // The tutorial's services stay public.
  EXPECT_EQ(post("/OrderService/ProcessOrder", kSeedOrder).status, 200u);
  EXPECT_EQ(post("/ShippingService/CalculateShipping",
                 R"({"weight":1,"destination":"Oslo","carrier":"Standard"})")
                .status,
            200u);
}

// ---- 9. One table of rules, run against both families ----

struct Family {
  std::string name;
  std::string path;  // starts an invocation and waits for it
  std::string body, other_body;
  std::string other_target, other_target_body;  // another target, for the key's scope
  bool api;             // /api/v1: problem+json with a `code`; else Restate's {"code", "message"}
  std::string service;  // the service of the invocation the route starts
};

const Family kRestateFamily{"Restate",
                            "/OrderService/ProcessOrder",
                            kSeedOrder,
                            kOtherSeedOrder,
                            "/OrderServiceSlow/ProcessOrder",
                            kSeedOrder,
                            false,
                            "OrderService"};
const Family kApiFamily{
    "Api", "/api/v1/orders", kApiOrder, kOtherApiOrder, "/api/v1/reservations", kReservation,
    true,  "Orders"};

void PrintTo(const Family& family, std::ostream* out) {
  *out << family.name;
}

class FamilyRules : public FrontDoorTest, public ::testing::WithParamInterface<Family> {
 protected:
  const Family& family() const { return GetParam(); }

  HttpResult call(const std::string& body, const Headers& headers = {}) {
    return post(family().path, body, headers);
  }
  // A refusal in the family's shape: the API's `code`, or a Restate message mentioning `cause`.
  void expect_refused(const HttpResult& r, unsigned status, const std::string& code,
                      const std::string& cause) {
    if (family().api)
      expect_problem(r, status, code);
    else
      expect_restate_error(r, status, cause);
    expect_no_internal_text(r);
  }
  // What names the invocation behind an answer: Restate's x-restate-id, the order's Location.
  std::string identity(const HttpResult& r) const {
    return family().api ? r.header("location") : r.restate_id;
  }
  // A finished answer: the output (Restate 200) or the order (201).
  unsigned done_status() const { return family().api ? 201u : 200u; }
};

TEST_P(FamilyRules, AnInvalidKeyIsA400) {
  start();
  for (const std::string& key : {std::string(300, 'k'), std::string(256, 'k'), std::string()}) {
    SCOPED_TRACE("a key of " + std::to_string(key.size()) + " characters");
    expect_refused(call(family().body, {{"Idempotency-Key", key}}), 400, "invalid_idempotency_key",
                   "idempotency");
  }
}

TEST_P(FamilyRules, AKeyReusedWithAnotherBodyIsA422) {
  start();
  auto first = call(family().body, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, done_status()) << first.body;
  expect_refused(call(family().other_body, {{"Idempotency-Key", "k-1"}}), 422,
                 "idempotency_key_reused", "different");
}

TEST_P(FamilyRules, TheSameKeyAndBodyIsTheSameInvocationAndKeysAreScopedToTheirTarget) {
  start();
  auto first = call(family().body, {{"Idempotency-Key", "k-2"}});
  ASSERT_EQ(first.status, done_status()) << first.body;
  ASSERT_FALSE(identity(first).empty());
  auto again = call(family().body, {{"Idempotency-Key", "k-2"}});
  EXPECT_EQ(again.status, first.status) << again.body;
  EXPECT_EQ(identity(again), identity(first));
  EXPECT_EQ(again.body, first.body);
  if (family().api) {
    EXPECT_EQ(again.header("idempotent-replayed"), "true");
  }
  // The same key on another target names another request: not a reuse.
  auto elsewhere =
      post(family().other_target, family().other_target_body, {{"Idempotency-Key", "k-2"}});
  EXPECT_LT(elsewhere.status, 300u) << elsewhere.body;
}

TEST_P(FamilyRules, TheCallersTraceContextTravelsIntoTheInvocation) {
  start();
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_EQ(call(family().body, {{"traceparent", trace}}).status, done_status());
  // A malformed one is dropped, not refused (W3C Trace Context).
  ASSERT_EQ(call(family().other_body, {{"traceparent", "00-nothex-01"}}).status, done_status());
  auto started = invocations(family().service);
  ASSERT_EQ(started.size(), 2u);
  // Newest first: the malformed one, then the traced one. Both callers are anonymous.
  EXPECT_TRUE(started[0].at("traceparent").is_null()) << started[0];
  EXPECT_EQ(string_at(started[1], "traceparent"), trace) << started[1];
  for (const auto& invocation : started)
    EXPECT_TRUE(invocation.at("principal").is_null()) << invocation;
}

TEST_P(FamilyRules, AShortRequestTimeoutAnswers202AndTheInvocationGoesOn) {
  start({"--latency-scale", "2", "--payment-latency-ms", "600"});
  auto first = bounded("POST", family().path, family().body,
                       {{"Idempotency-Key", "k-3"}, {"Request-Timeout", "1ms"}});
  ASSERT_EQ(first.status, 202u) << first.body;
  const std::string id = identity(first);
  ASSERT_FALSE(id.empty()) << "a 202 names its invocation (x-restate-id, Location)";
  // The same key while the first still runs: Restate waits for the same invocation; the API
  // asks the client to come back.
  auto meanwhile = call(family().body, {{"Idempotency-Key", "k-3"}});
  if (family().api) {
    expect_refused(meanwhile, 409, "idempotency_key_in_use", "");
    EXPECT_FALSE(meanwhile.header("retry-after").empty());
  } else {
    EXPECT_EQ(meanwhile.status, 200u) << meanwhile.body;
    EXPECT_EQ(identity(meanwhile), id);
  }
  // Once it finished, the key answers its outcome.
  HttpResult done;
  EXPECT_TRUE(eventually([&] {
    done = call(family().body, {{"Idempotency-Key", "k-3"}});
    return done.status != 409u;
  }));
  EXPECT_EQ(done.status, done_status()) << done.body;
  EXPECT_EQ(identity(done), id);
}

TEST_P(FamilyRules, AMalformedRequestTimeoutIsA400) {
  start();
  for (const char* timeout : {"soon", "5 parsecs", "-1s"}) {
    SCOPED_TRACE(timeout);
    expect_refused(call(family().body, {{"Request-Timeout", timeout}}), 400,
                   "invalid_request_timeout", "request-timeout");
  }
}

TEST_P(FamilyRules, AFullParkedBoundIsA503WithRetryAfter) {
  start({"--max-parked", "1"});
  ASSERT_EQ(post("/OrderReview/parked-1/run/send", kRiskyReview).status, 202u);
  // The run parks on its promise once it waits for a decision.
  ASSERT_TRUE(eventually([&] { return health_count("parked") >= 1; })) << "the run never parked";
  auto r = call(family().body);
  expect_refused(r, 503, "too_many_parked", "parked");
  EXPECT_FALSE(r.header("retry-after").empty());
}

TEST_P(FamilyRules, AFullActiveBoundIsA503WithRetryAfter) {
  // One slow order (about 1.8 s) fills --max-inflight 1.
  start({"--max-inflight", "1", "--latency-scale", "4"});
  ASSERT_EQ(post("/OrderServiceSlow/ProcessOrder/send", kSeedOrder).status, 202u);
  auto r = call(family().body);
  expect_refused(r, 503, "overloaded", "overloaded");
  EXPECT_FALSE(r.header("retry-after").empty());
}

INSTANTIATE_TEST_SUITE_P(BothFamilies, FamilyRules, ::testing::Values(kRestateFamily, kApiFamily),
                         [](const ::testing::TestParamInfo<Family>& info) {
                           return info.param.name;
                         });

// ---- 10. Deadlines on attach and from the flags ----

TEST_F(FrontDoorTest, ARequestTimeoutHeaderShortensAnAttach) {
  start();
  auto sent = post("/OrderReview/wait-1/run/send", kRiskyReview);
  ASSERT_EQ(sent.status, 202u) << sent.body;
  const std::string id = sent.restate_id;
  for (const std::string& path : {"/restate/invocation/" + id + "/attach",
                                  std::string("/restate/workflow/OrderReview/wait-1/attach")}) {
    auto r = bounded("GET", path, "", {{"Request-Timeout", "200ms"}});
    EXPECT_EQ(r.status, 202u) << path << ": " << r.body;
    EXPECT_EQ(r.restate_id, id) << path;
  }
  // The run went on: decided, its attach answers the outcome.
  ASSERT_EQ(post("/OrderReview/wait-1/decide", kApproval).status, 200u);
  auto outcome = send("GET", "/restate/invocation/" + id + "/attach");
  EXPECT_EQ(outcome.status, 200u) << outcome.body;
}

TEST_F(FrontDoorTest, RequestTimeoutAndOrderWaitFlagsEndWaitsWith202) {
  start({"--request-timeout", "300ms", "--order-wait", "300ms", "--payment-latency-ms", "600"});
  auto call = bounded("POST", "/OrderReview/wait-2/run", kRiskyReview);
  EXPECT_EQ(call.status, 202u) << call.body;
  ASSERT_FALSE(call.restate_id.empty());
  auto attach = bounded("GET", "/restate/invocation/" + call.restate_id + "/attach");
  EXPECT_EQ(attach.status, 202u) << attach.body;
  EXPECT_EQ(attach.restate_id, call.restate_id);
  auto order = post("/api/v1/orders", kApiOrder);
  EXPECT_EQ(order.status, 202u) << order.body;
  EXPECT_FALSE(order.header("location").empty());
}

}  // namespace
}  // namespace orderd::testing
