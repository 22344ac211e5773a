// What issue 17's travel booking asks of the ingress, each written as the attack it answers, on
// an in-process engine: a service that exposes only some of its handlers (its internal ones
// answer as unknown ones), a workflow whose second call with the same body attaches to its run
// (Registry::attach_same_input), and customers confined to their own workflows
// (workflow_confinement.hpp, W1-W3).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <sstream>

#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "ingress/invocation_routes.hpp"
#include "store/records.hpp"
#include "support/engine_harness.hpp"

namespace orderd::http {
namespace {

struct Note {
  std::string text;
};
Note tag_invoke(boost::json::value_to_tag<Note>, const boost::json::value& v) {
  const auto& o = v.as_object();
  return {o.contains("text") ? std::string(o.at("text").as_string()) : std::string()};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Note& n) {
  v = {{"text", n.text}};
}

// A booking: the owner as sent (the ingress checks it, W1), where to, and whether the run waits
// for a Release before it answers.
struct Booking {
  boost::json::value customer;
  std::string dest;
  bool hold = false;
};
Booking tag_invoke(boost::json::value_to_tag<Booking>, const boost::json::value& v) {
  const auto& o = v.as_object();
  Booking b;
  if (const auto* c = o.if_contains("customerId")) b.customer = *c;
  b.dest = std::string(o.at("dest").as_string());
  if (const auto* h = o.if_contains("hold")) b.hold = h->as_bool();
  return b;
}

int flight_calls = 0;
Task<Note> flight_search(Context&, Note in) {
  ++flight_calls;
  co_return Note{"found:" + in.text};
}
Task<Note> flight_reserve(Context&, Note in) {
  ++flight_calls;
  co_return Note{"reserved:" + in.text};
}

int runs = 0;  // how many times a workflow's main handler executed
Task<Note> book_trip(Context& ctx, Booking in) {
  ctx.run("count", [] { return ++runs; });
  ctx.set("status", std::string("booked:") + in.dest);
  if (in.hold) {
    auto go = ctx.promise<std::string>("go").get();
    std::string signal = co_await go;
    co_return Note{"trip to " + in.dest + " " + signal};
  }
  co_return Note{"trip to " + in.dest};
}
Task<Note> get_status(Context& ctx, Note) {
  co_return Note{ctx.get<std::string>("status").value_or("none")};
}
Task<Note> release(Context& ctx, Note) {
  ctx.promise<std::string>("go").resolve("released");
  co_return Note{"released"};
}

// Authentication as a test states it: x-test-sub and x-test-roles ("customer", "admin",
// "service", comma-separated) make an authenticated caller; without them the caller is open.
class CallerFromHeaders final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    if (const std::string* sub = request.header("x-test-sub")) {
      request.caller.open = false;
      request.caller.subject = *sub;
      request.principal = *sub;
      std::stringstream roles(request.header("x-test-roles") ? *request.header("x-test-roles")
                                                             : std::string());
      for (std::string name; std::getline(roles, name, ',');)
        if (auto role = auth::parse_role(name)) request.caller.roles = request.caller.roles | *role;
    }
    next(request, std::move(respond));
  }
};

struct As {
  std::string sub;
  std::string roles;
};
const As kOpen{};
const As kAlice{"100", "customer"};
const As kBob{"200", "customer"};
const As kAdmin{"1", "admin"};
const As kBackend{"flights-svc", "service"};

class WorkflowRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runs = 0;
    flight_calls = 0;
    auto& r = h.registry;
    r.add("Flights", "Search", &flight_search);
    r.add("Flights", "Reserve", &flight_reserve);
    r.expose("Flights", "Search");
    r.add("Vault", "Open", &flight_reserve);  // internal: none of its handlers is exposed
    r.add("Trip", "BookTrip", &book_trip, HandlerEntry::Kind::kWorkflowRun);
    r.add("Trip", "GetStatus", &get_status, HandlerEntry::Kind::kWorkflowShared);
    r.add("Trip", "Release", &release, HandlerEntry::Kind::kWorkflowShared);
    r.attach_same_input("Trip");
    r.confine_workflow("Trip", "customerId");
    r.expose("Trip");
    // The same workflow with the defaults: a second call is 409 whatever its body.
    r.add("PlainTrip", "BookTrip", &book_trip, HandlerEntry::Kind::kWorkflowRun);
    r.add("PlainTrip", "GetStatus", &get_status, HandlerEntry::Kind::kWorkflowShared);
    r.expose("PlainTrip");
    h.start();
    ChainOptions chain;
    chain.authentication = std::make_unique<CallerFromHeaders>();
    front_door.emplace(h.engine(), h.scheduler(), h.registry);
    routes.emplace(*front_door, h.registry, std::move(chain));
  }

  // Sends and returns a slot the answer lands in, without waiting for it.
  std::shared_ptr<std::optional<Response>> begin(
      const As& as, const std::string& method, const std::string& target, const std::string& body,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!as.sub.empty()) {
      headers.emplace_back("x-test-sub", as.sub);
      headers.emplace_back("x-test-roles", as.roles);
    }
    auto answer = std::make_shared<std::optional<Response>>();
    routes->handle(Request{method, target, body, std::move(headers)},
                   [answer](Response r) { *answer = std::move(r); });
    return answer;
  }
  Response send(const As& as, const std::string& method, const std::string& target,
                const std::string& body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto answer = begin(as, method, target, body, std::move(headers));
    EXPECT_TRUE(h.run_until([&] { return answer->has_value(); })) << method << " " << target;
    return answer->value_or(Response{});
  }
  Response post(const As& as, const std::string& target, const std::string& body = "{}") {
    return send(as, "POST", target, body);
  }
  static std::string restate_id(const Response& r) {
    for (const auto& [k, v] : r.headers)
      if (k == "x-restate-id") return v;
    return {};
  }
  // The headers an answer carries, by name: their values (a request id) differ per request.
  static std::vector<std::string> names_of(const Response& r) {
    std::vector<std::string> names;
    for (const auto& [k, v] : r.headers) names.push_back(k);
    return names;
  }
  // The run of a workflow key, if one was ever started.
  std::optional<std::string> run_of(const std::string& workflow, const std::string& key) {
    return h.engine().find_idempotent(store::idempotency_target(workflow, key, "BookTrip"), key);
  }

  testing::EngineHarness h;
  std::optional<FrontDoor> front_door;
  std::optional<InvocationRoutes> routes;
};

// --- 1. Per-handler exposure ---------------------------------------------------------------

TEST_F(WorkflowRoutesTest, AnInternalHandlerOfAPublicServiceAnswersAsAnUnknownHandler) {
  auto search = post(kOpen, "/Flights/Search", R"({"text":"LIS"})");
  EXPECT_EQ(search.status, 200u) << search.body;
  EXPECT_EQ(search.body, R"({"text":"found:LIS"})");

  // The attack: reach the internal Reserve from the public ingress, as anyone but a back end.
  for (const As& as : {kOpen, kAlice}) {
    auto reserve = post(as, "/Flights/Reserve", R"({"text":"LIS"})");
    auto unknown = post(as, "/Flights/Nope", R"({"text":"LIS"})");
    EXPECT_EQ(reserve.status, 404u) << reserve.body;
    EXPECT_EQ(reserve.body, R"({"code":404,"message":"handler 'Reserve' not found on service )"
                            R"('Flights'"})");
    EXPECT_EQ(unknown.body, R"({"code":404,"message":"handler 'Nope' not found on service )"
                            R"('Flights'"})");
    // Its send reads as an unknown handler's send, path and all.
    auto reserve_send = post(as, "/Flights/Reserve/send", R"({"text":"LIS"})");
    auto unknown_send = post(as, "/Flights/Nope/send", R"({"text":"LIS"})");
    EXPECT_EQ(reserve_send.status, 404u);
    EXPECT_EQ(reserve_send.body, unknown_send.body);
    // A service none of whose handlers is public is still an unknown service.
    EXPECT_EQ(post(as, "/Vault/Open", R"({"text":""})").body,
              R"({"code":404,"message":"service 'Vault' not found"})");
  }
  EXPECT_EQ(flight_calls, 1);  // only the search ran

  // Back-end services and admins reach the internal handler.
  EXPECT_EQ(post(kBackend, "/Flights/Reserve", R"({"text":"LIS"})").body,
            R"({"text":"reserved:LIS"})");
  EXPECT_EQ(post(kAdmin, "/Flights/Reserve", R"({"text":"OPO"})").body,
            R"({"text":"reserved:OPO"})");
  EXPECT_EQ(post(kAlice, "/Flights/Search", R"({"text":"OPO"})").status, 200u);
}

TEST_F(WorkflowRoutesTest, AnInternalHandlersInvocationsAreNotFoundOnTheIngress) {
  auto reserved = h.start_invocation("Flights", "Reserve", R"({"text":"x"})");
  auto searched = h.start_invocation("Flights", "Search", R"({"text":"x"})");
  h.await_outcome(reserved);
  h.await_outcome(searched);
  for (const char* what : {"output", "attach"}) {
    auto hidden = send(kOpen, "GET", "/restate/invocation/" + reserved + "/" + what, "");
    EXPECT_EQ(hidden.status, 404u) << what << hidden.body;
    EXPECT_EQ(hidden.body, R"({"code":404,"message":"invocation not found"})");
    EXPECT_EQ(send(kOpen, "GET", "/restate/invocation/" + searched + "/" + what, "").status, 200u)
        << what;
    EXPECT_EQ(send(kBackend, "GET", "/restate/invocation/" + reserved + "/" + what, "").status,
              200u)
        << what;
  }
}

