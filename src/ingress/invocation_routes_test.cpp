// The ingress routes against an in-process engine: awakeables completed over HTTP, virtual
// objects, the /api family beside the Restate routes, and idempotency scoped by caller.
#include "ingress/invocation_routes.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "support/engine_harness.hpp"

namespace orderd::http {
namespace {

struct Note {
  std::string text;
};
Note tag_invoke(boost::json::value_to_tag<Note>, const boost::json::value& v) {
  return {std::string(v.as_object().at("text").as_string())};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Note& n) {
  v = {{"text", n.text}};
}

std::string handed_out;  // the awakeable id the handler gave "the outside world"

Task<Note> wait_for_webhook(Context& ctx, Note) {
  auto webhook = ctx.awakeable<Note>();
  handed_out = webhook.id;
  Note note = co_await webhook.future;
  co_return note;
}

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.registry.add("Webhook", "Wait", &wait_for_webhook);
    h.registry.expose("Webhook");
    h.start();
    front_door.emplace(h.engine(), h.scheduler(), h.registry);
    routes.emplace(*front_door, h.registry);
  }

  Response send(const std::string& method, const std::string& target, const std::string& body) {
    std::optional<Response> answer;
    routes->handle(Request{method, target, body, {}}, [&](Response r) { answer = std::move(r); });
    EXPECT_TRUE(h.run_until([&] { return answer.has_value(); }));
    return answer.value_or(Response{});
  }

  std::string start_waiting() {
    handed_out.clear();
    auto id = h.start_invocation("Webhook", "Wait", R"({"text":""})");
    EXPECT_TRUE(h.run_until([&] { return !handed_out.empty(); }));
    return id;
  }

  testing::EngineHarness h;
  std::optional<FrontDoor> front_door;
  std::optional<InvocationRoutes> routes;
};

TEST_F(RoutesTest, ResolveDeliversTheJsonBody) {
  auto id = start_waiting();
  auto r = send("POST", "/restate/awakeables/" + handed_out + "/resolve", R"({"text":"paid"})");
  EXPECT_EQ(r.status, 202u) << r.body;
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.body, R"({"text":"paid"})");
  // Once its invocation has finished, the awakeable is gone.
  EXPECT_EQ(send("POST", "/restate/awakeables/" + handed_out + "/resolve", "{}").status, 404u);
}

TEST_F(RoutesTest, RejectFailsTheAwaitWithTheReason) {
  auto id = start_waiting();
  auto r = send("POST", "/restate/awakeables/" + handed_out + "/reject",
                R"({"message":"card declined","code":402})");
  EXPECT_EQ(r.status, 202u) << r.body;
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.code, 402);
  EXPECT_EQ(outcome.body, "card declined");
}

TEST_F(RoutesTest, BadRequestsAreRefused) {
  start_waiting();
  EXPECT_EQ(send("POST", "/restate/awakeables/" + handed_out + "/resolve", "{nope").status, 400u);
  EXPECT_EQ(send("GET", "/restate/awakeables/" + handed_out + "/resolve", "").status, 405u);
  EXPECT_EQ(send("POST", "/restate/awakeables/awk_inv_unknown_1/resolve", "{}").status, 404u);
  EXPECT_EQ(send("POST", "/restate/awakeables/not-an-id/resolve", "{}").status, 404u);
}

Task<Note> append_note(Context& ctx, Note note) {
  std::string all = ctx.get<std::string>("notes").value_or("") + note.text;
  ctx.set("notes", all);
  co_return Note{all};
}

Task<Note> read_notes(Context& ctx, Note) {
  co_return Note{ctx.get<std::string>("notes").value_or("")};
}

TEST_F(RoutesTest, VirtualObjectsAreCalledUnderAKey) {
  h.registry.add("Notebook", "Append", &append_note, HandlerEntry::Kind::kExclusive);
  h.registry.add("Notebook", "Read", &read_notes, HandlerEntry::Kind::kShared);
  h.registry.expose("Notebook");
  EXPECT_EQ(send("POST", "/Notebook/alice/Append", R"({"text":"a"})").body, R"({"text":"a"})");
  EXPECT_EQ(send("POST", "/Notebook/alice/Append", R"({"text":"b"})").body, R"({"text":"ab"})");
  EXPECT_EQ(send("POST", "/Notebook/bob/Append", R"({"text":"z"})").body, R"({"text":"z"})");
  EXPECT_EQ(send("POST", "/Notebook/alice/Read", R"({"text":""})").body, R"({"text":"ab"})");
  auto sent = send("POST", "/Notebook/alice/Append/send", R"({"text":"c"})");
  EXPECT_EQ(sent.status, 202u) << sent.body;

  auto no_key = send("POST", "/Notebook/Append", R"({"text":"x"})");
  EXPECT_EQ(no_key.status, 400u);
  EXPECT_NE(no_key.body.find("needs a key"), std::string::npos) << no_key.body;
  EXPECT_EQ(send("POST", "/Webhook/k/Wait", R"({"text":""})").status, 400u);  // not an object
}

TEST_F(RoutesTest, TheShortAwakeableFormBehavesAsTheLongOne) {
  auto id = start_waiting();
  auto r = send("POST", "/restate/a/" + handed_out + "/resolve", R"({"text":"short"})");
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.body, R"({"status":"Accepted"})");
  EXPECT_EQ(h.await_outcome(id).body, R"({"text":"short"})");
  EXPECT_EQ(send("POST", "/restate/a/" + handed_out + "/resolve", "{}").status, 404u);

  auto rejected = start_waiting();
  r = send("POST", "/restate/a/" + handed_out + "/reject", R"({"message":"no","code":402})");
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(h.await_outcome(rejected).code, 402);
  EXPECT_EQ(send("GET", "/restate/a/" + handed_out + "/resolve", "").status, 405u);
  EXPECT_EQ(send("POST", "/restate/a/awk_inv_unknown_1/reject", "no").status, 404u);
}

