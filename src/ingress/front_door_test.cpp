// The front door against an in-process engine over SQLite: the rules every route family shares
// (keys, callers, bounds, deadlines, hang-ups), each run for both families where they share it,
// and the attacks of issue 14 that reach it: delayed sends that filled --max-inflight, a reused
// key refused before the first request was durable, a waiter a hung-up client left behind.
#include "ingress/front_door.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>

#include "ingress/route_request.hpp"
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

Task<Note> echo(Context&, Note note) {
  co_return note;
}

// Parks on an awakeable nobody completes: a call that does not end on its own.
Task<Note> wait_forever(Context& ctx, Note) {
  auto never = ctx.awakeable<Note>();
  Note note = co_await never.future;
  co_return note;
}

using Kind = FrontDoor::Reply::Kind;
constexpr RouteFamily kFamilies[] = {RouteFamily::kRestate, RouteFamily::kApi};

class FrontDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.registry.add("Echo", "run", &echo);
    h.registry.add("Hold", "wait", &wait_forever);
    start();
  }
  void start(FrontDoorOptions options = {}) {
    options_ = options;
    h.start();
    door.emplace(h.engine(), h.scheduler(), h.registry, options);
  }
  void restart() {
    door.reset();
    h.crash();
    start(options_);
  }

  // A request as a route hands it over: its family, headers, and a client connection behind it.
  std::unique_ptr<RouteRequest> request(
      RouteFamily family, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r{"POST", "/x", "", std::move(headers)};
    r.hangup = std::make_shared<Hangup>();
    auto routed = std::make_unique<RouteRequest>(std::move(r));
    routed->family = family;
    return routed;
  }

  FrontDoor::Start call(const std::string& service, const std::string& handler,
                        const std::string& text = "a", std::int64_t wait_ms = 0) {
    return FrontDoor::Start{
        {service, handler, R"({"text":")" + text + R"("})"}, false, nullptr, wait_ms};
  }

  // Starts and runs the engine until the reply comes.
  FrontDoor::Reply reply_to(const RouteRequest& r, FrontDoor::Start start) {
    std::optional<FrontDoor::Reply> reply;
    door->start(r, std::move(start), [&](FrontDoor::Reply got) { reply = std::move(got); });
    EXPECT_TRUE(h.run_until([&] { return reply.has_value(); }));
    return reply.value_or(FrontDoor::Reply{});
  }

  testing::EngineHarness h;
  std::optional<FrontDoor> door;
  FrontDoorOptions options_;
};

TEST_F(FrontDoorTest, DelayedSendsDoNotCountAsActiveAndHaveTheirOwnBound) {
  FrontDoorOptions options;
  options.max_in_flight = 3;
  options.max_scheduled = 5;
  door.emplace(h.engine(), h.scheduler(), h.registry, options);
  options_ = options;
  const std::string two_hours = "2h";
  for (int i = 0; i < 5; ++i) {
    auto r = request(RouteFamily::kRestate);
    auto send = call("Echo", "run", "later" + std::to_string(i));
    send.send = true;
    send.delay = &two_hours;
    auto reply = reply_to(*r, std::move(send));
    ASSERT_EQ(reply.kind, Kind::kAccepted) << reply.refusal.message;
    EXPECT_GT(reply.execute_at_ms, 0);
  }
  EXPECT_EQ(h.engine().scheduled(), 5u);
  EXPECT_EQ(h.engine().active(), 0u);
  // The attack: with --max-inflight 3, five sends not due yet used to refuse every order.
  for (RouteFamily family : kFamilies) {
    auto r = request(family);
    auto reply = reply_to(*r, call("Echo", "run", "now"));
    EXPECT_EQ(reply.kind, Kind::kDone) << reply.refusal.message;
  }
  // Their own bound is full.
  auto r = request(RouteFamily::kRestate);
  auto one_more = call("Echo", "run", "later5");
  one_more.send = true;
  one_more.delay = &two_hours;
  auto refused = reply_to(*r, std::move(one_more));
  ASSERT_EQ(refused.kind, Kind::kRefused);
  EXPECT_EQ(refused.refusal.reason, "too_many_scheduled");
  EXPECT_EQ(refused.refusal.http_status(), 503);

  // After a restart the recovered sends are scheduled again, not active.
  restart();
  EXPECT_EQ(h.engine().scheduled(), 5u);
  EXPECT_EQ(h.engine().active(), 0u);
  auto after = request(RouteFamily::kApi);
  EXPECT_EQ(reply_to(*after, call("Echo", "run", "after")).kind, Kind::kDone);
}