// --- 2. A workflow that attaches a second call with the same body --------------------------

TEST_F(WorkflowRoutesTest, ASecondCallWithTheSameBodyAttachesToTheRunAndGetsItsAnswer) {
  const std::string body = R"({"customerId":"100","dest":"Rome","hold":true})";
  auto first = begin(kOpen, "POST", "/Trip/t1/BookTrip", body);
  ASSERT_TRUE(h.run_until([] { return runs == 1; }));
  // The same body with other spacing is the same input; it waits on the same run.
  auto second = begin(kOpen, "POST", "/Trip/t1/BookTrip",
                      R"({ "customerId": "100", "dest": "Rome", "hold": true })");
  // Past its Request-Timeout while the run holds: 202 naming the run, as any call.
  auto timed_out = send(kOpen, "POST", "/Trip/t1/BookTrip", body, {{"request-timeout", "20ms"}});
  EXPECT_EQ(timed_out.status, 202u) << timed_out.body;

  // Another body cannot attach: the run has its input.
  auto other = post(kOpen, "/Trip/t1/BookTrip", R"({"customerId":"100","dest":"Oslo"})");
  EXPECT_EQ(other.status, 409u) << other.body;
  EXPECT_NE(other.body.find("already invoked"), std::string::npos) << other.body;
  EXPECT_NE(other.body.find("different request body"), std::string::npos) << other.body;
  auto other_send = post(kOpen, "/Trip/t1/BookTrip/send", R"({"customerId":"100","dest":"Oslo"})");
  EXPECT_EQ(other_send.status, 409u) << other_send.body;
  EXPECT_FALSE(first->has_value());
  EXPECT_FALSE(second->has_value());

  EXPECT_EQ(post(kOpen, "/Trip/t1/Release").status, 200u);
  ASSERT_TRUE(h.run_until([&] { return first->has_value() && second->has_value(); }));
  EXPECT_EQ((*first)->status, 200u) << (*first)->body;
  EXPECT_EQ((*first)->body, R"({"text":"trip to Rome released"})");
  EXPECT_EQ((*second)->status, 200u);
  EXPECT_EQ((*second)->body, (*first)->body);
  EXPECT_EQ(restate_id(**second), restate_id(**first));
  EXPECT_EQ(restate_id(timed_out), restate_id(**first));

  // Once done, the same body still gets the same answer; a send of it is accepted as before.
  auto later = post(kOpen, "/Trip/t1/BookTrip", body);
  EXPECT_EQ(later.status, 200u);
  EXPECT_EQ(later.body, (*first)->body);
  auto resent = post(kOpen, "/Trip/t1/BookTrip/send", body);
  EXPECT_EQ(resent.status, 202u) << resent.body;
  EXPECT_NE(resent.body.find("PreviouslyAccepted"), std::string::npos) << resent.body;
  EXPECT_EQ(runs, 1);  // the trip was booked once
}

TEST_F(WorkflowRoutesTest, AWorkflowWithoutTheOptInStillRefusesEverySecondCall) {
  const std::string body = R"({"customerId":"100","dest":"Rome"})";
  EXPECT_EQ(post(kOpen, "/PlainTrip/p1/BookTrip", body).status, 200u);
  auto again = post(kOpen, "/PlainTrip/p1/BookTrip", body);
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_NE(again.body.find("the workflow method was already invoked"), std::string::npos);
  EXPECT_EQ(again.body.find("different request body"), std::string::npos) << again.body;
  auto resent = post(kOpen, "/PlainTrip/p1/BookTrip/send", R"({"customerId":"1","dest":"X"})");
  EXPECT_EQ(resent.status, 202u) << resent.body;  // a send of any body: PreviouslyAccepted
  EXPECT_EQ(runs, 1);
}

TEST_F(WorkflowRoutesTest, AMainHandlerNotNamedRunAnswersByWorkflowId) {
  auto booked = post(kOpen, "/Trip/t2/BookTrip", R"({"customerId":"100","dest":"Pisa"})");
  ASSERT_EQ(booked.status, 200u) << booked.body;
  for (const char* what : {"output", "attach"}) {
    auto answer = send(kOpen, "GET", std::string("/restate/workflow/Trip/t2/") + what, "");
    EXPECT_EQ(answer.status, 200u) << what << answer.body;
    EXPECT_EQ(answer.body, booked.body) << what;
    EXPECT_EQ(restate_id(answer), restate_id(booked)) << what;
  }
  EXPECT_EQ(send(kOpen, "GET", "/restate/workflow/Trip/t404/output", "").status, 404u);
}

// --- 3. Customers confined to their own workflows ------------------------------------------

