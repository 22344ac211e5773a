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

class RoutesTest : public ::testing::Test {
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

}  // namespace
}  // namespace orderd::http
