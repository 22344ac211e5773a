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
    h.registry.add("Signal", "peek", &echo, HandlerEntry::Kind::kShared);
    start();
  }
  void start(FrontDoorOptions options = {}) {
    options_ = options;
    h.start();
    door.emplace(h.engine(), h.scheduler(), h.registry, options);
  }
  // A front door with other options, over the same engine.
  void start_over(FrontDoorOptions options) {
    options_ = options;
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

  // The request of an authenticated caller: `subject` with `roles` (the principal is the subject,
  // as the authentication stage sets it).
  std::unique_ptr<RouteRequest> request_as(
      RouteFamily family, const std::string& subject, auth::RoleSet roles,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto r = request(family, std::move(headers));
    r->caller.open = false;
    r->caller.subject = subject;
    r->caller.roles = roles;
    r->principal = subject;
    return r;
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

// Issue 15, quotas: a caller holding its parked quota starts nothing new (429 quota_parked) while
// other callers, admins and open callers are served; the global bound still answers 503.
TEST_F(FrontDoorTest, ACallerAtItsParkedQuotaIsRefusedWhileOthersAreServed) {
  FrontDoorOptions options;
  options.max_parked_per_caller = 2;
  options.max_parked = 4;
  start_over(options);
  const auth::RoleSet customer = auth::Role::kCustomer;
  // Before the quota is reached: a keyed call, answered again later whatever the quota.
  auto keyed = request_as(RouteFamily::kApi, "alice", customer, {{"idempotency-key", "k1"}});
  ASSERT_EQ(reply_to(*keyed, call("Echo", "run", "keyed")).kind, Kind::kDone);
  std::vector<std::string> held;
  for (int i = 0; i < 2; ++i) {
    auto r = request_as(RouteFamily::kRestate, "alice", customer);
    auto park = call("Hold", "wait", "alice" + std::to_string(i));
    park.send = true;
    auto reply = reply_to(*r, std::move(park));
    ASSERT_EQ(reply.kind, Kind::kAccepted) << reply.refusal.message;
    held.push_back(reply.invocation_id);
  }
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 2; }));

  // The hoarder: any new work, call or send, in every family.
  for (RouteFamily family : kFamilies) {
    for (bool send : {false, true}) {
      auto r = request_as(family, "alice", customer);
      auto more = call("Echo", "run", "more");
      more.send = send;
      auto reply = reply_to(*r, std::move(more));
      ASSERT_EQ(reply.kind, Kind::kRefused);
      EXPECT_EQ(reply.refusal.reason, "quota_parked");
      EXPECT_EQ(reply.refusal.http_status(), 429);
      EXPECT_EQ(reply.refusal.extra.at("quota").as_uint64(), 2u);
      bool retry_after = false;
      for (const auto& [name, value] : reply.refusal.headers) retry_after |= name == "retry-after";
      EXPECT_TRUE(retry_after);
    }
  }
  EXPECT_EQ(h.engine().in_flight(), 2u);  // nothing started
  // Its retry of a known key is still answered; the signals that free parked work get through.
  auto retry = request_as(RouteFamily::kApi, "alice", customer, {{"idempotency-key", "k1"}});
  EXPECT_EQ(reply_to(*retry, call("Echo", "run", "keyed")).kind, Kind::kReplayed);
  auto signal = request_as(RouteFamily::kRestate, "alice", customer);
  auto peek = call("Signal", "peek");
  peek.invoke.object_key = "o";
  EXPECT_EQ(reply_to(*signal, std::move(peek)).kind, Kind::kDone);

  // Everyone else is served: another customer, an admin under the same subject, an open caller.
  auto bob = request_as(RouteFamily::kApi, "bob", customer);
  EXPECT_EQ(reply_to(*bob, call("Echo", "run", "bob")).kind, Kind::kDone);
  auto admin = request_as(RouteFamily::kApi, "alice", auth::Role::kAdmin);
  EXPECT_EQ(reply_to(*admin, call("Echo", "run", "admin")).kind, Kind::kDone);
  auto open = request(RouteFamily::kApi);
  EXPECT_EQ(reply_to(*open, call("Echo", "run", "open")).kind, Kind::kDone);
  // A service is a caller like a customer: its own quota, not alice's.
  auto service = request_as(RouteFamily::kRestate, "billing", auth::Role::kService);
  EXPECT_EQ(reply_to(*service, call("Echo", "run", "service")).kind, Kind::kDone);

  // The global bound is the server's: 503, for alice too, once everyone's parked runs fill it.
  for (const std::string who : {"bob", "carol"}) {
    auto r = request_as(RouteFamily::kRestate, who, customer);
    auto park = call("Hold", "wait", who);
    park.send = true;
    ASSERT_EQ(reply_to(*r, std::move(park)).kind, Kind::kAccepted);
  }
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked() == 4; }));
  for (const std::string who : {"alice", "dave"}) {
    auto r = request_as(RouteFamily::kApi, who, customer);
    auto reply = reply_to(*r, call("Echo", "run", "full"));
    ASSERT_EQ(reply.kind, Kind::kRefused) << who;
    EXPECT_EQ(reply.refusal.reason, "too_many_parked") << who;
    EXPECT_EQ(reply.refusal.http_status(), 503) << who;
  }

  // One of alice's ends: she is under her quota, and the global bound has room again.
  ASSERT_EQ(h.engine().kill(held[0]), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 1; }));
  auto again = request_as(RouteFamily::kApi, "alice", customer);
  EXPECT_EQ(reply_to(*again, call("Echo", "run", "again")).kind, Kind::kDone);
}