TEST_F(WorkflowRoutesTest, ACustomerCannotBookForAnotherCustomer) {
  for (const std::string body : {R"({"customerId":"200","dest":"Rome"})",  // Bob's id
                                 R"({"customerId":200,"dest":"Rome"})",    // as a number
                                 R"({"dest":"Rome"})",                     // none
                                 R"({"customerId":"1000","dest":"Rome"})", R"([1])"}) {
    auto r = post(kAlice, "/Trip/tx/BookTrip", body);
    EXPECT_EQ(r.status, 403u) << body << r.body;
    EXPECT_NE(r.body.find("customerId"), std::string::npos) << r.body;
    auto sent = post(kAlice, "/Trip/tx/BookTrip/send", body);
    EXPECT_EQ(sent.status, 403u) << body << sent.body;
  }
  // Nothing was started under the key, nothing ran.
  EXPECT_FALSE(run_of("Trip", "tx"));
  EXPECT_EQ(h.engine().in_flight(), 0u);
  EXPECT_EQ(runs, 0);
  // Its own id, as text or as a number, books.
  EXPECT_EQ(post(kAlice, "/Trip/tx/BookTrip", R"({"customerId":"100","dest":"Rome"})").status,
            200u);
  EXPECT_EQ(post(kAlice, "/Trip/ty/BookTrip", R"({"customerId":100,"dest":"Rome"})").status, 200u);
}

TEST_F(WorkflowRoutesTest, ACustomerCannotTellAnotherCustomersTripFromNone) {
  const std::string bobs_body = R"({"customerId":"200","dest":"Oslo"})";
  auto bobs = post(kBob, "/Trip/tb/BookTrip", bobs_body);
  ASSERT_EQ(bobs.status, 200u) << bobs.body;
  ASSERT_EQ(post(kAlice, "/Trip/ta/BookTrip", R"({"customerId":"100","dest":"Rome"})").status,
            200u);

  // Alice asks for Bob's trip and for one that does not exist: the same answer.
  for (const char* handler : {"GetStatus", "Release"}) {
    auto bobs_trip = post(kAlice, std::string("/Trip/tb/") + handler);
    auto no_trip = post(kAlice, std::string("/Trip/zz/") + handler);
    EXPECT_EQ(bobs_trip.status, 404u) << bobs_trip.body;
    EXPECT_EQ(bobs_trip.body, R"({"code":404,"message":"Trip 'tb' not found"})");
    EXPECT_EQ(no_trip.body, R"({"code":404,"message":"Trip 'zz' not found"})");
    EXPECT_EQ(names_of(bobs_trip), names_of(no_trip)) << handler;
    EXPECT_EQ(post(kAlice, std::string("/Trip/tb/") + handler + "/send").status, 404u);
  }
  EXPECT_EQ(send(kAlice, "GET", "/restate/workflow/Trip/tb/output", "").body,
            send(kAlice, "GET", "/restate/workflow/Trip/zz/output", "").body);

  // Nor can she reach Bob's outcome by booking on his key: his body is not hers to send (W1),
  // and hers is not the run's input.
  EXPECT_EQ(post(kAlice, "/Trip/tb/BookTrip", bobs_body).status, 403u);
  auto hers = post(kAlice, "/Trip/tb/BookTrip", R"({"customerId":"100","dest":"Oslo"})");
  EXPECT_EQ(hers.status, 409u) << hers.body;
  EXPECT_EQ(hers.body.find("trip to"), std::string::npos) << hers.body;

  // Each reaches its own; Bob not Alice's.
  EXPECT_EQ(post(kAlice, "/Trip/ta/GetStatus").body, R"({"text":"booked:Rome"})");
  EXPECT_EQ(post(kBob, "/Trip/tb/GetStatus").body, R"({"text":"booked:Oslo"})");
  EXPECT_EQ(post(kBob, "/Trip/ta/GetStatus").status, 404u);
  // Admins, back-end services and open callers are not confined (W3).
  for (const As& as : {kAdmin, kBackend, kOpen}) {
    EXPECT_EQ(post(as, "/Trip/ta/GetStatus").body, R"({"text":"booked:Rome"})") << as.sub;
    EXPECT_EQ(post(as, "/Trip/tb/GetStatus").body, R"({"text":"booked:Oslo"})") << as.sub;
  }
  EXPECT_EQ(post(kAdmin, "/Trip/tc/BookTrip", R"({"customerId":"300","dest":"Bern"})").status,
            200u);
  // A workflow not declared confined is not (W3).
  ASSERT_EQ(post(kBob, "/PlainTrip/pb/BookTrip", R"({"customerId":"999","dest":"X"})").status,
            200u);
  EXPECT_EQ(post(kAlice, "/PlainTrip/pb/GetStatus").status, 200u);
}

}  // namespace
}  // namespace orderd::http