TEST_F(FrontDoorTest, DelaysAreBounded) {
  FrontDoorOptions options;
  options.max_delay_ms = 60'000;
  door.emplace(h.engine(), h.scheduler(), h.registry, options);
  for (std::string delay : {"2m", "9999999999999999h", "soon", "-1s"}) {
    auto r = request(RouteFamily::kRestate);
    auto send = call("Echo", "run");
    send.send = true;
    send.delay = &delay;
    auto reply = reply_to(*r, std::move(send));
    ASSERT_EQ(reply.kind, Kind::kRefused) << delay;
    EXPECT_EQ(reply.refusal.http_status(), 400) << delay;
    EXPECT_EQ(reply.refusal.reason, delay == "2m" ? "delay_too_long" : "invalid_delay") << delay;
  }
  EXPECT_EQ(h.engine().in_flight(), 0u);  // nothing started
}

TEST_F(FrontDoorTest, KeysFollowOneRuleInEveryFamily) {
  for (RouteFamily family : kFamilies) {
    const std::string tag = family == RouteFamily::kApi ? "api" : "restate";
    for (std::string bad : {std::string(), std::string(256, 'k'), std::string("a\x01z")}) {
      auto r = request(family, {{"idempotency-key", bad}});
      auto reply = reply_to(*r, call("Echo", "run"));
      ASSERT_EQ(reply.kind, Kind::kRefused) << tag;
      EXPECT_EQ(reply.refusal.reason, "invalid_idempotency_key") << tag;
    }
    const std::string key = "key-" + tag;
    auto first = request(family, {{"idempotency-key", key}});
    auto done = reply_to(*first, call("Echo", "run", "one"));
    ASSERT_EQ(done.kind, Kind::kDone);
    auto again = request(family, {{"idempotency-key", key}});
    auto replayed = reply_to(*again, call("Echo", "run", "one"));
    EXPECT_EQ(replayed.kind, Kind::kReplayed) << tag;
    EXPECT_EQ(replayed.invocation_id, done.invocation_id) << tag;
    auto other = request(family, {{"idempotency-key", key}});
    auto reused = reply_to(*other, call("Echo", "run", "two"));
    ASSERT_EQ(reused.kind, Kind::kRefused) << tag;
    EXPECT_EQ(reused.refusal.reason, "idempotency_key_reused") << tag;
    EXPECT_EQ(reused.refusal.http_status(), 422) << tag;
    // Another caller's equal key is another invocation.
    auto someone = request(family, {{"idempotency-key", key}});
    someone->principal = "user:7";
    auto theirs = reply_to(*someone, call("Echo", "run", "two"));
    EXPECT_EQ(theirs.kind, Kind::kDone) << tag;
    EXPECT_NE(theirs.invocation_id, done.invocation_id) << tag;
  }
}

TEST_F(FrontDoorTest, BoundsAreTheSameInEveryFamily) {
  FrontDoorOptions options;
  options.max_parked = 1;
  options.max_in_flight = 100;
  door.emplace(h.engine(), h.scheduler(), h.registry, options);
  auto keyed = request(RouteFamily::kApi, {{"idempotency-key", "before"}});
  ASSERT_EQ(reply_to(*keyed, call("Echo", "run")).kind, Kind::kDone);
  auto holder = request(RouteFamily::kRestate);
  auto parked = call("Hold", "wait");
  parked.send = true;
  ASSERT_EQ(reply_to(*holder, std::move(parked)).kind, Kind::kAccepted);
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked() == 1; }));
  // The /api path used to ignore --max-parked.
  for (RouteFamily family : kFamilies) {
    auto r = request(family);
    auto reply = reply_to(*r, call("Echo", "run"));
    ASSERT_EQ(reply.kind, Kind::kRefused);
    EXPECT_EQ(reply.refusal.reason, "too_many_parked");
    EXPECT_EQ(reply.refusal.http_status(), 503);
    bool retry_after = false;
    for (const auto& [name, value] : reply.refusal.headers) retry_after |= name == "retry-after";
    EXPECT_TRUE(retry_after);
  }
  // A retry of a known key is answered from it, full or not.
  auto retry = request(RouteFamily::kApi, {{"idempotency-key", "before"}});
  EXPECT_EQ(reply_to(*retry, call("Echo", "run")).kind, Kind::kReplayed);
}

