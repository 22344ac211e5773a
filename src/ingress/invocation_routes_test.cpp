// The ingress routes against an in-process engine: awakeables completed over HTTP.
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

class AwakeableRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.registry.add("Webhook", "Wait", &wait_for_webhook);
    h.start();
    routes.emplace(h.engine(), h.registry);
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
  std::optional<InvocationRoutes> routes;
};

TEST_F(AwakeableRoutesTest, ResolveDeliversTheJsonBody) {
  auto id = start_waiting();
  auto r = send("POST", "/restate/awakeables/" + handed_out + "/resolve", R"({"text":"paid"})");
  EXPECT_EQ(r.status, 202u) << r.body;
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.body, R"({"text":"paid"})");
  // Once its invocation has finished, the awakeable is gone.
  EXPECT_EQ(send("POST", "/restate/awakeables/" + handed_out + "/resolve", "{}").status, 404u);
}

TEST_F(AwakeableRoutesTest, RejectFailsTheAwaitWithTheReason) {
  auto id = start_waiting();
  auto r = send("POST", "/restate/awakeables/" + handed_out + "/reject",
                R"({"message":"card declined","code":402})");
  EXPECT_EQ(r.status, 202u) << r.body;
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.code, 402);
  EXPECT_EQ(outcome.body, "card declined");
}

TEST_F(AwakeableRoutesTest, BadRequestsAreRefused) {
  start_waiting();
  EXPECT_EQ(send("POST", "/restate/awakeables/" + handed_out + "/resolve", "{nope").status, 400u);
  EXPECT_EQ(send("GET", "/restate/awakeables/" + handed_out + "/resolve", "").status, 405u);
  EXPECT_EQ(send("POST", "/restate/awakeables/awk_inv_unknown_1/resolve", "{}").status, 404u);
  EXPECT_EQ(send("POST", "/restate/awakeables/not-an-id/resolve", "{}").status, 404u);
}

}  // namespace
}  // namespace orderd::http
