// The commerce API under contention and kill -9: no oversell, no double charge, nothing stuck.
//
// The real orderd binary on its real SQLite store, with a catalog whose hot products have far
// fewer units than the buyers want (product 1: 30 in "main" + 20 in "backup"). Hundreds of
// orders come from dozens of client threads: random baskets of several products in random order
// (some naming a product twice), quantities 1-3, some paid with mock_declined (or declined by
// --payment-decline-rate), some with mock_flaky (their gateway times out twice per operation,
// so the saga outlives --order-wait and the POST answers 202), some too expensive for the fraud
// rule (authorized, then voided); some placed from short-lived reservations (ttl 1-2 s) that may
// expire first, a few of those named by a second order too; some cancelled right after their
// answer, some while their saga still runs, some later, a few twice; two restocks during the
// run. Every request carries an Idempotency-Key and is retried with it until it has a final
// answer, across connection errors, 503, 202 and 409 idempotency_key_in_use. Meanwhile orderd
// is killed with SIGKILL four times and restarted on the same data directory; the clients find
// the new port.
//
// Once everything has settled (awaited with a deadline, never a fixed sleep):
//  - every order is terminal; the store's orders are exactly the ones the keys named, one per
//    key, the same id in every answer for a key; each answer given stays true (a confirmed
//    order is confirmed, or cancelled because we asked; a failure stays that failure); the
//    status index lists each order under its status; a replay of each key gives its first
//    answer again, and the key with another body is refused;
//  - stock, per product and per warehouse: sold == the units of the confirmed orders (the
//    clients' view, not the server's counter), reserved == 0, and
//    available + reserved + sold == on hand at start + restocked, every level >= 0; hence
//    sold <= start + restocked. For the hot products the demand exceeded the stock and some
//    orders were refused out_of_stock. available == 0 is NOT asserted: units a cancel, a
//    declined payment, a fraud rejection or an expired reservation gives back after the last
//    buyer of that product stay available, legitimately;
//  - payments, from GET /api/v1/payments for every order: at most one authorization, at most
//    one capture, and a capture, void or refund only after a succeeded authorization; a
//    confirmed order has exactly one succeeded capture and no void or refund; a failed order
//    has no capture; a failed or cancelled order that was authorized has exactly one succeeded
//    void (never captured) or one succeeded refund (captured), never both; every amount is the
//    order's total;
//  - reservations: none is left held, each is used by at most one confirmed order, and one
//    that a confirmed order used is committed;
//  - a last kill -9 and restart changes nothing that was read (memory was what the rows say);
//    no invocation is left unfinished, no committed step ran twice (--audit-log), and the
//    store passes PRAGMA integrity_check.
//
// ORDERD_OVERSELL_SEED replays a run's choices (not the scheduling of two processes).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "client/http_client.hpp"
#include "support/findings.hpp"
#include "support/fixtures.hpp"
#include "support/json_fields.hpp"
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

// ---- The catalog ----------------------------------------------------------------------------

// 1 and 2 are the hot products; 4 is expensive (three of them exceed the fraud rule).
const std::vector<ProductSpec> kProducts = {
    {1, 1500, 30, 20, 0.55},
    {2, 2500, 8, 12, 0.35},
    {3, 500, 250, 150, 0.45},
    {4, 90000, 25, 15, 0.2},
};

// The shape of the run: half the orders arrive spread over kArrivalSpan, the other half in
// kBursts bursts of simultaneous buyers (kBurstSpread wide). Four of the bursts are cut by a
// kill -9 soon after they start, once a dozen requests are in flight (when that many come).
constexpr int kOrders = 640;
constexpr int kClients = 64;
constexpr auto kArrivalSpan = 14s;
constexpr int kBursts = 8;
constexpr auto kBurstSpread = 150ms;
const std::vector<int> kKilledBursts = {0, 2, 4, 6};
constexpr int kUsers = 16;
// Restocks during the run, each just before a burst: {burst, product, warehouse, units}.
struct Restock {
  int burst;
  std::int64_t product;
  std::string warehouse;
  std::int64_t units;
};
const std::vector<Restock> kRestocks = {
    {3, 1, "backup", 20}, {3, 2, "main", 10}, {5, 1, "main", 15}, {5, 4, "backup", 10}};

std::chrono::milliseconds random_ms(std::mt19937_64& rng, std::chrono::milliseconds below) {
  return std::chrono::milliseconds(rng() % static_cast<std::uint64_t>(below.count()));
}

// When the bursts come (ms from the start): one every 1.7 s or so, from 0.8 s.
std::vector<std::chrono::milliseconds> burst_times(std::mt19937_64& rng) {
  std::vector<std::chrono::milliseconds> at;
  for (int b = 0; b < kBursts; ++b) at.push_back(800ms + b * 1700ms + random_ms(rng, 400ms));
  return at;
}

// ---- A client that outlives the kills -------------------------------------------------------

// How long a connection (support/shop_http) waits after losing orderd: longer than the
// default, as 64 clients retry at once through every restart.
constexpr auto kRetryPause = 20ms;

// The connections' counters (support/shop_http), and how often the answers made them retry.
struct Counters : ConnCounters {
  std::atomic<int> unavailable{0}, in_use{0}, accepted_202{0}, replayed{0};
};

// ---- What the clients were told ---------------------------------------------------------------

// A request's last answer, once final.
struct Final {
  bool ok = false;  // a final answer came (else: unexpected, or the deadline)
  unsigned status = 0;
  std::string code;    // problem+json code, or empty
  json::object order;  // the order (reservation) in the answer: 200/201 body, problem's "order"
  std::string body;
};

