// Typed errors: a category, a stable reason and structured details cross the journal intact
// (through a call step, a crash and a replay) and reach the caller beside the message; cancelled
// and conflict are told apart; a recorded value this code cannot read is internal, not the
// client's fault.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

TEST(ErrorCodec, AMessageTheNumericCodeExplainsIsStoredBare) {
  // What every record of an older orderd holds, and what Restate clients send.
  Error plain{ErrorCode::kNotFound, 404, {}, "no such order", {}};
  EXPECT_EQ(plain.encode(), "no such order");
  Error back = Error::decode(404, "no such order");
  EXPECT_EQ(back.code, ErrorCode::kNotFound);
  EXPECT_EQ(back.message, "no such order");
  EXPECT_EQ(back.reason_or_category(), "not_found");
  // A number with no category of its own keeps its number.
  Error teapot = Error::decode(418, "short and stout");
  EXPECT_EQ(teapot.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(teapot.status, 418);
}

TEST(ErrorCodec, CategoryReasonAndDetailsSurviveTheRoundTrip) {
  auto e = Error::of(ErrorCode::kConflict, "product 7 is out of stock", "out_of_stock",
                     R"({"product_id":7,"available":0})");
  Error back = Error::decode(e.status, e.encode());
  EXPECT_EQ(back.code, ErrorCode::kConflict);
  EXPECT_EQ(back.status, 409);
  EXPECT_EQ(back.reason, "out_of_stock");
  EXPECT_EQ(back.message, "product 7 is out of stock");
  EXPECT_EQ(back.details, R"({"product_id":7,"available":0})");
  // Cancelled shares 409 with conflict, but not its category.
  auto cancelled = Error::of(ErrorCode::kCancelled, "cancelled");
  EXPECT_EQ(Error::decode(409, cancelled.encode()).code, ErrorCode::kCancelled);
  EXPECT_EQ(Error::decode(409, "cancelled").code, ErrorCode::kConflict);  // an old record
}

TEST(ErrorCodec, AMessageThatLooksLikeJsonButIsNotAnEncodedErrorStaysAMessage) {
  Error e = Error::decode(500, R"({"message":"x"})");  // no category: a handler's own text
  EXPECT_EQ(e.message, R"({"message":"x"})");
  EXPECT_EQ(e.code, ErrorCode::kInternal);
}

Task<Text> reserve(Context&, Text in) {
  throw TerminalError(ErrorCode::kConflict, "product " + in.value + " is out of stock",
                      "out_of_stock", R"({"product_id":)" + in.value + "}");
  co_return in;
}

// Calls reserve, naps (a crash point), then rethrows what the call failed with.
Task<Text> order(Context& ctx, Text in) {
  auto reserved = ctx.call<Text>("Stock", "Reserve", in);
  std::optional<Error> failure;
  try {
    co_await reserved;
  } catch (const TerminalError& e) {
    failure = e.error();
  }
  auto nap = ctx.sleep(100ms);
  co_await nap;
  if (failure) throw TerminalError(*failure);
  co_return in;
}

TEST(TypedErrors, ACallsTypedFailureReachesTheParentAndTheCallerAcrossACrash) {
  EngineHarness h;
  h.registry.add("Stock", "Reserve", &reserve);
  h.registry.add("Shop", "Order", &order);
  h.start();
  auto id = h.start_invocation("Shop", "Order", text_input("7"));
  ASSERT_TRUE(h.await_durable_entries(id, 2));  // the call and the nap are journaled
  h.crash();
  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.code, 409);
  EXPECT_EQ(outcome.body, "product 7 is out of stock");
  EXPECT_EQ(outcome.error.code, ErrorCode::kConflict);
  EXPECT_EQ(outcome.error.reason, "out_of_stock");
  EXPECT_EQ(outcome.error.details, R"({"product_id":7})");
}

Task<Text> wait_long(Context& ctx, Text in) {
  auto nap = ctx.sleep(10s);
  co_await nap;
  co_return in;
}

TEST(TypedErrors, CancelledAndKilledAreTheirOwnCategories) {
  EngineHarness h;
  h.registry.add("Slow", "Wait", &wait_long);
  h.start();
  auto cancelled = h.start_invocation("Slow", "Wait", text_input(""));
  auto killed = h.start_invocation("Slow", "Wait", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(cancelled, 1) && h.await_durable_entries(killed, 1));
  EXPECT_EQ(h.engine().cancel(cancelled), Engine::Control::kDone);
  EXPECT_EQ(h.engine().kill(killed), Engine::Control::kDone);
  auto c = h.await_outcome(cancelled);
  auto k = h.await_outcome(killed);
  EXPECT_EQ(c.code, 409);
  EXPECT_EQ(c.error.code, ErrorCode::kCancelled);
  EXPECT_EQ(c.body, "cancelled");
  EXPECT_EQ(k.code, 409);
  EXPECT_EQ(k.error.code, ErrorCode::kKilled);
}

struct Strict {
  std::int64_t quantity = 0;
};
Strict tag_invoke(boost::json::value_to_tag<Strict>, const boost::json::value& v) {
  return {v.as_object().at("quantity").as_int64()};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Strict& s) {
  v = {{"quantity", s.quantity}};
}

Task<Text> first_run(Context& ctx, Text) {
  ctx.run("quote", [] { return Text{"not a number"}; });
  auto nap = ctx.sleep(100ms);
  co_await nap;
  co_return Text{"done"};
}

Task<Strict> reread(Context& ctx, Text) {
  Strict s = ctx.run("quote", [] { return Strict{1}; });
  co_return s;
}

TEST(TypedErrors, AnUndecodableRecordedValueIsAnInternalError) {
  std::string id;
  {
    EngineHarness h;
    h.registry.add("Quote", "Get", &first_run);
    h.start();
    id = h.start_invocation("Quote", "Get", text_input(""));
    ASSERT_TRUE(h.await_durable_entries(id, 2));
    h.crash();
    // The next version of the handler reads the recorded step as another type.
    h.registry.add("Quote", "Get", &reread);
    h.start();
    auto outcome = h.await_outcome(id);
    ASSERT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.code, 500);
    EXPECT_EQ(outcome.error.code, ErrorCode::kInternal);
    EXPECT_NE(outcome.body.find("recorded value has an unexpected shape"), std::string::npos);
  }
}

}  // namespace
}  // namespace orderd
