// The notifications mailbox (mailbox.hpp, M1-M3): NotificationService/SendEmail over the real
// engine and SQLite store, its refusals at the ingress, its retries, and GET
// /api/v1/notifications as the ingress dispatches it, for open, service and customer callers.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/caller.hpp"
#include "common/json_fields.hpp"
#include "ingress/front_door.hpp"
#include "ingress/invocation_routes.hpp"
#include "notifications/mailbox.hpp"
#include "notifications/notification_routes.hpp"
#include "notifications/notification_service.hpp"
#include "support/engine_harness.hpp"

namespace orderd::notifications {
namespace {

// A JSON string of `s` (std::string does not convert to a json::value by itself).
boost::json::value text(const std::string& s) {
  return boost::json::string(s);
}

struct Answer {
  unsigned status = 0;
  boost::json::object body;
};

auth::Caller customer(const std::string& sub) {
  return {false, sub, auth::Role::kCustomer, "127.0.0.1"};
}
auth::Caller service() {
  return {false, "svc", auth::Role::kService, "127.0.0.1"};
}

std::string email(const std::string& to, const std::string& customer_id,
                  const std::string& trip_id = "", const std::string& order_id = "") {
  boost::json::object o{
      {"to", to}, {"subject", "Your trip"}, {"body", "Confirmed."}, {"kind", "trip.confirmed"}};
  if (!customer_id.empty()) o["customerId"] = customer_id;
  if (!trip_id.empty()) o["tripId"] = trip_id;
  if (!order_id.empty()) o["orderId"] = order_id;
  return boost::json::serialize(o);
}

class MailboxTest : public ::testing::Test {
 protected:
  explicit MailboxTest(MailboxOptions options = {})
      : harness(RetryPolicy{5, 1.0, 5, 10}), mailbox(options) {
    register_notification_service(harness.registry, mailbox);
  }
  void SetUp() override {
    harness.start();
    front_door =
        std::make_unique<http::FrontDoor>(harness.engine(), harness.scheduler(), harness.registry);
    ingress = std::make_unique<http::InvocationRoutes>(*front_door, harness.registry);
    routes = std::make_unique<NotificationRoutes>(harness.engine());
    routes->add_routes(ingress->router());
  }
  void TearDown() override {
    routes.reset();
    ingress.reset();
    front_door.reset();
    harness.crash();
  }

  // Sends one email through the engine; its notification id.
  std::string send(const std::string& input) {
    InvocationOutcome outcome = harness.call("NotificationService", "SendEmail", input);
    EXPECT_TRUE(outcome.ok) << outcome.body;
    auto sent = boost::json::value_to<Sent>(boost::json::parse(outcome.ok ? outcome.body : "{}"));
    return sent.notification_id;
  }

  Answer dispatch(const std::string& method, const std::string& target, const std::string& body,
                  const auth::Caller& caller) {
    auto request =
        std::make_unique<http::RouteRequest>(http::Request{method, target, body, {}, nullptr, {}});
    http::RouteMatch match = ingress->router().match(method, request->segments);
    EXPECT_NE(match.kind, http::RouteMatch::Kind::kNotFound) << target;
    if (!match.handler) return {};
    request->family = match.family;
    request->route = match.route;
    request->params = std::move(match.params);
    request->request_id = "req_test";
    request->caller = caller;
    request->principal = caller.principal();
    std::optional<http::Response> response;
    (*match.handler)(*request, [&](http::Response r) { response = std::move(r); });
    EXPECT_TRUE(harness.run_until([&] { return response.has_value(); }));
    requests_.push_back(std::move(request));
    if (!response) return {};
    Answer answer{response->status, {}};
    boost::system::error_code ec;
    auto parsed = boost::json::parse(response->body, ec);
    if (!ec && parsed.is_object()) answer.body = parsed.as_object();
    return answer;
  }
  Answer list(const std::string& query = "", const auth::Caller& caller = {}) {
    return dispatch("GET", "/api/v1/notifications" + query, "", caller);
  }
  static std::vector<std::string> ids_of(const Answer& a) {
    std::vector<std::string> ids;
    if (const auto* data = a.body.if_contains("data"))
      for (const auto& item : data->as_array())
        ids.emplace_back(item.as_object().at("id").as_string());
    return ids;
  }
  static bool has_more(const Answer& a) {
    const auto* v = a.body.if_contains("has_more");
    return v && v->is_bool() && v->as_bool();
  }
  static std::string code_of(const Answer& a) {
    const auto* code = a.body.if_contains("code");
    return code && code->is_string() ? std::string(code->as_string()) : "";
  }
  std::int64_t rows(const std::string& table) {
    return harness.query_int("SELECT count(*) FROM rows WHERE tbl = '" + table + "'");
  }