struct KeyRecord {
  std::string kind;           // order, cancel, reservation, restock
  std::string request;        // method path body
  std::set<std::string> ids;  // every order (or reservation) id an answer named
  Final first_final;
  int attempts = 0;
  bool cut = false;  // some attempt lost its connection: a kill came while it was out
};

struct OrderRecord {
  std::string key;  // the key that placed it
  std::string body;
  Final answer;  // the POST's final answer
  std::string reservation_id;
  int cancels_sent = 0;
  bool cancel_answered_cancelled = false;  // some cancel answered 200 with the order cancelled
  std::vector<std::string> cancel_answers;
};

struct Ledger {
  std::mutex mutex;
  std::map<std::string, KeyRecord> keys;
  std::map<std::string, OrderRecord> orders;                           // by order id
  std::map<std::string, std::vector<std::string>> reservation_orders;  // res id -> order ids
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> restocked;
  std::vector<std::string> problems;  // unexpected answers, deadlines

  void problem(std::string what) {
    std::lock_guard lock(mutex);
    problems.push_back(std::move(what));
  }
  void note_id(const std::string& key, const std::string& id) {
    if (id.empty()) return;
    std::lock_guard lock(mutex);
    keys[key].ids.insert(id);
  }
};

std::string order_id_in(const HttpResult& r, const std::optional<json::object>& body) {
  if (body) {
    if (auto id = string_at(*body, "order_id"); !id.empty()) return id;
    if (r.status == 201 || r.status == 202) {
      if (auto id = string_at(*body, "id"); id.rfind("ord_", 0) == 0) return id;
    }
  }
  const std::string location = r.header("location");
  const std::string prefix = "/api/v1/orders/";
  if (location.rfind(prefix, 0) == 0) return location.substr(prefix.size());
  return {};
}

// Sends a keyed request until its answer is final: anything but a lost connection, 503, 202
// and 409 idempotency_key_in_use. `on_answer` sees every answer (to note the ids it names, to
// cancel a running saga).
template <class OnAnswer>
Final until_final(Conn& conn, Ledger& ledger, Counters& counters, const std::string& kind,
                  const std::string& method, const std::string& path, const std::string& body,
                  const std::string& key, OnAnswer on_answer) {
  {
    std::lock_guard lock(ledger.mutex);
    auto& record = ledger.keys[key];
    record.kind = kind;
    record.request = method + " " + path + " " + body;
  }
  std::optional<HttpResult> last;
  for (int attempt = 1;; ++attempt) {
    {
      std::lock_guard lock(ledger.mutex);
      ledger.keys[key].attempts = attempt;
    }
    last = conn.exchange(method, path, body, {{"idempotency-key", key}});
    if (conn.lost() > 0) {
      std::lock_guard lock(ledger.mutex);
      ledger.keys[key].cut = true;
    }
    if (!last) break;
    auto parsed = object_of(last->body);
    const std::string code = parsed ? string_at(*parsed, "code") : std::string();
    if (last->header("idempotent-replayed") == "true") ++counters.replayed;
    on_answer(*last, parsed);
    const bool in_use = last->status == 409 && code == "idempotency_key_in_use";
    if (last->status == 503 || in_use || last->status == 202) {
      if (last->status == 503) ++counters.unavailable;
      if (in_use) ++counters.in_use;
      if (last->status == 202) ++counters.accepted_202;
      std::this_thread::sleep_for(50ms);
      continue;
    }
    Final f;
    f.ok = true;
    f.status = last->status;
    f.code = code;
    f.body = last->body;
    if (parsed) {
      if (last->status == 201 || last->status == 200) {
        f.order = *parsed;
      } else if (const auto* o = parsed->if_contains("order"); o && o->is_object()) {
        f.order = o->as_object();
      }
    }
    std::lock_guard lock(ledger.mutex);
    auto& record = ledger.keys[key];
    if (!record.first_final.ok) record.first_final = f;
    return f;
  }
  int attempts = 0;
  {
    std::lock_guard lock(ledger.mutex);
    attempts = ledger.keys[key].attempts;
  }
  ledger.problem(kind + " " + key + " got no final answer before the deadline (" + method + " " +
                 path + " " + body + ", " + std::to_string(attempts) +
                 " attempts); last: " + describe(last));
  return {};
}

// ---- The plan ---------------------------------------------------------------------------------

enum class CancelMode { kNone, kRightAfter, kWhileRunning, kLater, kTwice };

struct Plan {
  int index = 0;
  std::chrono::milliseconds start{0};
  std::int64_t user = 1;
  std::vector<std::pair<std::int64_t, std::int64_t>> items;  // product, quantity; random order
  std::string method = "mock";
  bool reservation = false;
  std::int64_t ttl_s = 1;
  std::chrono::milliseconds order_after{0};  // after the reservation: may outlive its ttl
  bool items_with_reservation = false;       // send the items too (they match)
  bool second_order_on_reservation = false;  // another key, another user, the same reservation
  CancelMode cancel = CancelMode::kNone;
};

