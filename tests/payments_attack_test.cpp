// Issue 16's holes, each written as the attack it is, against the real orderd binary over HTTP:
// an operator who kills an order's saga while its authorization or its capture is at the
// gateway, who kills and purges before the reclaim runs, a kill -9 right after a cancel's 202,
// a cancel sent twice, and a gateway that stops answering (the circuit breaker).
//
// What every attack must leave behind (P2 in docs/API.md, issue 16 "Done when"): the order
// terminal, its units available again (nothing held by a terminal owner), and every
// authorization that was or may have been made ended, by a void (never captured) or a refund
// (captured), exactly once. Every wait is a condition awaited with a deadline, never a sleep.
//
// The flags and fields this file assumes for the new behaviour are named once, below:
// kBreakerFailuresFlag, kBreakerCooldownFlag and breaker_state() (where /health shows the
// breaker).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>  // std::jthread
#include <vector>

#include "client/http_client.hpp"
#include "payments/mock_gateway_state.hpp"
#include "support/json_fields.hpp"
#include "support/orderd_process.hpp"
#include "support/shop_catalog.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using namespace std::chrono_literals;
using client::HttpClient;
using client::HttpResult;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

// ---- What the new behaviour is assumed to be named -------------------------------------------

constexpr const char* kBreakerFailuresFlag = "--gateway-breaker-failures";
constexpr const char* kBreakerCooldownFlag = "--gateway-breaker-cooldown";

// The gateway's circuit breaker as GET /health shows it: "closed", "open" or "half_open"; ""
// when /health does not show it. The one place that knows its path.
std::string breaker_state(const json::object& health) {
  return string_at(object_at(object_at(health, "payments"), "breaker"), "state");
}

// ---- The catalog: one product per attack, so each stock assertion is exact -------------------

constexpr std::int64_t kKillDuringAuthorize = 1;
constexpr std::int64_t kKillDuringCapture = 2;
constexpr std::int64_t kKillThenPurge = 3;
constexpr std::int64_t kCrashAfterCancel = 4;
constexpr std::int64_t kCancelTwice = 5;
constexpr std::int64_t kBreaker = 6;
constexpr std::int64_t kGatewayOutlivesOrderd = 7;
constexpr std::int64_t kUnitsOnHand = 50;  // each product: 30 in main, 20 in backup

const std::vector<ProductSpec> kProducts = {
    {kKillDuringAuthorize, 1500, 30, 20, 0},  {kKillDuringCapture, 1600, 30, 20, 0},
    {kKillThenPurge, 1700, 30, 20, 0},        {kCrashAfterCancel, 1800, 30, 20, 0},
    {kCancelTwice, 1900, 30, 20, 0},          {kBreaker, 500, 30, 20, 0},
    {kGatewayOutlivesOrderd, 700, 30, 20, 0},
};

// ---- Reading orderd --------------------------------------------------------------------------

std::string invocation_of(const std::string& order_id) {
  return "inv_" + order_id.substr(4);  // the saga's invocation: "ord_" + its 26 characters
}

json::object object_or_empty(const HttpResult& r) {
  auto o = object_of(r.body);
  return o ? *o : json::object();
}