TEST_F(FrontDoorTest, AKeyInUseIsAnsweredOnlyOnceTheFirstRequestIsDurable) {
  // The store keeps nothing from here on: the first request's creation never becomes durable.
  door.reset();
  h.crash();
  h.start_crashing_after(0);
  door.emplace(h.engine(), h.scheduler(), h.registry);
  auto first = request(RouteFamily::kApi, {{"idempotency-key", "k"}});
  std::optional<FrontDoor::Reply> first_reply;
  door->start(*first, call("Hold", "wait"),
              [&](FrontDoor::Reply r) { first_reply = std::move(r); });
  auto second = request(RouteFamily::kApi, {{"idempotency-key", "k"}});
  std::optional<FrontDoor::Reply> second_reply;
  door->start(*second, call("Hold", "wait"),
              [&](FrontDoor::Reply r) { second_reply = std::move(r); });
  // Before the fix the second was refused at once as "in use": a crash now frees the key, and
  // the client, told someone holds it, would have no invocation at all. Nothing can be awaited
  // here but the absence of an answer, for a while.
  h.run_until([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_FALSE(second_reply.has_value());
  EXPECT_FALSE(first_reply.has_value());
  restart();
  EXPECT_FALSE(h.engine().find_idempotent("Hold/wait", "k").has_value());  // the key is free
  auto retry = request(RouteFamily::kApi, {{"idempotency-key", "k"}, {"request-timeout", "20ms"}});
  auto started = reply_to(*retry, call("Hold", "wait"));
  EXPECT_EQ(started.kind, Kind::kStillRunning);  // a new invocation, not "in use"
}

TEST_F(FrontDoorTest, AClientThatHangsUpLeavesNoWaiter) {
  for (RouteFamily family : kFamilies) {
    auto r = request(family);
    bool answered = false;
    door->start(*r, call("Hold", "wait"), [&](FrontDoor::Reply) { answered = true; });
    ASSERT_TRUE(h.run_until([&] { return h.engine().parked() >= 1; }));
    ASSERT_EQ(h.engine().waiting_callers(), 1u);
    r->request.hangup->fire();
    EXPECT_EQ(h.engine().waiting_callers(), 0u);  // detached at once
    h.run_until([] { return false; }, std::chrono::milliseconds(50));
    EXPECT_FALSE(answered);
    EXPECT_EQ(h.engine().in_flight(), h.engine().parked());  // the invocations go on
  }
}

TEST_F(FrontDoorTest, DeadlinesComeFromTheRouteAndTheRequestTimeoutHeader) {
  for (RouteFamily family : kFamilies) {
    // The route waits for ever; the header shortens it.
    auto r = request(family, {{"request-timeout", "50ms"}});
    auto reply = reply_to(*r, call("Hold", "wait", "a", 0));
    EXPECT_EQ(reply.kind, Kind::kStillRunning);
    EXPECT_FALSE(reply.invocation_id.empty());
    EXPECT_EQ(h.engine().waiting_callers(), 0u);  // the expired wait left nothing behind
    // The route's own wait.
    auto own = request(family);
    EXPECT_EQ(reply_to(*own, call("Hold", "wait", "b", 50)).kind, Kind::kStillRunning);
    // A header never lengthens the route's wait... and a bad one is refused before any work.
    auto bad = request(family, {{"request-timeout", "soon"}});
    auto refused = reply_to(*bad, call("Echo", "run", "c"));
    ASSERT_EQ(refused.kind, Kind::kRefused);
    EXPECT_EQ(refused.refusal.reason, "invalid_request_timeout");
  }
  // attach takes the same deadline.
  auto first = request(RouteFamily::kRestate, {{"request-timeout", "20ms"}});
  auto running = reply_to(*first, call("Hold", "wait", "d"));
  std::optional<FrontDoor::Reply> attached;
  auto again = request(RouteFamily::kRestate, {{"request-timeout", "20ms"}});
  door->attach(*again, running.invocation_id, 0, [&](FrontDoor::Reply r) { attached = r; });
  ASSERT_TRUE(h.run_until([&] { return attached.has_value(); }));
  EXPECT_EQ(attached->kind, Kind::kStillRunning);
}

TEST_F(FrontDoorTest, TheCallerAndTheTraceTravelIntoTheInvocation) {
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  for (RouteFamily family : kFamilies) {
    // Without a key too: the /api path passed the principal only with one.
    auto r = request(family, {{"traceparent", trace}});
    r->principal = "user:42";
    auto reply = reply_to(*r, call("Echo", "run"));
    ASSERT_EQ(reply.kind, Kind::kDone);
    auto details = h.engine().describe(reply.invocation_id);
    ASSERT_TRUE(details.has_value());
    EXPECT_EQ(details->record.principal, "user:42");
    EXPECT_EQ(details->record.traceparent, trace);
  }
  // A malformed trace context is dropped, not refused.
  auto r = request(RouteFamily::kApi, {{"traceparent", "00-zz-yy-01"}});
  auto reply = reply_to(*r, call("Echo", "run", "x"));
  ASSERT_EQ(reply.kind, Kind::kDone);
  EXPECT_EQ(h.engine().describe(reply.invocation_id)->record.traceparent, "");
}

}  // namespace
}  // namespace orderd::http