  testing::EngineHarness harness;
  Mailbox mailbox;
  std::unique_ptr<http::FrontDoor> front_door;
  std::unique_ptr<http::InvocationRoutes> ingress;
  std::unique_ptr<NotificationRoutes> routes;

 private:
  std::vector<std::unique_ptr<http::RouteRequest>> requests_;
};

TEST(NotificationJson, ValidatesEveryFieldAndNamesIt) {
  auto field_of = [](boost::json::object o) -> std::string {
    try {
      (void)boost::json::value_to<SendEmail>(boost::json::value(o));
      return "";
    } catch (const json::InvalidField& e) {
      return e.field();
    }
  };
  const boost::json::object good =
      boost::json::parse(email("a@example.com", "100", "trip_1")).as_object();
  EXPECT_EQ(field_of(good), "");
  auto with = [&](const char* key, boost::json::value v) {
    boost::json::object o = good;
    o[key] = std::move(v);
    return o;
  };
  EXPECT_EQ(field_of(with("to", "nobody")), "to");
  EXPECT_EQ(field_of(with("to", "@example.com")), "to");
  EXPECT_EQ(field_of(with("to", "a@")), "to");
  EXPECT_EQ(field_of(with("to", "a b@example.com")), "to");
  EXPECT_EQ(field_of(with("to", text(std::string(250, 'a') + "@b.cd"))), "to");  // 255 bytes
  EXPECT_EQ(field_of(with("to", text(std::string(249, 'a') + "@b.cd"))), "");    // 254 bytes
  EXPECT_EQ(field_of(with("subject", "")), "subject");
  EXPECT_EQ(field_of(with("subject", text(std::string(201, 's')))), "subject");
  EXPECT_EQ(field_of(with("body", text(std::string(16 * 1024 + 1, 'b')))), "body");
  EXPECT_EQ(field_of(with("body", text(std::string(16 * 1024, 'b')))), "");
  EXPECT_EQ(field_of(with("kind", "Trip.Confirmed")), "kind");
  EXPECT_EQ(field_of(with("kind", "")), "kind");
  EXPECT_EQ(field_of(with("kind", text(std::string(65, 'k')))), "kind");
  EXPECT_EQ(field_of(with("orderId", "ord_1")), "orderId");  // with tripId: at most one
  EXPECT_EQ(field_of(with("tripId", 7)), "tripId");
  EXPECT_EQ(field_of(with("customerId", text(std::string(129, 'c')))), "customerId");
}

TEST(NotificationIds, SortByDeliveryTimeThenInvocation) {
  const std::string inv_a = "inv_01aaaaaaaaaaaaaaaaaaaaaaaa",
                    inv_b = "inv_01bbbbbbbbbbbbbbbbbbbbbbbb";
  const std::string early = notification_id_for(inv_b, 1'700'000'000'000);
  const std::string late = notification_id_for(inv_a, 1'700'000'000'001);
  EXPECT_TRUE(is_notification_id(early)) << early;
  EXPECT_LT(early, late);  // a later delivery sorts later, whatever its invocation
  EXPECT_LT(notification_id_for(inv_a, 5), notification_id_for(inv_b, 5));
  EXPECT_EQ(notification_id_for(inv_a, 5), notification_id_for(inv_a, 5));
  EXPECT_FALSE(is_notification_id("ord_" + early.substr(4)));
  EXPECT_FALSE(is_notification_id(early + "0"));
  EXPECT_FALSE(is_notification_id(early.substr(0, 39) + "/"));
}

TEST_F(MailboxTest, DeliveryWritesItsRowAndEveryIndexRowTogether) {
  const std::string id = send(email("a@example.com", "100", "trip_1"));
  EXPECT_TRUE(is_notification_id(id)) << id;
  EXPECT_EQ(rows(Mailbox::kTable), 1);
  // to, trip, and the customer's: all, to, trip.
  EXPECT_EQ(rows(Mailbox::kIndexTable), 5);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'notification_index' AND "
                              "substr(CAST(key AS TEXT), length(key) - 39) = '" +
                              id + "'"),
            5);
  const Answer all = list();
  ASSERT_EQ(all.status, 200u);
  ASSERT_EQ(ids_of(all), std::vector<std::string>{id});
  const auto& item = all.body.at("data").as_array()[0].as_object();
  EXPECT_EQ(item.at("to").as_string(), "a@example.com");
  EXPECT_EQ(item.at("subject").as_string(), "Your trip");
  EXPECT_EQ(item.at("body").as_string(), "Confirmed.");
  EXPECT_EQ(item.at("kind").as_string(), "trip.confirmed");
  EXPECT_EQ(item.at("trip_id").as_string(), "trip_1");
  EXPECT_TRUE(item.at("order_id").is_null());
  const std::string created = std::string(item.at("created_at").as_string());
  EXPECT_EQ(created.size(), 24u) << created;  // 2026-11-23T04:11:11.522Z
  EXPECT_EQ(created.back(), 'Z');
  EXPECT_FALSE(item.contains("customer"));  // whose it is is not the API's to show
}