std::vector<Plan> make_plan(std::mt19937_64& rng,
                            const std::vector<std::chrono::milliseconds>& bursts) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Plan> plan;
  for (int i = 0; i < kOrders; ++i) {
    Plan p;
    p.index = i;
    p.start = i % 2 ? random_ms(rng, kArrivalSpan)
                    : bursts[static_cast<std::size_t>(i / 2) % bursts.size()] +
                          random_ms(rng, kBurstSpread);
    p.user = 1 + static_cast<std::int64_t>(rng() % kUsers);
    for (const auto& product : kProducts)
      if (u(rng) < product.weight)
        p.items.emplace_back(product.id, 1 + static_cast<std::int64_t>(rng() % 3));
    if (p.items.empty())
      p.items.emplace_back(kProducts[rng() % kProducts.size()].id,
                           1 + static_cast<std::int64_t>(rng() % 3));
    std::shuffle(p.items.begin(), p.items.end(), rng);
    // A product named twice in one basket (a client adding to its cart twice).
    if (u(rng) < 0.05) p.items.emplace_back(p.items.front().first, 1);
    const double m = u(rng);
    p.method = m < 0.12 ? "mock_declined" : m < 0.22 ? "mock_flaky" : "mock";
    p.reservation = u(rng) < 0.15;
    if (p.reservation) {
      p.ttl_s = 1 + static_cast<std::int64_t>(rng() % 2);
      p.order_after = std::chrono::milliseconds(rng() % 2500);
      p.items_with_reservation = u(rng) < 0.5;
      p.second_order_on_reservation = u(rng) < 0.2;
    }
    const double c = u(rng);
    if ((p.method == "mock_flaky" && c < 0.4) || c > 0.95)
      p.cancel = CancelMode::kWhileRunning;  // if an answer names it while it runs; else after
    else if (c < 0.10)
      p.cancel = CancelMode::kRightAfter;
    else if (c < 0.18)
      p.cancel = CancelMode::kLater;
    else if (c < 0.21)
      p.cancel = CancelMode::kTwice;
    plan.push_back(std::move(p));
  }
  std::sort(plan.begin(), plan.end(),
            [](const Plan& a, const Plan& b) { return a.start < b.start; });
  return plan;
}

json::array items_json(const std::vector<std::pair<std::int64_t, std::int64_t>>& items) {
  json::array a;
  for (const auto& [product, quantity] : items)
    a.push_back({{"product_id", product}, {"quantity", quantity}});
  return a;
}

// ---- The run ----------------------------------------------------------------------------------

class CommerceOversellTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path audit_path = dir.path() / "audit.log";
  std::filesystem::path catalog_path = dir.path() / "catalog.json";
  std::vector<std::string> args;
  Endpoint endpoint;
  Counters counters;
  Ledger ledger;
  std::mutex later_mutex;
  std::vector<std::tuple<Clock::time_point, std::string, std::string>> later;  // due, id, key
  std::atomic<int> workers_left{0};
  std::uint64_t seed = 0;

  // A failed run keeps its store, audit log and catalog for a look (orderctl, sqlite3).
  void TearDown() override {
    if (!HasFailure()) return;
    const auto kept =
        std::filesystem::temp_directory_path() / ("orderd-oversell-" + std::to_string(seed));
    std::error_code ec;
    std::filesystem::remove_all(kept, ec);
    std::filesystem::copy(dir.path(), kept, std::filesystem::copy_options::recursive, ec);
    std::cout << "the failed run's data dir, audit log and catalog are kept in " << kept.string()
              << (ec ? " (copy failed: " + ec.message() + ")" : std::string()) << "\n";
  }

  // orderd on the test's data, its port published to the clients; false if it would not start.
  bool start(std::unique_ptr<OrderdProcess>& orderd) {
    try {
      orderd = std::make_unique<OrderdProcess>(data_dir(), args);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "orderd did not start on its data dir (a crash in recovery?): " << e.what();
      endpoint.abandoned = true;
      return false;
    }
    endpoint.port = orderd->port();
    return true;
  }

  void SetUp() override {
    std::filesystem::create_directories(dir.path() / "data");
    std::ofstream(catalog_path) << catalog_json(kProducts);
    args = {"--catalog", catalog_path.string(), "--order-wait", "400ms", "--payment-latency-ms",
            "80", "--payment-timeout", "250ms", "--payment-decline-rate", "0.1",
            "--fraud-reject-above",
            "25",  // a total of $2,100 or more: three of product 4
            "--retry-initial-ms", "50",
            // mock_flaky's lost answers would open the gateway's breaker, whose fail-fast 503s
            // this test's clients retry as overload; the breaker has its own attack
            // (payments_attack_test).
            "--gateway-breaker-failures", "0", "--audit-log", audit_path.string()};
  }

  std::string data_dir() const { return (dir.path() / "data").string(); }

  // One cancel, retried with its key until final: 200 with the order cancelled, or 409
  // order_not_cancellable (the order had failed).
  void cancel(Conn& conn, const std::string& order_id, const std::string& key) {
    {
      std::lock_guard lock(ledger.mutex);
      ++ledger.orders[order_id].cancels_sent;
    }
    Final f =
        until_final(conn, ledger, counters, "cancel", "POST",
                    "/api/v1/orders/" + order_id + "/cancel", R"({"reason":"changed my mind"})",
                    key, [](const HttpResult&, const std::optional<json::object>&) {});
    if (!f.ok) return;
    const bool cancelled = f.status == 200 && string_at(f.order, "status") == "cancelled" &&
                           string_at(f.order, "id") == order_id;
    const bool refused = f.status == 409 && f.code == "order_not_cancellable";
    std::lock_guard lock(ledger.mutex);
    auto& order = ledger.orders[order_id];
    order.cancel_answers.push_back(std::to_string(f.status) + " " + f.body);
    if (cancelled) order.cancel_answered_cancelled = true;
    if (!cancelled && !refused)
      ledger.problems.push_back("cancel " + key + " of " + order_id + ": unexpected answer " +
                                std::to_string(f.status) + " " + f.body);
  }

  // One order, retried with its key until final. Returns its id (empty if none is known).
  std::string place(Conn& conn, const std::string& key, const json::object& body,
                    const std::string& reservation_id, bool cancel_while_running) {
    const std::string text = json::serialize(body);
    bool cancelled_running = false;
    Final f = until_final(
        conn, ledger, counters, "order", "POST", "/api/v1/orders", text, key,
        [&](const HttpResult& r, const std::optional<json::object>& parsed) {
          const std::string id = order_id_in(r, parsed);
          ledger.note_id(key, id);
          // The saga still runs: cancel it now, once (it stops at its next step and unwinds).
          if (cancel_while_running && !cancelled_running && !id.empty() &&
              (r.status == 202 || (r.status == 409 && parsed &&
                                   string_at(*parsed, "code") == "idempotency_key_in_use"))) {
            cancelled_running = true;
            cancel(conn, id, "cancel-" + key);
          }
        });
    if (!f.ok) return {};
    std::string id = string_at(f.order, "id");
    if (id.empty() && f.status != 201)
      id = order_id_in(HttpResult{f.status, f.body, {}, {}, {}}, object_of(f.body));
    const bool order_answer = !f.order.empty() && !id.empty();
    std::lock_guard lock(ledger.mutex);
    if (!order_answer) {
      ledger.problems.push_back("order " + key + " " + text + ": unexpected final answer " +
                                std::to_string(f.status) + " " + f.body);
      if (id.empty()) return {};
    }
    auto& order = ledger.orders[id];
    order.key = key;
    order.body = text;
    order.answer = f;
    order.reservation_id = reservation_id;
    if (!reservation_id.empty()) ledger.reservation_orders[reservation_id].push_back(id);
    return id;
  }

  // A reservation, retried with its key until final: its id, or empty (out of stock).
  std::string reserve(Conn& conn, const std::string& key, const Plan& p) {
    json::object body{{"items", items_json(p.items)}, {"ttl_seconds", p.ttl_s}};
    Final f = until_final(conn, ledger, counters, "reservation", "POST", "/api/v1/reservations",
                          json::serialize(body), key,
                          [](const HttpResult&, const std::optional<json::object>&) {});
    if (!f.ok) return {};
    if (f.status == 201) {
      const std::string id = string_at(f.order, "id");
      ledger.note_id(key, id);
      return id;
    }
    if (f.status != 409 || f.code != "out_of_stock")
      ledger.problem("reservation " + key + ": unexpected answer " + std::to_string(f.status) +
                     " " + f.body);
    return {};
  }

  void run_plan(Conn& conn, const Plan& p, std::mt19937_64& rng) {
    const std::string key = "order-" + std::to_string(p.index);
    std::string reservation_id;
    if (p.reservation) {
      reservation_id = reserve(conn, "reservation-" + std::to_string(p.index), p);
      if (!reservation_id.empty()) std::this_thread::sleep_for(p.order_after);
    }
    json::object body{{"user_id", p.user}, {"payment_method", p.method}};
    if (reservation_id.empty() || p.items_with_reservation) body["items"] = items_json(p.items);
    if (!reservation_id.empty()) body["reservation_id"] = reservation_id;
    if (p.index % 3 == 0)
      body["shipping"] = {{"destination", "Lisbon"},
                          {"carrier", p.index % 2 ? "express" : "economy"}};
    const std::string id =
        place(conn, key, body, reservation_id, p.cancel == CancelMode::kWhileRunning);
    if (!reservation_id.empty() && p.second_order_on_reservation) {
      json::object other{{"user_id", 1 + (p.user % kUsers)},
                         {"payment_method", "mock"},
                         {"reservation_id", reservation_id}};
      place(conn, key + "-b", other, reservation_id, false);
    }
    if (id.empty()) return;
    switch (p.cancel) {
      case CancelMode::kNone:
        break;
      case CancelMode::kWhileRunning: {
        std::lock_guard lock(ledger.mutex);
        if (ledger.orders[id].cancels_sent > 0) break;
      }
        [[fallthrough]];  // it never ran long enough: cancel it now
      case CancelMode::kRightAfter:
        cancel(conn, id, "cancel-" + key);
        break;
      case CancelMode::kTwice:
        cancel(conn, id, "cancel-" + key);
        cancel(conn, id, "cancel-again-" + key);
        break;
      case CancelMode::kLater: {
        std::lock_guard lock(later_mutex);
        later.emplace_back(Clock::now() + std::chrono::milliseconds(500 + rng() % 2500), id,
                           "cancel-" + key);
        break;
      }
    }
  }

  // The cancels made later, as they fall due, until the clients are done and none is left.
  void run_later_cancels(Conn& conn) {
    for (;;) {
      std::optional<std::tuple<Clock::time_point, std::string, std::string>> due;
      bool empty = false;
      {
        std::lock_guard lock(later_mutex);
        auto it = std::min_element(later.begin(), later.end());
        if (it != later.end() && std::get<0>(*it) <= Clock::now()) {
          due = *it;
          later.erase(it);
        }
        empty = later.empty();
      }
      if (due) {
        cancel(conn, std::get<1>(*due), std::get<2>(*due));
        continue;
      }
      if (empty && workers_left.load() == 0) return;
      if (Clock::now() > conn.deadline()) return;
      std::this_thread::sleep_for(20ms);
    }
  }

  void restock(Conn& conn, const Restock& r, int index) {
    const std::string key = "restock-" + std::to_string(index);
    Final f = until_final(conn, ledger, counters, "restock", "PUT",
                          "/api/v1/products/" + std::to_string(r.product) + "/stock/" + r.warehouse,
                          "{\"restock\":" + std::to_string(r.units) + "}", key,
                          [](const HttpResult&, const std::optional<json::object>&) {});
    if (!f.ok) return;
    if (f.status != 200) {
      ledger.problem("restock " + key + ": " + std::to_string(f.status) + " " + f.body);
      return;
    }
    std::lock_guard lock(ledger.mutex);
    ledger.restocked[{r.product, r.warehouse}] += r.units;
  }
};

// ---- Reading the outcome ----------------------------------------------------------------------