TEST_F(RoutesTest, TheApiFamilyIsNeverAServiceLookup) {
  // Were /api/v1/... read as Restate paths, these would be called.
  h.registry.add("api", "v1", &read_notes, HandlerEntry::Kind::kShared);
  h.registry.add("api", "orders", &read_notes, HandlerEntry::Kind::kShared);
  h.registry.expose("api");
  for (const char* target : {"/api/v1", "/api/v1/orders", "/api/v1/orders/send"}) {
    auto r = send("POST", target, R"({"text":""})");
    EXPECT_EQ(r.status, 404u) << target;
    EXPECT_EQ(r.content_type, "application/problem+json") << target;
    auto problem = boost::json::parse(r.body).as_object();
    EXPECT_EQ(problem["code"], "not_found");
    EXPECT_FALSE(problem["request_id"].as_string().empty());
  }
  // Restate's own answers keep their shape, and name the request.
  auto restate = send("POST", "/NoSuchService/Run", "{}");
  EXPECT_EQ(restate.body, R"({"code":404,"message":"service 'NoSuchService' not found"})");
  bool named = false;
  for (const auto& [k, v] : restate.headers) named |= k == "x-request-id" && !v.empty();
  EXPECT_TRUE(named);
}

TEST_F(RoutesTest, DomainRoutesAreAddedOnTheRouter) {
  routes->router().add(
      Method::kGet, "/api/v1/orders/{id}",
      [](const RouteRequest& request, Responder respond) {
        ApiError missing{ErrorCode::kNotFound, "no order " + *request.param("id"),
                         "order_not_found"};
        missing.extra["order_id"] = *request.param("id");
        respond(request.error(missing));
      },
      RouteFamily::kApi);
  auto r = send("GET", "/api/v1/orders/ord%201", "");
  EXPECT_EQ(r.status, 404u);
  auto problem = boost::json::parse(r.body).as_object();
  EXPECT_EQ(problem["code"], "order_not_found");
  EXPECT_EQ(problem["order_id"], "ord 1");
  EXPECT_EQ(send("PUT", "/api/v1/orders/ord-1", "").status, 405u);
}

TEST_F(RoutesTest, DrainingRefusesNewWorkInEveryFamily) {
  routes->drain();
  auto restate = send("POST", "/Webhook/Wait", R"({"text":""})");
  EXPECT_EQ(restate.status, 503u);
  EXPECT_EQ(restate.body,
            R"({"code":503,"message":"orderd is shutting down; retry against its restart"})");
  auto api = send("POST", "/api/v1/orders", "{}");
  EXPECT_EQ(api.status, 503u);
  EXPECT_EQ(api.content_type, "application/problem+json");
  EXPECT_EQ(send("GET", "/health", "").status, 200u);
  EXPECT_EQ(send("GET", "/restate/invocation/inv_unknown/output", "").status, 404u);
}

// Authentication as a later issue will fill the seam: the caller names itself in a header.
class CallerHeader final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    if (const std::string* caller = request.header("x-test-caller")) request.principal = *caller;
    next(request, std::move(respond));
  }
};

class ScopedRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    h.registry.add("Webhook", "Wait", &wait_for_webhook);
    h.registry.expose("Webhook");
    h.start();
    ChainOptions chain;
    chain.authentication = std::make_unique<CallerHeader>();
    front_door.emplace(h.engine(), h.scheduler(), h.registry);
    routes.emplace(*front_door, h.registry, std::move(chain));
  }

  Response send_as(const std::string& caller, const std::string& method, const std::string& target,
                   const std::string& body, const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"x-test-caller", caller}};
    if (!key.empty()) headers.emplace_back("idempotency-key", key);
    std::optional<Response> answer;
    routes->handle(Request{method, target, body, std::move(headers)},
                   [&](Response r) { answer = std::move(r); });
    EXPECT_TRUE(h.run_until([&] { return answer.has_value(); }));
    return answer.value_or(Response{});
  }
  static std::string restate_id(const Response& r) {
    for (const auto& [k, v] : r.headers)
      if (k == "x-restate-id") return v;
    return {};
  }
};

TEST_F(ScopedRoutesTest, IdempotencyKeysAreScopedByTheAuthenticatedCaller) {
  auto alice = send_as("alice", "POST", "/Webhook/Wait/send", R"({"text":""})", "k");
  auto bob = send_as("bob", "POST", "/Webhook/Wait/send", R"({"text":""})", "k");
  ASSERT_EQ(alice.status, 202u) << alice.body;
  ASSERT_EQ(bob.status, 202u) << bob.body;
  EXPECT_NE(restate_id(alice), restate_id(bob));
  auto again = send_as("alice", "POST", "/Webhook/Wait/send", R"({"text":""})", "k");
  EXPECT_EQ(restate_id(again), restate_id(alice));
  EXPECT_NE(again.body.find("PreviouslyAccepted"), std::string::npos) << again.body;

  // Lookups by key look under the caller's principal.
  const std::string by_key = "/restate/invocation/Webhook/Wait/k/output";
  EXPECT_EQ(send_as("alice", "GET", by_key, "").status, 470u);
  EXPECT_EQ(send_as("carol", "GET", by_key, "").status, 404u);
  EXPECT_EQ(send_as("", "GET", by_key, "").status, 404u);
}

}  // namespace
}  // namespace orderd::http