TEST_F(MailboxTest, ListsNewestFirstAndPagesBothWays) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(send(email("a@example.com", "")));
  const Answer first = list("?limit=2");
  EXPECT_EQ(ids_of(first), (std::vector<std::string>{ids[4], ids[3]}));
  EXPECT_TRUE(has_more(first));
  const Answer second = list("?limit=2&starting_after=" + ids[3]);
  EXPECT_EQ(ids_of(second), (std::vector<std::string>{ids[2], ids[1]}));
  EXPECT_TRUE(has_more(second));
  const Answer last = list("?limit=2&starting_after=" + ids[1]);
  EXPECT_EQ(ids_of(last), (std::vector<std::string>{ids[0]}));
  EXPECT_FALSE(has_more(last));
  const Answer back = list("?limit=2&ending_before=" + ids[0]);
  EXPECT_EQ(ids_of(back), (std::vector<std::string>{ids[2], ids[1]}));
  EXPECT_TRUE(has_more(back));
  // The same pages through an index prefix.
  const Answer by_to = list("?limit=2&to=a@example.com&starting_after=" + ids[3]);
  EXPECT_EQ(ids_of(by_to), (std::vector<std::string>{ids[2], ids[1]}));
  EXPECT_TRUE(has_more(by_to));
  const Answer by_to_back = list("?limit=3&to=a@example.com&ending_before=" + ids[2]);
  EXPECT_EQ(ids_of(by_to_back), (std::vector<std::string>{ids[4], ids[3]}));
  EXPECT_FALSE(has_more(by_to_back));
}

TEST_F(MailboxTest, FiltersScanTheirOwnPrefix) {
  const std::string a1 = send(email("a@example.com", "", "trip_1"));
  const std::string b2 = send(email("b@example.com", "", "trip_2"));
  const std::string a3 = send(email("a@example.com", "", "", "ord_3"));
  // A trip id that is another's with more after it: never inside its prefix (M3).
  const std::string b4 = send(email("b@example.com", "", "trip_1/"));
  EXPECT_EQ(ids_of(list("?to=a@example.com")), (std::vector<std::string>{a3, a1}));
  EXPECT_EQ(ids_of(list("?to=b@example.com")), (std::vector<std::string>{b4, b2}));
  EXPECT_EQ(ids_of(list("?trip_id=trip_1")), std::vector<std::string>{a1});
  const Answer one = list("?trip_id=trip_1&limit=1");  // the page is full and the last
  EXPECT_EQ(ids_of(one), std::vector<std::string>{a1});
  EXPECT_FALSE(has_more(one));
  EXPECT_EQ(ids_of(list("?order_id=ord_3")), std::vector<std::string>{a3});
  EXPECT_EQ(ids_of(list("?to=c@example.com")), std::vector<std::string>{});

  const Answer two = list("?to=a@example.com&trip_id=trip_1");
  EXPECT_EQ(two.status, 400u);
  EXPECT_EQ(code_of(two), "validation_failed");
  for (const char* query :
       {"?starting_after=ord_00000000000000000000000000", "?ending_before=ntf_x", "?limit=0",
        "?limit=101", "?to=", "?trip_id="}) {
    const Answer bad = list(query);
    EXPECT_EQ(bad.status, 400u) << query;
  }
}