// Every page of a listing, newest first.
std::vector<json::object> list_all(Conn& conn, const std::string& query) {
  std::vector<json::object> all;
  std::string after;
  for (;;) {
    std::string path = "/api/v1/orders?limit=100" + query;
    if (!after.empty()) path += "&starting_after=" + after;
    auto r = conn.exchange("GET", path, "", {});
    if (!r || r->status != 200) {
      ADD_FAILURE() << "GET " << path << ": " << describe(r);
      return all;
    }
    auto page = object_of(r->body);
    if (!page) {
      ADD_FAILURE() << "GET " << path << ": not JSON: " << r->body;
      return all;
    }
    for (const auto& o : page->at("data").as_array()) all.push_back(o.as_object());
    if (!page->at("has_more").as_bool() || page->at("data").as_array().empty()) return all;
    after = string_at(all.back(), "id");
  }
}

TEST_F(CommerceOversellTest, NoOversellNoDoubleChargeAcrossKillNine) {
  // Unbuffered: a run cut by ctest's timeout still shows the seed and how far it got.
  std::cout << std::unitbuf;
  const char* fixed = std::getenv("ORDERD_OVERSELL_SEED");
  seed = fixed ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
  std::cout << "oversell seed " << seed << " (ORDERD_OVERSELL_SEED)\n";
  std::mt19937_64 rng(seed);
  const std::vector<std::chrono::milliseconds> bursts = burst_times(rng);
  const std::vector<Plan> plan = make_plan(rng, bursts);
  std::vector<std::chrono::milliseconds> kills;
  for (int b : kKilledBursts)
    kills.push_back(bursts[static_cast<std::size_t>(b)] + random_ms(rng, 100ms));

  const auto started = Clock::now();
  const auto deadline = started + 75s;  // for every client; the test fails past it
  std::unique_ptr<OrderdProcess> orderd;
  ASSERT_TRUE(start(orderd));

  // The clients, the later cancels and the restocks.
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  workers_left = kClients;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, worker_seed = rng()] {
      std::mt19937_64 worker_rng(worker_seed);
      Conn conn(endpoint, deadline, &counters, kRetryPause);
      for (std::size_t i; (i = next++) < plan.size();) {
        std::this_thread::sleep_until(started + plan[i].start);
        run_plan(conn, plan[i], worker_rng);
      }
      --workers_left;
    });
  }
  threads.emplace_back([&] {
    Conn conn(endpoint, deadline, &counters, kRetryPause);
    run_later_cancels(conn);
  });
  threads.emplace_back([&] {
    Conn conn(endpoint, deadline, &counters, kRetryPause);
    for (std::size_t i = 0; i < kRestocks.size(); ++i) {
      std::this_thread::sleep_until(started + bursts[static_cast<std::size_t>(kRestocks[i].burst)] -
                                    50ms);
      restock(conn, kRestocks[i], static_cast<int>(i));
    }
  });

  // Kill -9 in each window, and restart on the same data at once.
  for (auto at : kills) {
    // In the burst, once a dozen requests are in flight (or 400 ms later).
    std::this_thread::sleep_until(started + at);
    for (auto give_up = Clock::now() + 400ms; counters.in_flight < 12 && Clock::now() < give_up;)
      std::this_thread::sleep_for(1ms);
    const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    const int in_flight = counters.in_flight;
    EXPECT_TRUE(orderd->kill_hard())
        << "orderd died on its own before the kill at " << t.count() << " ms";
    endpoint.port = 0;
    orderd.reset();
    const auto restarting = Clock::now();
    if (!start(orderd)) break;
    std::cout
        << "kill -9 at " << t.count() << " ms with " << in_flight
        << " requests in flight; restarted in "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarting).count()
        << " ms\n";
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(endpoint.abandoned);
  const auto load_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  std::cout << "load done in " << load_ms << " ms: " << ledger.orders.size() << " orders, "
            << ledger.keys.size() << " keys; " << counters.connection_errors
            << " connection errors, " << counters.unavailable << " 503, " << counters.in_use
            << " 409 key in use, " << counters.accepted_202 << " 202, " << counters.replayed
            << " replays\n";

  for (const auto& p : ledger.problems) ADD_FAILURE() << p;
  // Carry on: what the store says about the same orders tells more.
  Findings findings(Findings::Mode::kFailAtOnce);

  // One key, one order: every answer for a key named the same id.
  for (const auto& [key, record] : ledger.keys) {
    if (record.ids.size() > 1) {
      std::string ids;
      for (const auto& id : record.ids) ids += id + " ";
      findings.add("key named several ids", key + " (" + record.request + "): " + ids);
    }
  }

  Conn conn(endpoint, Clock::now() + 60s, &counters, kRetryPause);

  // Settled: no pending order, nothing reserved (every reservation expired or ended). Awaited.
  const auto settle_deadline = Clock::now() + 30s;
  for (;;) {
    bool settled = list_all(conn, "&status=pending").empty();
    for (const auto& p : kProducts) {
      auto product = conn.get_object("/api/v1/products/" + std::to_string(p.id));
      if (!product || product->at("stock").as_object().at("reserved").as_int64() != 0)
        settled = false;
    }
    if (settled) break;
    if (Clock::now() > settle_deadline) {
      for (const auto& o : list_all(conn, "&status=pending"))
        ADD_FAILURE() << "order still pending: " << json::serialize(o);
      for (const auto& p : kProducts)
        if (auto product = conn.get_object("/api/v1/products/" + std::to_string(p.id)))
          ADD_FAILURE() << "stock not settled: " << json::serialize(*product);
      FAIL() << "the orders did not settle within 30 s";
    }
    std::this_thread::sleep_for(100ms);
  }

  // Every order as the store has it now.
  std::map<std::string, json::object> orders;
  for (const auto& [id, record] : ledger.orders) {
    if (auto o = conn.get_object("/api/v1/orders/" + id)) orders[id] = *o;
  }
  {
    std::set<std::string> listed;
    for (const auto& o : list_all(conn, "")) listed.insert(string_at(o, "id"));
    for (const auto& id : listed)
      if (!ledger.orders.count(id))
        findings.add("order no key named", id);  // a lost key made a second order
    for (const auto& [id, o] : orders)
      if (!listed.count(id)) findings.add("order missing from the list", json::serialize(o));
    for (const char* status : {"pending", "confirmed", "failed", "cancelled"}) {
      std::set<std::string> by_status;
      for (const auto& o : list_all(conn, std::string("&status=") + status))
        by_status.insert(string_at(o, "id"));
      for (const auto& [id, o] : orders)
        if ((string_at(o, "status") == status) != (by_status.count(id) > 0))
          findings.add("status index disagrees", std::string(status) + ": " + json::serialize(o));
    }
    std::set<std::string> by_user;
    for (int user = 1; user <= kUsers; ++user)
      for (const auto& o : list_all(conn, "&user_id=" + std::to_string(user))) {
        if (int_at(o, "user_id") != user) findings.add("user index disagrees", json::serialize(o));
        by_user.insert(string_at(o, "id"));
      }
    EXPECT_EQ(by_user, listed) << "the per-user listings do not cover the orders";
  }

  // Each order: terminal, consistent with what its answers said.
  std::map<std::int64_t, std::int64_t> sold_units;  // product -> units of confirmed orders
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> sold_from;  // product, warehouse
  std::map<std::string, int> by_status, by_code;
  std::map<std::int64_t, int> out_of_stock_on;  // product -> refusals naming it
  std::map<std::int64_t, std::int64_t> demand;  // product -> units asked for
  for (const auto& [id, record] : ledger.orders) {
    auto it = orders.find(id);
    if (it == orders.end()) continue;
    const json::object& o = it->second;
    const std::string status = string_at(o, "status");
    const std::string shown = json::serialize(o);
    ++by_status[status];
    if (status != "confirmed") ++by_code[string_at(o, "failure_code")];
    if (status != "confirmed" && status != "failed" && status != "cancelled")
      findings.add("order not terminal", shown);
    const std::string answered = string_at(record.answer.order, "status");
    if (answered == "confirmed" && record.answer.status != 201)
      findings.add("confirmed answered without 201", record.answer.body);
    if (answered == "confirmed" && status != "confirmed" &&
        !(status == "cancelled" && record.cancels_sent > 0))
      findings.add("confirmed order changed", "answered " + record.answer.body + "; now " + shown);
    if ((answered == "failed" || answered == "cancelled") && status != answered)
      findings.add("failed order changed", "answered " + record.answer.body + "; now " + shown);
    if (answered != "confirmed" && answered != "failed" && answered != "cancelled")
      findings.add("final answer without a terminal order", record.answer.body);
    if (answered == "failed" &&
        string_at(o, "failure_code") != string_at(record.answer.order, "failure_code"))
      findings.add("failure code changed", "answered " + record.answer.body + "; now " + shown);
    if (record.cancel_answered_cancelled && status != "cancelled")
      findings.add("cancel answered but order not cancelled", shown);
    if (status == "cancelled" && record.cancels_sent == 0)
      findings.add("cancelled without a cancel", shown);
    if (string_at(o, "failure_code") == "out_of_stock") {
      // The problem's members name the product short (details of the error).
      const json::object& problem = object_of(record.answer.body).value_or(json::object{});
      if (auto product = int_at(problem, "product_id")) ++out_of_stock_on[product];
    }
    for (const auto& item : o.at("items").as_array()) {
      const auto& i = item.as_object();
      demand[int_at(i, "product_id")] += int_at(i, "quantity");
      if (status != "confirmed") continue;
      std::int64_t allocated = 0;
      for (const auto& a : i.at("allocations").as_array()) {
        const auto& alloc = a.as_object();
        allocated += int_at(alloc, "quantity");
        sold_from[{int_at(i, "product_id"), string_at(alloc, "warehouse")}] +=
            int_at(alloc, "quantity");
      }
      if (allocated != int_at(i, "quantity"))
        findings.add("allocations do not add up to the quantity", shown);
      sold_units[int_at(i, "product_id")] += int_at(i, "quantity");
    }
    if (status == "confirmed" && string_at(o, "payment_status") != "captured")
      findings.add("confirmed but not captured", shown);
  }
  std::map<std::string, int> cut;  // orders whose POST a kill interrupted, by final status
  for (const auto& [id, record] : ledger.orders)
    if (ledger.keys[record.key].cut && orders.count(id)) ++cut[string_at(orders[id], "status")];
  std::cout << "orders whose POST a kill interrupted:";
  for (const auto& [status, n] : cut) std::cout << " " << status << "=" << n;
  std::cout << "\norders:";
  for (const auto& [status, n] : by_status) std::cout << " " << status << "=" << n;
  std::cout << "\nnot confirmed, by failure_code:";
  for (const auto& [code, n] : by_code) std::cout << " " << code << "=" << n;
  std::cout << "\n";
  EXPECT_GT(by_status["confirmed"], 0);
  EXPECT_GT(by_status["cancelled"], 0);
  EXPECT_GT(by_code["out_of_stock"], 0);
  EXPECT_GT(by_code["payment_declined"], 0);
  EXPECT_GT(by_code["fraud_rejected"], 0);

  // Stock: conservation, per product and per warehouse, and no oversell.
  std::map<std::int64_t, json::object> stock;
  for (const auto& p : kProducts) {
    auto product = conn.get_object("/api/v1/products/" + std::to_string(p.id));
    ASSERT_TRUE(product);
    const json::object s = product->at("stock").as_object();
    stock[p.id] = s;
    const std::int64_t restocked =
        ledger.restocked[{p.id, "main"}] + ledger.restocked[{p.id, "backup"}];
    const std::int64_t start = p.main + p.backup;
    const std::int64_t on_hand = int_at(s, "on_hand"), reserved = int_at(s, "reserved"),
                       available = int_at(s, "available"), sold = int_at(s, "sold");
    std::cout << "product " << p.id << ": start " << start << " + restocked " << restocked
              << "; demand " << demand[p.id] << "; sold " << sold << ", available " << available
              << ", reserved " << reserved << ", on hand " << on_hand << "; "
              << out_of_stock_on[p.id] << " orders refused out_of_stock on it\n";
    const std::string shown = "product " + std::to_string(p.id) + ": " + json::serialize(s);
    EXPECT_EQ(sold, sold_units[p.id]) << "sold differs from the confirmed orders' units: " << shown;
    EXPECT_EQ(reserved, 0) << shown;
    EXPECT_GE(available, 0) << shown;
    EXPECT_EQ(available + reserved + sold, start + restocked) << "units created or lost: " << shown;
    EXPECT_LE(sold_units[p.id], start + restocked) << "oversold: " << shown;
    for (const auto& w : s.at("warehouses").as_array()) {
      const auto& level = w.as_object();
      const std::string name = string_at(level, "warehouse");
      const std::int64_t initial = name == "main" ? p.main : name == "backup" ? p.backup : 0;
      const std::int64_t here = int_at(level, "on_hand") + sold_from[std::pair(p.id, name)];
      const std::int64_t brought = initial + ledger.restocked[std::pair(p.id, name)];
      EXPECT_EQ(here, brought) << "warehouse " << name
                               << ": on hand + the confirmed orders' units taken from it != at "
                                  "start + restocked: "
                               << shown;
      EXPECT_GE(int_at(level, "available"), 0) << shown;
      EXPECT_EQ(int_at(level, "reserved"), 0) << shown;
    }
  }
  for (std::int64_t hot : {1, 2}) {
    const auto& p = kProducts[static_cast<std::size_t>(hot - 1)];
    EXPECT_GT(demand[hot], 2 * (p.main + p.backup)) << "the run did not contend product " << hot;
    EXPECT_GT(out_of_stock_on[hot], 0) << "no order was refused for product " << hot;
  }

  // Payments: no double charge, every authorization settled once.
  std::map<std::string, int> settled;  // orders by how their payment ended
  for (const auto& [id, o] : orders) {
    auto payments = conn.get_object("/api/v1/payments?order_id=" + id);
    if (!payments) continue;
    std::map<std::string, int> n;  // "type status" -> count
    int records_of[4] = {0, 0, 0, 0};
    bool amounts_ok = true;
    for (const auto& rec : payments->at("data").as_array()) {
      const auto& r = rec.as_object();
      ++n[string_at(r, "type") + " " + string_at(r, "status")];
      const std::string type = string_at(r, "type");
      ++records_of[type == "authorize" ? 0 : type == "capture" ? 1 : type == "void" ? 2 : 3];
      if (int_at(r, "amount") != int_at(o, "total_amount") || string_at(r, "order_id") != id)
        amounts_ok = false;
    }
    const std::string shown = json::serialize(o) + "\n  payments: " + json::serialize(*payments);
    const std::string status = string_at(o, "status");
    // An authorization whose last attempt got no answer may have been made (P2): it is voided
    // like a succeeded one.
    const int authorized = n["authorize succeeded"] + n["authorize failed"],
              captured = n["capture succeeded"], voided = n["void succeeded"],
              refunded = n["refund succeeded"];
    ++settled[captured && refunded ? "captured then refunded"
              : captured           ? "captured"
              : voided             ? "authorized then voided"
              : authorized         ? "authorized, never settled"
                                   : "never authorized"];
    if (!amounts_ok) findings.add("payment amount is not the order's total", shown);
    if (records_of[0] > 1) findings.add("authorized twice", shown);
    if (records_of[1] > 1 || captured > 1) findings.add("captured twice", shown);
    if (records_of[2] > 1 || records_of[3] > 1) findings.add("voided or refunded twice", shown);
    if (!authorized && (records_of[1] || records_of[2] || records_of[3]))
      findings.add("capture, void or refund without an authorization", shown);
    if (status == "confirmed") {
      if (authorized != 1 || captured != 1 || records_of[2] || records_of[3])
        findings.add("confirmed order not charged exactly once", shown);
    } else {
      if (status == "failed" && records_of[1]) findings.add("failed order has a capture", shown);
      if (voided && refunded) findings.add("voided and refunded", shown);
      if (authorized && captured && refunded != 1)
        findings.add("captured, not confirmed, not refunded once", shown);
      if (authorized && !captured && voided != 1)
        findings.add("authorized, not captured, not voided once", shown);
      const std::string expected = captured ? "refunded" : authorized ? "voided" : "";
      if (!expected.empty() && string_at(o, "payment_status") != expected)
        findings.add("payment_status is not " + expected, shown);
    }
  }

  std::cout << "payments:";
  for (const auto& [how, count] : settled) std::cout << " " << how << "=" << count;
  std::cout << "\n";
  EXPECT_GT(settled["captured then refunded"], 0);
  EXPECT_GT(settled["authorized then voided"], 0);

  // Reservations: none held; each used by at most one confirmed order, and committed if so.
  for (const auto& [key, record] : ledger.keys) {
    if (record.kind != "reservation" || record.ids.empty()) continue;
    const std::string res = *record.ids.begin();
    auto r = conn.get_object("/api/v1/reservations/" + res);
    if (!r) continue;
    int confirmed = 0;
    for (const auto& order_id : ledger.reservation_orders[res]) {
      auto it = orders.find(order_id);
      if (it == orders.end()) continue;
      const std::string s = string_at(it->second, "status");
      // A confirmed order, or one cancelled after its confirmation, sold the reservation.
      const auto& answered = ledger.orders[order_id].answer.order;
      if (s == "confirmed" || string_at(answered, "status") == "confirmed") ++confirmed;
    }
    const std::string status = string_at(*r, "status");
    const std::string shown = json::serialize(*r);
    if (confirmed > 1) findings.add("a reservation sold twice", shown);
    if (status == "held") findings.add("reservation still held", shown);
    if (confirmed == 1 && status != "committed")
      findings.add("a confirmed order's reservation is not committed", shown);
    if (confirmed == 0 && status == "committed")
      findings.add("a reservation committed without a confirmed order", shown);
  }

  // Replays: each order key gives its first final answer again; with another body, a 422.
  for (const auto& [id, record] : ledger.orders) {
    auto r =
        conn.exchange("POST", "/api/v1/orders", record.body, {{"idempotency-key", record.key}});
    if (!r) {
      findings.add("replay unanswered", record.key);
      continue;
    }
    auto parsed = object_of(r->body);
    const std::string replay_id = parsed ? order_id_in(*r, parsed) : std::string();
    if (r->status != record.answer.status || replay_id != id ||
        r->header("idempotent-replayed") != "true")
      findings.add("replay differs", record.key + ": first " +
                                         std::to_string(record.answer.status) + " " +
                                         record.answer.body + "; replay " +
                                         std::to_string(r->status) + " " + r->body);
  }
  {
    const auto& [id, record] = *ledger.orders.begin();
    auto r = conn.exchange(
        "POST", "/api/v1/orders",
        R"({"user_id":1,"payment_method":"mock","items":[{"product_id":3,"quantity":1}]})",
        {{"idempotency-key", record.key}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422u) << r->body;
    EXPECT_NE(r->body.find("idempotency_key_reused"), std::string::npos) << r->body;
  }
  findings.report();

  // A last kill -9: what was read is what the rows say.
  orderd->kill_hard();
  ASSERT_TRUE(start(orderd));
  for (const auto& p : kProducts) {
    auto product = conn.get_object("/api/v1/products/" + std::to_string(p.id));
    ASSERT_TRUE(product);
    EXPECT_EQ(json::serialize(product->at("stock")), json::serialize(stock[p.id]))
        << "product " << p.id << " changed across a restart";
  }
  for (const auto& [id, o] : orders) {
    auto again = conn.get_object("/api/v1/orders/" + id);
    if (again && json::serialize(*again) != json::serialize(o))
      ADD_FAILURE() << "order changed across a restart: " << json::serialize(o) << " -> "
                    << json::serialize(*again);
  }

  // The outbox through the same kills (E1, E2): every event once, each subject's versions 1..n,
  // and each order's and product's last event its final state.
  {
    std::map<std::string, std::vector<json::object>> by_subject;
    std::set<std::string> ids;
    std::string after;
    for (;;) {
      auto page =
          conn.get_object("/api/v1/events?limit=1000" + (after.empty() ? "" : "&after=" + after));
      ASSERT_TRUE(page);
      for (const auto& e : page->at("data").as_array()) {
        const auto& event = e.as_object();
        EXPECT_TRUE(ids.insert(string_at(event, "id")).second) << json::serialize(event);
        by_subject[string_at(event, "subject")].push_back(event);
      }
      if (!page->at("has_more").as_bool()) break;
      after = string_at(*page, "next_after");
    }
    int gaps = 0;
    for (const auto& [subject, list] : by_subject)
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].at("version").as_int64() != static_cast<std::int64_t>(i + 1) && ++gaps <= 6)
          ADD_FAILURE() << "event version gap in " << subject << ": " << json::serialize(list[i]);
    for (const auto& [id, o] : orders) {
      auto it = by_subject.find(id);
      if (it == by_subject.end()) {
        ADD_FAILURE() << "order without events: " << id;
        continue;
      }
      const auto& last = it->second.back().at("data").as_object();
      EXPECT_EQ(json::serialize(last.at("status")), json::serialize(o.at("status"))) << id;
      EXPECT_EQ(last.at("version"), o.at("version")) << id;
    }
    for (const auto& p : kProducts) {
      auto it = by_subject.find(std::to_string(p.id));
      ASSERT_NE(it, by_subject.end()) << "product " << p.id << " without events";
      EXPECT_EQ(json::serialize(it->second.back().at("data").at("stock")),
                json::serialize(stock[p.id]))
          << "product " << p.id << ": its last event is not its stock";
    }
  }

  // Nothing left unfinished (the reservations' expiry timers included), awaited.
  const auto db = dir.path() / "data" / "orderd.db";
  const auto idle_deadline = Clock::now() + 20s;
  while (query_int(db, "SELECT count(*) FROM invocations WHERE status IN (1, 4)") != 0 &&
         Clock::now() < idle_deadline)
    std::this_thread::sleep_for(100ms);
  ASSERT_EQ(orderd->terminate(), 0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM invocations WHERE status IN (1, 4)"), 0)
      << "invocations left running or paused";
  EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");

  // No committed step ran twice, no invocation completed twice.
  std::map<std::string, int> steps, done;
  std::ifstream in(audit_path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string what, id, index;
    words >> what >> id >> index;
    if (what == "step") ++steps[id + " " + index];
    if (what == "done") ++done[id];
  }
  int twice = 0;
  for (const auto& [step, n] : steps)
    if (n > 1 && ++twice <= 6) ADD_FAILURE() << "step ran twice: " << step;
  for (const auto& [id, n] : done)
    if (n > 1 && ++twice <= 12) ADD_FAILURE() << "completed twice: " << id;
  std::cout << "total "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
            << " ms\n";
}

}  // namespace
}  // namespace orderd::testing
