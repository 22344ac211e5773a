#include "services/order_review.hpp"

#include <boost/json/value.hpp>
#include <chrono>

#include "common/json_fields.hpp"
#include "engine/registry.hpp"

namespace orderd::services {
namespace {

constexpr const char* kDecision = "decision";
constexpr std::uint16_t kTimedOut = 408;

Task<ReviewResult> review(Context& ctx, ReviewRequest request) {
  ReviewResult result{ctx.key(), "pending", false, ""};
  if (request.riskScore <= kAutoApproveRisk) {
    result = {ctx.key(), "approved", true, "auto"};
    ctx.set("status", result.status);
    co_return result;
  }
  ctx.set("status", result.status);
  ctx.log().info("order {} (risk {}) waits for a reviewer", ctx.key(), request.riskScore);
  auto decision = ctx.promise<ReviewDecision>(kDecision).get();
  auto deadline = ctx.sleep(std::chrono::seconds(request.timeoutSeconds));
  Waiter race = ctx.wait(decision, deadline);
  auto next = race.next();
  std::optional<Completed> first = co_await std::move(next);
  if (*first == deadline) {
    // The deadline came first: close the decision, so a late reviewer gets a 409 instead of an
    // answer that changes nothing. If a decision got in first after all, it stands.
    try {
      ctx.promise<ReviewDecision>(kDecision).reject("the review timed out", kTimedOut);
      result.status = "timed-out";
      ctx.set("status", result.status);
      co_return result;
    } catch (const TerminalError& e) {
      if (e.category() != ErrorCode::kConflict) throw;
    }
  }
  ReviewDecision d = co_await decision;
  result = {ctx.key(), d.approved ? "approved" : "rejected", d.approved, d.reviewer};
  ctx.set("status", result.status);
  co_return result;
}

Task<ReviewResult> decide(Context& ctx, ReviewDecision decision) {
  if (decision.reviewer.empty())
    throw TerminalError(ErrorCode::kInvalidArgument, "field 'reviewer' must not be empty");
  try {
    ctx.promise<ReviewDecision>(kDecision).resolve(decision);
  } catch (const TerminalError& e) {
    if (e.category() != ErrorCode::kConflict) throw;
    throw TerminalError(ErrorCode::kConflict,
                        "order " + ctx.key() + " was already decided, or its review timed out");
  }
  co_return ReviewResult{ctx.key(), decision.approved ? "approved" : "rejected", decision.approved,
                         decision.reviewer};
}

// Where the review stands. The state says "pending" until run has seen the decision; a decision
// already made but not yet seen by run is reported from the promise (rejected: timed out).
Task<ReviewResult> status(Context& ctx, NoInput) {
  ReviewResult result{ctx.key(), ctx.get<std::string>("status").value_or("unknown"), false, ""};
  std::optional<ReviewDecision> d;
  try {
    d = ctx.promise<ReviewDecision>(kDecision).peek();
  } catch (const TerminalError&) {
    if (result.status == "pending") result.status = "timed-out";
  }
  if (d) {
    result.approved = d->approved;
    result.reviewer = d->reviewer;
    if (result.status == "pending") result.status = d->approved ? "approved" : "rejected";
  } else if (result.status == "approved") {
    result.approved = true;
    result.reviewer = "auto";
  }
  co_return result;
}

}  // namespace

void register_order_review(Registry& registry) {
  registry.add("OrderReview", "run", &review, HandlerEntry::Kind::kWorkflowRun);
  registry.add("OrderReview", "decide", &decide, HandlerEntry::Kind::kWorkflowShared);
  registry.add("OrderReview", "status", &status, HandlerEntry::Kind::kWorkflowShared);
}

ReviewRequest tag_invoke(boost::json::value_to_tag<ReviewRequest>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  ReviewRequest r{json::require_string(o, "customerId"), json::require_number(o, "amount"),
                  json::require_number(o, "riskScore")};
  if (r.amount < 0) throw json::InvalidField("amount", "must be >= 0");
  if (r.riskScore < 0 || r.riskScore > 100)
    throw json::InvalidField("riskScore", "must be between 0 and 100");
  if (o.contains("timeoutSeconds")) {
    r.timeoutSeconds = json::require_integer(o, "timeoutSeconds");
    if (r.timeoutSeconds < 1) throw json::InvalidField("timeoutSeconds", "must be >= 1");
  }
  return r;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReviewRequest& r) {
  v = {{"customerId", r.customerId},
       {"amount", r.amount},
       {"riskScore", r.riskScore},
       {"timeoutSeconds", r.timeoutSeconds}};
}

ReviewDecision tag_invoke(boost::json::value_to_tag<ReviewDecision>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_bool(o, "approved"), json::require_string(o, "reviewer"),
          json::optional_string(o, "note")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReviewDecision& d) {
  v = {{"approved", d.approved}, {"reviewer", d.reviewer}, {"note", d.note}};
}

ReviewResult tag_invoke(boost::json::value_to_tag<ReviewResult>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "orderId"), json::require_string(o, "status"),
          json::require_bool(o, "approved"), json::require_string(o, "reviewer")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReviewResult& r) {
  v = {{"orderId", r.orderId},
       {"status", r.status},
       {"approved", r.approved},
       {"reviewer", r.reviewer}};
}

NoInput tag_invoke(boost::json::value_to_tag<NoInput>, const boost::json::value& v) {
  if (!v.is_null() && !v.is_object()) throw json::InvalidField("body", "must be empty or {}");
  return {};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const NoInput&) {
  v = boost::json::object();
}

}  // namespace orderd::services