TEST_F(MailboxTest, ACustomerListsOnlyItsOwnConfinedInTheScan) {
  const std::string mine_old = send(email("a@example.com", "100", "trip_a"));
  const std::string mine_new = send(email("a@example.com", "100", "", "ord_a"));
  // Newer ones of another customer, to the same address and trip, and of a customer whose
  // subject starts with the first's and a part's name (M3).
  std::vector<std::string> theirs;
  theirs.push_back(send(email("a@example.com", "200", "trip_a")));
  theirs.push_back(send(email("b@example.com", "100/all", "trip_b")));
  theirs.push_back(send(email("b@example.com", "200")));
  theirs.push_back(send(email("b@example.com", "")));

  const auth::Caller a = customer("100");
  EXPECT_EQ(ids_of(list("", a)), (std::vector<std::string>{mine_new, mine_old}));
  // Pages are the scan's: the first page is full of its own and has_more tells the truth.
  const Answer page1 = list("?limit=1", a);
  EXPECT_EQ(ids_of(page1), std::vector<std::string>{mine_new});
  EXPECT_TRUE(has_more(page1));
  const Answer page2 = list("?limit=1&starting_after=" + mine_new, a);
  EXPECT_EQ(ids_of(page2), std::vector<std::string>{mine_old});
  EXPECT_FALSE(has_more(page2));
  // Filters stay within its own.
  EXPECT_EQ(ids_of(list("?to=a@example.com", a)), (std::vector<std::string>{mine_new, mine_old}));
  EXPECT_EQ(ids_of(list("?trip_id=trip_a", a)), std::vector<std::string>{mine_old});
  EXPECT_EQ(ids_of(list("?order_id=ord_a", a)), std::vector<std::string>{mine_new});
  EXPECT_EQ(ids_of(list("?trip_id=trip_b", a)), std::vector<std::string>{});
  EXPECT_EQ(ids_of(list("?to=b@example.com", a)), std::vector<std::string>{});
  // A cursor of another's notification pages its own rows only.
  EXPECT_EQ(ids_of(list("?ending_before=" + mine_old, a)), std::vector<std::string>{mine_new});
  EXPECT_EQ(ids_of(list("?starting_after=" + theirs.back(), a)),
            (std::vector<std::string>{mine_new, mine_old}));

  EXPECT_EQ(ids_of(list("", customer("200"))), (std::vector<std::string>{theirs[2], theirs[0]}));
  EXPECT_EQ(ids_of(list("", customer("999"))), std::vector<std::string>{});
  // A service sees everything.
  EXPECT_EQ(ids_of(list("", service())).size(), 6u);
}

TEST_F(MailboxTest, AnInvalidEmailIsRefused400BeforeAnythingIsWritten) {
  const std::string target = "/NotificationService/SendEmail";
  struct Case {
    std::string body;
    std::string field;
  };
  const std::string good = email("a@example.com", "100", "trip_1");
  auto with = [&](const char* key, boost::json::value v) {
    auto o = boost::json::parse(good).as_object();
    o[key] = std::move(v);
    return boost::json::serialize(o);
  };
  for (const Case& c : std::vector<Case>{{with("to", "nobody"), "to"},
                                         {with("subject", ""), "subject"},
                                         {with("kind", "TRIP"), "kind"},
                                         {with("orderId", "ord_1"), "orderId"},
                                         {with("body", text(std::string(16385, 'b'))), "body"}}) {
    const Answer refused = dispatch("POST", target, c.body, service());
    EXPECT_EQ(refused.status, 400u) << c.body.substr(0, 200);
    // The Restate family's error body: {"code": 400, "message": "field '...' ..."}.
    const auto* message = refused.body.if_contains("message");
    ASSERT_TRUE(message && message->is_string()) << c.field;
    EXPECT_NE(std::string(message->as_string()).find("field '" + c.field + "'"), std::string::npos)
        << message->as_string();
  }
  EXPECT_EQ(rows(Mailbox::kTable), 0);
  EXPECT_EQ(rows(Mailbox::kIndexTable), 0);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM invocations"), 0);

  // Internal: the public ingress does not show it to open callers or customers.
  EXPECT_EQ(dispatch("POST", target, good, {}).status, 404u);
  EXPECT_EQ(dispatch("POST", target, good, customer("100")).status, 404u);
  EXPECT_EQ(rows(Mailbox::kTable), 0);
}

class FlakyMailboxTest : public MailboxTest {
 protected:
  FlakyMailboxTest() : MailboxTest(MailboxOptions{3}) {}
};

TEST_F(FlakyMailboxTest, TransientFailuresAreRetriedAndDeliverOnce) {
  ASSERT_EQ(mailbox.failures_left(), 3u);
  const std::string id = send(email("a@example.com", "100", "", "ord_1"));
  EXPECT_EQ(mailbox.failures_left(), 0u);  // three attempts failed before the one that wrote
  EXPECT_TRUE(is_notification_id(id));
  EXPECT_EQ(rows(Mailbox::kTable), 1);
  EXPECT_EQ(rows(Mailbox::kIndexTable), 5);
  EXPECT_EQ(ids_of(list()), std::vector<std::string>{id});
  // The knob is spent: the next delivery succeeds at its first attempt, and adds one row.
  const std::string next = send(email("b@example.com", ""));
  EXPECT_EQ(rows(Mailbox::kTable), 2);
  EXPECT_EQ(ids_of(list()), (std::vector<std::string>{next, id}));
}

}  // namespace
}  // namespace orderd::notifications