TEST_F(FrontDoorTest, ACallerAtItsScheduledQuotaSendsNoMoreDelayedWork) {
  FrontDoorOptions options;
  options.max_scheduled_per_caller = 2;
  options.max_scheduled = 4;
  start_over(options);
  const auth::RoleSet customer = auth::Role::kCustomer;
  const std::string hour = "1h";
  auto send_later = [&](const std::unique_ptr<RouteRequest>& r, const std::string& text) {
    auto send = call("Echo", "run", text);
    send.send = true;
    send.delay = &hour;
    return reply_to(*r, std::move(send));
  };
  for (int i = 0; i < 2; ++i) {
    auto r = request_as(RouteFamily::kRestate, "alice", customer,
                        {{"idempotency-key", "later" + std::to_string(i)}});
    ASSERT_EQ(send_later(r, "later" + std::to_string(i)).kind, Kind::kAccepted);
  }
  EXPECT_EQ(h.engine().scheduled_of("alice"), 2u);
  for (RouteFamily family : kFamilies) {
    auto r = request_as(family, "alice", customer);
    auto reply = send_later(r, "third");
    ASSERT_EQ(reply.kind, Kind::kRefused);
    EXPECT_EQ(reply.refusal.reason, "quota_scheduled");
    EXPECT_EQ(reply.refusal.http_status(), 429);
  }
  EXPECT_EQ(h.engine().scheduled(), 2u);
  // A resend of a known key is answered as accepted before; work now is not delayed work.
  auto resend =
      request_as(RouteFamily::kRestate, "alice", customer, {{"idempotency-key", "later0"}});
  auto previously = send_later(resend, "later0");
  EXPECT_EQ(previously.kind, Kind::kAccepted);
  EXPECT_TRUE(previously.previously);
  auto now = request_as(RouteFamily::kApi, "alice", customer);
  EXPECT_EQ(reply_to(*now, call("Echo", "run", "now")).kind, Kind::kDone);
  // Others send theirs; the admin has no quota.
  auto bob = request_as(RouteFamily::kRestate, "bob", customer);
  auto bobs = send_later(bob, "bob");
  EXPECT_EQ(bobs.kind, Kind::kAccepted);
  auto admin = request_as(RouteFamily::kRestate, "alice", auth::Role::kAdmin);
  EXPECT_EQ(send_later(admin, "admin").kind, Kind::kAccepted);
  // Now the global bound (4) is full: 503 too_many_scheduled for a caller under its quota.
  auto carol = request_as(RouteFamily::kRestate, "carol", customer);
  auto full = send_later(carol, "carol");
  ASSERT_EQ(full.kind, Kind::kRefused);
  EXPECT_EQ(full.refusal.reason, "too_many_scheduled");
  EXPECT_EQ(full.refusal.http_status(), 503);
  // After a restart the recovered sends count against their callers again.
  restart();
  EXPECT_EQ(h.engine().scheduled_of("alice"), 3u);  // hers and the admin's: one subject
  EXPECT_EQ(h.engine().scheduled_of("bob"), 1u);
  ASSERT_EQ(h.engine().kill(bobs.invocation_id), Engine::Control::kDone);  // room below 4
  auto after = request_as(RouteFamily::kRestate, "alice", customer);
  EXPECT_EQ(send_later(after, "after").refusal.reason, "quota_scheduled");
  auto bob_again = request_as(RouteFamily::kRestate, "bob", customer);
  EXPECT_EQ(send_later(bob_again, "bob again").kind, Kind::kAccepted);
}

}  // namespace
}  // namespace orderd::http