struct Stock {
  std::int64_t on_hand = -1, reserved = -1, available = -1, sold = -1;
  bool operator==(const Stock&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Stock& s) {
  return os << "{on_hand " << s.on_hand << ", reserved " << s.reserved << ", available "
            << s.available << ", sold " << s.sold << "}";
}

// All units back: nothing reserved, nothing sold, everything available.
const Stock kAllAvailable{kUnitsOnHand, 0, kUnitsOnHand, 0};

Stock stock_of(HttpClient& api, std::int64_t product) {
  json::object p = object_or_empty(api.get("/api/v1/products/" + std::to_string(product)));
  const json::object& s = object_at(p, "stock");
  return {int_at(s, "on_hand", -1), int_at(s, "reserved", -1), int_at(s, "available", -1),
          int_at(s, "sold", -1)};
}

json::object order_of(HttpClient& api, const std::string& order_id) {
  return object_or_empty(api.get("/api/v1/orders/" + order_id));
}

// The order's payment records, in the order they were made.
std::vector<json::object> payments_of(HttpClient& api, const std::string& order_id) {
  std::vector<json::object> records;
  json::object page = object_or_empty(api.get("/api/v1/payments?order_id=" + order_id));
  if (const auto* data = page.if_contains("data"); data && data->is_array())
    for (const auto& r : data->as_array())
      if (r.is_object()) records.push_back(r.as_object());
  return records;
}

std::string describe(const std::vector<json::object>& records) {
  std::string out = "[";
  for (const auto& r : records)
    out += "\n  " + string_at(r, "type") + " " + string_at(r, "status") + " " + string_at(r, "id") +
           " (" + string_at(r, "message") + ")";
  return out + "]";
}

std::size_t count(const std::vector<json::object>& records, const std::string& type,
                  const std::string& status = "") {
  std::size_t n = 0;
  for (const auto& r : records)
    n += string_at(r, "type") == type && (status.empty() || string_at(r, "status") == status);
  return n;
}

// What an order that did not end confirmed must show in its ledger: no money held. A capture
// that succeeded is refunded once; one that failed without an answer (the gateway may have made
// it) is refunded or its authorization voided, once; an authorization that succeeded, or failed
// without an answer, is voided once. Empty when it holds, else what is wrong.
std::string money_held(const std::vector<json::object>& records) {
  const std::size_t captured = count(records, "capture", "succeeded");
  const std::size_t maybe_captured = count(records, "capture", "failed");
  const std::size_t refunded = count(records, "refund", "succeeded");
  const std::size_t voided = count(records, "void", "succeeded");
  const std::size_t maybe_authorized =
      count(records, "authorize", "succeeded") + count(records, "authorize", "failed");
  if (captured > 1) return "more than one capture";
  if (captured == 1) return refunded == 1 ? "" : "a capture without exactly one refund";
  if (maybe_captured > 0)
    return refunded + voided == 1 ? "" : "a capture that may have been made, not given back once";
  if (refunded != 0) return "a refund without a capture";
  if (maybe_authorized > 0 && voided != 1) return "an authorization without exactly one void";
  if (maybe_authorized == 0 && voided != 0) return "a void without an authorization";
  return {};
}

// The saga's journal, as the admin API describes it.
json::array journal_of(HttpClient& admin, const std::string& invocation_id) {
  json::object d = object_or_empty(admin.get("/invocations/" + invocation_id));
  if (const auto* j = d.if_contains("journal"); j && j->is_array()) return j->as_array();
  return {};
}

// Journal entries of `kind` (and `name`, if given).
std::size_t entries(const json::array& journal, const std::string& kind,
                    const std::string& name = "") {
  std::size_t n = 0;
  for (const auto& e : journal)
    if (e.is_object()) {
      const auto& o = e.as_object();
      n += string_at(o, "kind") == kind && (name.empty() || string_at(o, "name") == name);
    }
  return n;
}

// A gateway operation the saga started (run_async journals an `effect` entry named for it
// before the call goes out).
bool gateway_call_started(const json::array& journal, const std::string& operation) {
  return entries(journal, "effect", operation) > 0;
}

// Polls `done` until it holds or `within` has passed; true if it held.
bool await(std::chrono::milliseconds within, const std::function<bool()>& done,
           std::chrono::milliseconds every = 10ms) {
  const auto deadline = Clock::now() + within;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

// The order id an answer names: its Location, or the problem's order_id.
std::string order_id_in(const HttpResult& r) {
  const std::string prefix = "/api/v1/orders/";
  if (std::string location = r.header("location"); location.rfind(prefix, 0) == 0)
    return location.substr(prefix.size());
  json::object o = object_or_empty(r);
  if (auto id = string_at(o, "order_id"); !id.empty()) return id;
  return string_at(o, "id");
}

std::string order_body(std::int64_t product, std::int64_t quantity, const std::string& method) {
  return json::serialize(json::object{
      {"user_id", 100},
      {"items", json::array{json::object{{"product_id", product}, {"quantity", quantity}}}},
      {"payment_method", method}});
}

// What the gateway did for an order that ended `status`, from its state file (the processor's
// own count, not orderd's ledger). Empty when it is right, else what is wrong: a confirmed order
// was authorized once and captured once, nothing given back; any other holds no money (an
// authorization voided or its capture refunded, each once) and was captured at most once.
std::string gateway_wrong(const std::string& status, const payments::MoneyCount& c) {
  if (status == "confirmed")
    return c == payments::MoneyCount{1, 1, 0, 0} ? "" : "not authorized once and captured once";
  if (c.authorized > 1 || c.captured > 1 || c.voided > 1 || c.refunded > 1)
    return "an operation carried out twice";
  if (c.captured == 1) return c.refunded == 1 ? "" : "captured and not refunded";
  if (c.refunded != 0) return "a refund without a capture";
  if (c.authorized == 1 && c.voided != 1) return "authorized and not voided";
  return {};
}

std::string describe(const payments::MoneyCount& c) {
  return "{authorized " + std::to_string(c.authorized) + ", captured " +
         std::to_string(c.captured) + ", voided " + std::to_string(c.voided) + ", refunded " +
         std::to_string(c.refunded) + "}";
}

// ---- The server ------------------------------------------------------------------------------

class PaymentsAttackTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<OrderdProcess> orderd;
  std::unique_ptr<HttpClient> api, admin;

  std::string data_dir() const { return (dir.path() / "data").string(); }

  // orderd on the test's data dir (kept across restarts), with the test's catalog.
  // False (and a test failure) when it does not start.
  bool start(std::vector<std::string> flags) {
    const auto catalog = dir.path() / "catalog.json";
    if (!std::filesystem::exists(catalog)) {
      std::filesystem::create_directories(data_dir());
      std::ofstream(catalog) << catalog_json(kProducts);
    }
    std::vector<std::string> args{"--catalog", catalog.string(), "--retry-initial-ms", "50"};
    args.insert(args.end(), flags.begin(), flags.end());
    api.reset();
    admin.reset();
    try {
      orderd = std::make_unique<OrderdProcess>(data_dir(), args);
    } catch (const std::exception& e) {
      std::string line;
      for (const auto& a : args) line += " " + a;
      ADD_FAILURE() << "orderd serve" << line << ": " << e.what() << " (an unknown flag?)";
      return false;
    }
    api = std::make_unique<HttpClient>(orderd->port());
    admin = std::make_unique<HttpClient>(orderd->admin_port());
    return true;
  }

  // A mock order of `quantity` units of `product` that answers 202 while its saga runs.
  std::string place_running_order(std::int64_t product, std::int64_t quantity) {
    HttpResult r = api->post("/api/v1/orders", order_body(product, quantity, "mock"));
    EXPECT_EQ(r.status, 202u) << "the saga should still be at the gateway: " << r.body;
    std::string id = order_id_in(r);
    EXPECT_EQ(id.rfind("ord_", 0), 0u) << r.status << " " << r.body;
    return id;
  }

  // Awaits the saga's call of `operation` at the gateway (its latency keeps it out for a while).
  void await_gateway_call(const std::string& order_id, const std::string& operation) {
    json::array journal;
    ASSERT_TRUE(await(5s,
                      [&] {
                        journal = journal_of(*admin, invocation_of(order_id));
                        return gateway_call_started(journal, operation);
                      }))
        << "the saga never called the gateway's " << operation << "; journal "
        << json::serialize(journal);
  }

  HttpResult operator_action(const std::string& order_id, const std::string& action) {
    return admin->request("PATCH", "/invocations/" + invocation_of(order_id) + "/" + action, "");
  }

  // Awaits what every attack must leave: the order ended as `status` with `failure_code`, its
  // units all available again, its ledger holding no money, and `payment_status`. On the
  // deadline, fails showing what was last seen.
  void await_settled(const std::string& order_id, std::int64_t product, const std::string& status,
                     const std::string& failure_code, const std::string& payment_status,
                     std::chrono::milliseconds within = 8s) {
    json::object order;
    Stock stock;
    std::vector<json::object> ledger;
    std::string held;
    const bool settled = await(
        within,
        [&] {
          order = order_of(*api, order_id);
          stock = stock_of(*api, product);
          ledger = payments_of(*api, order_id);
          held = money_held(ledger);
          return string_at(order, "status") == status &&
                 string_at(order, "failure_code") == failure_code && stock == kAllAvailable &&
                 held.empty() && string_at(order, "payment_status") == payment_status;
        },
        25ms);
    EXPECT_TRUE(settled) << "expected the order " << status << " (" << failure_code
                         << "), payment_status " << payment_status << ", stock " << kAllAvailable
                         << ", no money held\n  order: " << json::serialize(order)
                         << "\n  stock: " << stock << "\n  ledger: " << describe(ledger)
                         << "\n  money held: " << (held.empty() ? "none" : held);
  }
};

// Hole: "Of 12 orders whose sagas an operator killed ... two ended failed (order_killed) with an
// empty payment ledger although their authorization had gone out: the hold stays at the
// gateway." The kill lands while the authorization is at the gateway (400 ms of latency).
TEST_F(PaymentsAttackTest, KillDuringAuthorizeVoidsTheAuthorizationAndReleasesTheUnits) {
  ASSERT_TRUE(start(
      {"--payment-latency-ms", "400", "--order-wait", "50ms", "--reclaim-interval", "200ms"}));
  const std::string order_id = place_running_order(kKillDuringAuthorize, 3);
  ASSERT_FALSE(HasFailure());
  await_gateway_call(order_id, "authorize");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(stock_of(*api, kKillDuringAuthorize).reserved, 3);
  EXPECT_FALSE(gateway_call_started(journal_of(*admin, invocation_of(order_id)), "capture"));

  HttpResult killed = operator_action(order_id, "kill");
  ASSERT_EQ(killed.status, 202u) << killed.body;

  await_settled(order_id, kKillDuringAuthorize, "failed", "order_killed", "voided");
  const auto ledger = payments_of(*api, order_id);
  // The authorization went out: the ledger shows it, and its void; nothing was captured.
  EXPECT_EQ(count(ledger, "authorize"), 1u) << describe(ledger);
  EXPECT_EQ(count(ledger, "void", "succeeded"), 1u) << describe(ledger);
  EXPECT_EQ(count(ledger, "capture"), 0u) << describe(ledger);
}

// The same kill, once the authorization succeeded and while the capture is at the gateway: the
// money is refunded if the capture happened, else the authorization voided.
TEST_F(PaymentsAttackTest, KillDuringCaptureRefundsOrVoidsAndReleasesTheUnits) {
  ASSERT_TRUE(start(
      {"--payment-latency-ms", "400", "--order-wait", "50ms", "--reclaim-interval", "200ms"}));
  const std::string order_id = place_running_order(kKillDuringCapture, 2);
  ASSERT_FALSE(HasFailure());
  await_gateway_call(order_id, "capture");
  ASSERT_FALSE(HasFailure());

  HttpResult killed = operator_action(order_id, "kill");
  ASSERT_EQ(killed.status, 202u) << killed.body;

  // Refunded if the capture went through, voided if it did not: the ledger decides which.
  json::object order;
  ASSERT_TRUE(await(8s, [&] {
    order = order_of(*api, order_id);
    return string_at(order, "status") != "pending" && !string_at(order, "status").empty();
  })) << json::serialize(order);
  std::string expected_payment_status;
  ASSERT_TRUE(await(
      8s,
      [&] {
        const auto ledger = payments_of(*api, order_id);
        expected_payment_status = count(ledger, "refund", "succeeded") > 0 ? "refunded" : "voided";
        return count(ledger, "refund", "succeeded") + count(ledger, "void", "succeeded") > 0;
      }))
      << "a killed order's money is never given back: " << describe(payments_of(*api, order_id));
  await_settled(order_id, kKillDuringCapture, "failed", "order_killed", expected_payment_status);
  const auto ledger = payments_of(*api, order_id);
  EXPECT_EQ(count(ledger, "authorize", "succeeded"), 1u) << describe(ledger);
}

// Hole: "Kill an order's saga and purge it before the reclaim runs: the order stays pending and
// its unit stays reserved for ever (the reclaim finds killed orders through their invocation)."
// The purge is refused while the owner holds stock or money; once the reclaim has run, the units
// are back, the order terminal, and the purge goes through.
TEST_F(PaymentsAttackTest, PurgeOfAKilledSagaWaitsForTheReclaim) {
  ASSERT_TRUE(
      start({"--payment-latency-ms", "400", "--order-wait", "50ms", "--reclaim-interval", "1h"}));
  const std::string order_id = place_running_order(kKillThenPurge, 4);
  ASSERT_FALSE(HasFailure());
  await_gateway_call(order_id, "authorize");
  ASSERT_FALSE(HasFailure());
  HttpResult killed = operator_action(order_id, "kill");
  ASSERT_EQ(killed.status, 202u) << killed.body;

  // The kill is done (durable, out of memory) before the purge: a purge of a running or a
  // completing invocation is refused anyway, that is not the attack.
  std::string state;
  ASSERT_TRUE(await(5s,
                    [&] {
                      state = string_at(
                          object_or_empty(admin->get("/invocations/" + invocation_of(order_id))),
                          "status");
                      return state == "failed";
                    }))
      << "the killed saga is " << state;

  // The reclaim has not run (1 h): the order still holds its units, and maybe money.
  HttpResult refused = operator_action(order_id, "purge");
  EXPECT_EQ(refused.status, 409u) << "purge of a killed saga whose order still holds its stock: "
                                  << refused.body;
  EXPECT_TRUE(object_of(refused.body).has_value()) << refused.body;
  EXPECT_EQ(stock_of(*api, kKillThenPurge).reserved, 4);

  // The reclaim runs: the same store under a short interval.
  ASSERT_EQ(orderd->terminate(), 0);
  ASSERT_TRUE(start(
      {"--payment-latency-ms", "400", "--order-wait", "50ms", "--reclaim-interval", "200ms"}));
  await_settled(order_id, kKillThenPurge, "failed", "order_killed", "voided");

  HttpResult purged = operator_action(order_id, "purge");
  EXPECT_EQ(purged.status, 202u) << "the reclaim has run; the purge is allowed: " << purged.body;
  EXPECT_TRUE(await(5s, [&] {
    return admin->get("/invocations/" + invocation_of(order_id)).status == 404u;
  })) << "the purged invocation is still there";
  // The order and its units stay as the reclaim left them.
  EXPECT_EQ(string_at(order_of(*api, order_id), "status"), "failed");
  EXPECT_EQ(stock_of(*api, kKillThenPurge), kAllAvailable);
}

// Hole: "A cancel of a running order answers 202 before the cancel is durable." orderd is killed
// with SIGKILL the moment the 202 is read; the cancel must survive it: after the restart the
// saga's journal holds it, and the order ends cancelled with its units back and its
// authorization voided.
TEST_F(PaymentsAttackTest, KillNineRightAfterACancelsAcceptedKeepsTheCancel) {
  const std::vector<std::string> flags = {"--payment-latency-ms", "1000",  "--order-wait", "1ms",
                                          "--reclaim-interval",   "200ms", "--sync",       "full"};
  ASSERT_TRUE(start(flags));
  const std::string order_id = place_running_order(kCrashAfterCancel, 5);
  ASSERT_FALSE(HasFailure());
  await_gateway_call(order_id, "authorize");
  ASSERT_FALSE(HasFailure());

  HttpResult accepted = api->post("/api/v1/orders/" + order_id + "/cancel", "");
  ASSERT_EQ(accepted.status, 202u) << "the saga waits 1 s for the gateway: " << accepted.body;
  ASSERT_TRUE(orderd->kill_hard()) << "orderd died on its own";

  ASSERT_TRUE(start(flags));
  const json::array journal = journal_of(*admin, invocation_of(order_id));
  EXPECT_EQ(entries(journal, "cancel"), 1u)
      << "the cancel answered 202, so it was durable: " << json::serialize(journal);
  await_settled(order_id, kCrashAfterCancel, "cancelled", "order_cancelled", "voided");
  EXPECT_EQ(count(payments_of(*api, order_id), "capture"), 0u);
}

// Hole: "each repeat [of a cancel] adds a journal entry and a waiter." A second cancel of a
// running order is a no-op that answers as the first did; the saga meets one cancel.
TEST_F(PaymentsAttackTest, ASecondCancelIsANoOpThatAnswersTheSame) {
  ASSERT_TRUE(start(
      {"--payment-latency-ms", "1000", "--order-wait", "100ms", "--reclaim-interval", "200ms"}));
  const std::string order_id = place_running_order(kCancelTwice, 1);
  ASSERT_FALSE(HasFailure());
  await_gateway_call(order_id, "authorize");
  ASSERT_FALSE(HasFailure());

  const std::string cancel = "/api/v1/orders/" + order_id + "/cancel";
  HttpResult first = api->post(cancel, "");
  HttpResult second = api->post(cancel, "");
  EXPECT_EQ(first.status, 202u) << first.body;
  EXPECT_EQ(second.status, first.status) << "first: " << first.body << "\nsecond: " << second.body;
  EXPECT_EQ(order_id_in(second), order_id) << second.body;
  EXPECT_EQ(entries(journal_of(*admin, invocation_of(order_id)), "cancel"), 1u)
      << json::serialize(journal_of(*admin, invocation_of(order_id)));

  await_settled(order_id, kCancelTwice, "cancelled", "order_cancelled", "voided");
  EXPECT_EQ(entries(journal_of(*admin, invocation_of(order_id)), "cancel"), 1u)
      << json::serialize(journal_of(*admin, invocation_of(order_id)));
  // Once it is settled, a cancel finds it cancelled (200), and nothing more happens.
  HttpResult third = api->post(cancel, "");
  EXPECT_EQ(third.status, 200u) << third.body;
  EXPECT_EQ(string_at(object_or_empty(third), "status"), "cancelled") << third.body;
  const auto ledger = payments_of(*api, order_id);
  EXPECT_EQ(count(ledger, "void"), 1u) << describe(ledger);
}

// "A circuit breaker guards the gateway: after --gateway-breaker-failures consecutive failures it
// fails fast with 503 payment_unavailable for --gateway-breaker-cooldown, then lets one probe
// through; its state shows in /health." mock_flaky's first attempt of each operation never
// answers, and --payment-attempts 1 makes each such authorization a failure.
TEST_F(PaymentsAttackTest, TheGatewayBreakerOpensAfterFailuresAndClosesAfterAProbe) {
  ASSERT_TRUE(start({kBreakerFailuresFlag, "3", kBreakerCooldownFlag, "500ms", "--payment-timeout",
                     "200ms", "--payment-attempts", "1", "--reclaim-interval", "200ms"}));
  auto health = [&] { return object_or_empty(api->get("/health")); };
  ASSERT_EQ(breaker_state(health()), "closed") << json::serialize(health());

  // Three orders whose gateway never answers, placed by a client of their own while /health is
  // watched: the breaker may open and close again while one order's answer is awaited (the
  // void of a timed-out authorization retries, and may count as a failure too). Each fails
  // payment_unavailable: 504, or 503 once the breaker is open, or after a 202 when the void
  // outlasts --order-wait.
  struct Answer {
    std::string order_id;
    unsigned status;
    std::string code;
  };
  std::mutex answers_mutex;
  std::vector<Answer> answers;
  std::jthread unanswered_orders([&, port = orderd->port()] {
    HttpClient client(port);
    for (int i = 0; i < 3; ++i) {
      HttpResult r = client.post("/api/v1/orders", order_body(kBreaker, 1, "mock_flaky"));
      std::lock_guard lock(answers_mutex);
      answers.push_back({order_id_in(r), r.status, string_at(object_or_empty(r), "code")});
    }
  });
  json::object seen;
  const bool opened = await(
      6s,
      [&] {
        seen = health();
        return breaker_state(seen) == "open";
      },
      5ms);
  ASSERT_TRUE(opened) << "the breaker never opened; last /health: " << json::serialize(seen);

  // Open: a payment that would succeed is refused at once, without asking the gateway.
  HttpResult fast = api->post("/api/v1/orders", order_body(kBreaker, 1, "mock"));
  EXPECT_EQ(fast.status, 503u) << fast.body;
  EXPECT_EQ(string_at(object_or_empty(fast), "code"), "payment_unavailable") << fast.body;

  // After the cooldown a probe goes through: an order is confirmed, and the breaker closes.
  HttpResult probe;
  const bool confirmed = await(
      8s,
      [&] {
        probe = api->post("/api/v1/orders", order_body(kBreaker, 1, "mock"));
        return probe.status == 201u;
      },
      100ms);
  EXPECT_TRUE(confirmed) << "no order went through after the cooldown; last: " << probe.status
                         << " " << probe.body << "\nhealth: " << json::serialize(health());
  EXPECT_EQ(string_at(object_or_empty(probe), "status"), "confirmed") << probe.body;
  EXPECT_TRUE(await(3s, [&] { return breaker_state(health()) == "closed"; }))
      << json::serialize(health());
  unanswered_orders.join();
  for (const auto& a : answers) {
    EXPECT_TRUE(a.status == 504u || a.status == 503u || a.status == 202u)
        << a.order_id << ": " << a.status << " " << a.code;
    if (a.status != 202u) {
      EXPECT_EQ(a.code, "payment_unavailable") << a.order_id;
    }
  }
  // Each timed-out authorization may have been made at the gateway: each is voided, once.
  for (const auto& a : answers) {
    const std::string& order_id = a.order_id;
    json::object order;
    std::vector<json::object> ledger;
    EXPECT_TRUE(await(8s,
                      [&] {
                        order = order_of(*api, order_id);
                        ledger = payments_of(*api, order_id);
                        return string_at(order, "status") == "failed" && money_held(ledger).empty();
                      }))
        << json::serialize(order) << "\n  ledger: " << describe(ledger)
        << "\n  money held: " << money_held(ledger);
    EXPECT_EQ(string_at(order, "failure_code"), "payment_unavailable") << json::serialize(order);
    EXPECT_EQ(count(ledger, "void", "succeeded"),
              count(ledger, "authorize", "failed") > 0 ? 1u : 0u)
        << describe(ledger);
  }
  // Every order the breaker failed gave back its units; only the confirmed one is sold.
  EXPECT_TRUE(await(5s, [&] {
    const Stock s = stock_of(*api, kBreaker);
    return s.reserved == 0 && s.sold == 1 && s.available == kUnitsOnHand - 1;
  })) << stock_of(*api, kBreaker);
}

// Issue 17's proof needs a gateway that outlives orderd: with --mock-gateway-state the mock
// writes each operation to a file before answering it and reads the file back at start, as a
// processor outside orderd would. orderd is killed with SIGKILL while orders' authorizations
// and captures are at the gateway (answers 300 ms away), some of them being cancelled; after the
// restart every order settles, and the gateway's own file must show each confirmed order
// authorized and captured exactly once, every other one holding no money, and no operation
// carried out twice (a gateway that forgot its keys would authorize again on the saga's retry).
TEST_F(PaymentsAttackTest, KillNineWithPaymentsInFlightChargesEachConfirmedOrderOnce) {
  const std::string state_file = (dir.path() / "gateway.jsonl").string();
  const std::vector<std::string> flags = {
      "--payment-latency-ms", "300",   "--order-wait",         "1ms",
      "--reclaim-interval",   "200ms", "--mock-gateway-state", state_file};
  ASSERT_TRUE(start(flags));
  constexpr int kOrders = 10;
  std::vector<std::string> order_ids;
  for (int i = 0; i < kOrders; ++i) {
    order_ids.push_back(place_running_order(kGatewayOutlivesOrderd, 1));
    ASSERT_FALSE(HasFailure());
    if (i % 3 == 1) {  // some are cancelled while their payment is at the gateway
      HttpResult cancel = api->post("/api/v1/orders/" + order_ids.back() + "/cancel", "");
      EXPECT_TRUE(cancel.status == 202u || cancel.status == 200u) << cancel.body;
    }
  }
  // The kill lands with operations carried out at the gateway and their answers on the way:
  // every authorization made, and the first captures (or voids) made too.
  std::size_t carried_out = 0;
  ASSERT_TRUE(await(5s,
                    [&] {
                      carried_out = payments::read_gateway_records(state_file).size();
                      return carried_out >= kOrders + 2;
                    }))
      << "the gateway carried out " << carried_out << " operations";
  std::size_t still_pending = 0;
  for (const auto& id : order_ids)
    still_pending += string_at(order_of(*api, id), "status") == "pending";
  ASSERT_TRUE(orderd->kill_hard()) << "orderd died on its own";
  EXPECT_GT(still_pending, 0u) << "every order had settled before the kill: nothing was in flight";

  ASSERT_TRUE(start(flags));
  std::vector<std::string> statuses(order_ids.size());
  for (std::size_t i = 0; i < order_ids.size(); ++i) {
    json::object order;
    std::vector<json::object> ledger;
    EXPECT_TRUE(await(
        15s,
        [&] {
          order = order_of(*api, order_ids[i]);
          ledger = payments_of(*api, order_ids[i]);
          const std::string status = string_at(order, "status");
          return (status == "confirmed" && count(ledger, "capture", "succeeded") == 1) ||
                 ((status == "failed" || status == "cancelled") && money_held(ledger).empty());
        },
        25ms))
        << order_ids[i] << " never settled: " << json::serialize(order)
        << "\n  ledger: " << describe(ledger) << "\n  money held: " << money_held(ledger);
    statuses[i] = string_at(order, "status");
  }
  EXPECT_TRUE(await(5s, [&] { return stock_of(*api, kGatewayOutlivesOrderd).reserved == 0; }))
      << stock_of(*api, kGatewayOutlivesOrderd);

  // The processor's count, read from its own file.
  const auto records = payments::read_gateway_records(state_file);
  std::map<std::string, std::size_t> times_carried_out;
  for (const auto& r : records) ++times_carried_out[r.key];
  for (const auto& [key, times] : times_carried_out)
    EXPECT_EQ(times, 1u) << "the gateway carried out " << key << " " << times << " times";
  const auto at_gateway = payments::read_gateway_state(state_file);
  std::size_t confirmed = 0;
  for (std::size_t i = 0; i < order_ids.size(); ++i) {
    auto it = at_gateway.find("order:" + order_ids[i]);
    const payments::MoneyCount counted =
        it == at_gateway.end() ? payments::MoneyCount{} : it->second;
    EXPECT_EQ(gateway_wrong(statuses[i], counted), "")
        << order_ids[i] << " ended " << statuses[i] << "; at the gateway " << describe(counted)
        << "; its ledger " << describe(payments_of(*api, order_ids[i]));
    confirmed += statuses[i] == "confirmed";
  }
  for (const auto& [owner, counted] : at_gateway)
    EXPECT_TRUE(std::find(order_ids.begin(), order_ids.end(), owner.substr(6)) != order_ids.end())
        << "the gateway moved money for " << owner << ", none of these orders";
  EXPECT_GT(confirmed, 0u) << "no order was confirmed: the attack proved nothing about charges";
  EXPECT_EQ(stock_of(*api, kGatewayOutlivesOrderd).sold, static_cast<std::int64_t>(confirmed));
}

}  // namespace
}  // namespace orderd::testing
