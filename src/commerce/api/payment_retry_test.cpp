// P3 (payments/payment_ledger.hpp) at route level, over the real engine and SQLite store: a
// refund the gateway refuses is never closed silently. The cancelled order keeps its capture,
// its payment needs_attention and is listed for operators; an operator's retry, once the
// gateway takes refunds again, refunds it and the order follows. And the retry's refusals: a
// payment not needing attention, an unknown one, callers that are not operators.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "commerce/api/commerce_api_fixture.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

using payments::PaymentOp;
using payments::PaymentStatus;

constexpr std::uint32_t kAttempts = 3;

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 50}}});
  return spec;
}

auth::Caller with_roles(std::string subject, auth::RoleSet roles) {
  auth::Caller c;
  c.open = false;
  c.subject = std::move(subject);
  c.roles = roles;
  return c;
}
std::string text(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

const auth::Caller kCustomer = with_roles("7", auth::Role::kCustomer);
const auth::Caller kService = with_roles("billing", auth::Role::kService);
const auth::Caller kAdmin = with_roles("ops", auth::Role::kAdmin);

class PaymentRetryTest : public CommerceApiFixture {
 protected:
  PaymentRetryTest() : CommerceApiFixture(options(), catalog()) {}
  static ShopOptions options() {
    ShopOptions o;
    o.payment_timeout_ms = 50;
    o.compensation_attempts = kAttempts;
    o.compensation_backoff_ms = 5;
    return o;
  }

  // A confirmed order of user 7: its id.
  std::string confirmed_order() {
    const std::string body = json::dump(boost::json::object{
        {"user_id", 7},
        {"items", boost::json::array{{{"product_id", 1}, {"quantity", 1}}}},
        {"payment_method", "mock"}});
    Answer a = send("POST", "/api/v1/orders", body);
    EXPECT_EQ(a.status, 201u) << a.text;
    EXPECT_EQ(a.body.at("status"), "confirmed") << a.text;
    return std::string(a.body.at("id").as_string());
  }
  static std::string owner(const std::string& order_id) { return "order:" + order_id; }
  static std::string payment_id(const std::string& order_id) { return "pay_order." + order_id; }
  const payments::Payment& payment(const std::string& order_id) {
    shop.payments.recall(owner(order_id));  // settled ones are read back from their row
    const payments::Payment* p = shop.payments.ledger().payment(owner(order_id));
    EXPECT_NE(p, nullptr);
    static const payments::Payment none;
    return p ? *p : none;
  }
  std::string order_field(const std::string& order_id, const char* field) {
    Answer a = send("GET", "/api/v1/orders/" + order_id);
    EXPECT_EQ(a.status, 200u) << a.text;
    return std::string(a.body.at(field).as_string());
  }
  Answer needing_attention(const auth::Caller& caller = {}) {
    return send("GET", "/api/v1/payments?status=needs_attention", "", {}, caller);
  }
  // The order's ledger records of `type` with `status`.
  std::size_t records(const std::string& order_id, const char* type, const char* status) {
    Answer a = send("GET", "/api/v1/payments?order_id=" + order_id);
    EXPECT_EQ(a.status, 200u) << a.text;
    std::size_t n = 0;
    for (const auto& r : a.body.at("data").as_array())
      if (r.at("type") == type && r.at("status") == status) ++n;
    return n;
  }
  std::size_t events(const std::string& order_id, const char* type) {
    Answer a = send("GET", "/api/v1/events?subject=" + order_id + "&type=" + type);
    EXPECT_EQ(a.status, 200u) << a.text;
    return a.body.at("data").as_array().size();
  }
  // A confirmed order cancelled while the gateway refuses its refund `kAttempts` times.
  std::string cancelled_with_refused_refund() {
    const std::string order_id = confirmed_order();
    shop.payments.mock()->refuse(PaymentOp::kRefund, kAttempts);
    Answer cancel = send("POST", "/api/v1/orders/" + order_id + "/cancel");
    EXPECT_EQ(cancel.status, 200u) << cancel.text;
    EXPECT_EQ(cancel.body.at("status"), "cancelled") << cancel.text;
    return order_id;
  }
};

// Issue 16: "a void or refund the gateway declines still closes the order". The refund refused
// as often as --compensation-attempts allows: the order ends cancelled, its money is not said to
// be back, and operators see it; their retry, once the gateway takes it, refunds it once.
TEST_F(PaymentRetryTest, ARefundTheGatewayRefusesNeedsAnOperatorAndTheRetryRefundsIt) {
  const std::string order_id = cancelled_with_refused_refund();

  // Never silently closed: the order kept its capture, the ledger needs an operator.
  EXPECT_EQ(order_field(order_id, "status"), "cancelled");
  EXPECT_EQ(order_field(order_id, "payment_status"), "captured");
  EXPECT_EQ(payment(order_id).status, PaymentStatus::kNeedsAttention);
  EXPECT_EQ(payment(order_id).refusals, kAttempts);
  EXPECT_EQ(records(order_id, "refund", "declined"), kAttempts);
  EXPECT_EQ(records(order_id, "refund", "succeeded"), 0u);
  EXPECT_EQ(shop.payments.mock()->money(owner(order_id)).refunded, 0u);
  EXPECT_EQ(events(order_id, "order.refunded"), 0u);
  // What /health's payments.needs_attention counts (app/serve.cpp).
  EXPECT_EQ(shop.payments.ledger().needs_attention().size(), 1u);
  Answer listed = needing_attention();
  ASSERT_EQ(listed.status, 200u) << listed.text;
  EXPECT_EQ(listed.body.at("has_more"), false);
  ASSERT_EQ(listed.body.at("data").as_array().size(), 1u) << listed.text;
  const auto& view = listed.body.at("data").at(0).as_object();
  EXPECT_EQ(text(view.at("id")), payment_id(order_id));
  EXPECT_EQ(text(view.at("owner")), owner(order_id));
  EXPECT_EQ(text(view.at("order_id")), order_id);
  EXPECT_EQ(view.at("status"), "needs_attention");
  EXPECT_EQ(view.at("amount"), 1500);
  EXPECT_EQ(view.at("currency"), "USD");
  EXPECT_EQ(view.at("refusals"), kAttempts);
  EXPECT_TRUE(view.at("message").is_string()) << listed.text;
  EXPECT_TRUE(view.at("updated_at").is_string()) << listed.text;

  // The gateway takes refunds again: the operator's retry refunds it.
  Answer retried =
      send("POST", "/api/v1/payments/" + payment_id(order_id) + "/retry", "", {}, kAdmin);
  ASSERT_EQ(retried.status, 200u) << retried.text;
  EXPECT_EQ(text(retried.body.at("id")), payment_id(order_id));
  EXPECT_EQ(retried.body.at("status"), "refunded") << retried.text;
  EXPECT_EQ(retried.body.at("refusals"), 0);
  EXPECT_EQ(payment(order_id).status, PaymentStatus::kRefunded);
  EXPECT_EQ(records(order_id, "refund", "succeeded"), 1u);
  EXPECT_EQ(shop.payments.mock()->money(owner(order_id)).refunded, 1u);
  EXPECT_EQ(order_field(order_id, "status"), "cancelled");
  EXPECT_EQ(order_field(order_id, "payment_status"), "refunded");
  EXPECT_EQ(events(order_id, "order.refunded"), 1u);
  EXPECT_EQ(shop.payments.ledger().needs_attention().size(), 0u);
  Answer empty = needing_attention();
  EXPECT_EQ(empty.status, 200u) << empty.text;
  EXPECT_EQ(empty.body.at("data").as_array().size(), 0u) << empty.text;

  // Done: a second retry finds nothing to do, and refunds nothing again.
  Answer again =
      send("POST", "/api/v1/payments/" + payment_id(order_id) + "/retry", "", {}, kAdmin);
  EXPECT_EQ(again.status, 409u) << again.text;
  EXPECT_EQ(code_of(again), "payment_not_needing_attention") << again.text;
  EXPECT_EQ(shop.payments.mock()->money(owner(order_id)).refunded, 1u);
}

// A retry counts refusals afresh: the gateway refusing twice more is within the attempts a
// retry gets, so it still ends refunded (it would need attention again at once if the earlier
// refusals were still counted).
TEST_F(PaymentRetryTest, ARetryCountsRefusalsAfresh) {
  const std::string order_id = cancelled_with_refused_refund();
  shop.payments.mock()->refuse(PaymentOp::kRefund, kAttempts - 1);
  Answer retried = send("POST", "/api/v1/payments/" + payment_id(order_id) + "/retry");
  ASSERT_EQ(retried.status, 200u) << retried.text;
  EXPECT_EQ(retried.body.at("status"), "refunded") << retried.text;
  EXPECT_EQ(records(order_id, "refund", "declined"), 2 * kAttempts - 1);
  EXPECT_EQ(order_field(order_id, "payment_status"), "refunded");
}

// A retry the gateway refuses as often again needs an operator again: the order is not moved.
TEST_F(PaymentRetryTest, ARetryTheGatewayRefusesAgainNeedsAttentionAgain) {
  const std::string order_id = cancelled_with_refused_refund();
  shop.payments.mock()->refuse(PaymentOp::kRefund, kAttempts);
  Answer retried = send("POST", "/api/v1/payments/" + payment_id(order_id) + "/retry");
  ASSERT_EQ(retried.status, 200u) << retried.text;
  EXPECT_EQ(retried.body.at("status"), "needs_attention") << retried.text;
  EXPECT_EQ(order_field(order_id, "payment_status"), "captured");
  EXPECT_EQ(shop.payments.mock()->money(owner(order_id)).refunded, 0u);
  EXPECT_EQ(needing_attention().body.at("data").as_array().size(), 1u);
}

TEST_F(PaymentRetryTest, ARetryOfAPaymentNotNeedingAttentionIsAConflictAndSendsNothing) {
  const std::string order_id = confirmed_order();
  const std::size_t operations = shop.payments.mock()->operations();
  Answer a = send("POST", "/api/v1/payments/" + payment_id(order_id) + "/retry");
  EXPECT_EQ(a.status, 409u) << a.text;
  EXPECT_EQ(code_of(a), "payment_not_needing_attention") << a.text;
  EXPECT_EQ(payment(order_id).status, PaymentStatus::kCaptured);
  EXPECT_EQ(shop.payments.mock()->operations(), operations);
  EXPECT_EQ(order_field(order_id, "payment_status"), "captured");
}

TEST_F(PaymentRetryTest, ARetryOfAnUnknownPaymentIsA404) {
  for (const std::string id :
       {"pay_order.ord_00000000000000000000000000", "pay_nothing", "ord_x", "pay_order."}) {
    SCOPED_TRACE(id);
    Answer a = send("POST", "/api/v1/payments/" + id + "/retry");
    EXPECT_EQ(a.status, 404u) << a.text;
    EXPECT_EQ(code_of(a), "unknown_payment") << a.text;
  }
  EXPECT_EQ(shop.payments.mock()->operations(), 0u);
}

// Operators only: a customer (even the order's own) or a service neither lists the payments
// needing attention nor retries one; an admin does both.
TEST_F(PaymentRetryTest, OnlyOperatorsListAndRetryPaymentsNeedingAttention) {
  const std::string order_id = cancelled_with_refused_refund();
  for (const auth::Caller& caller : {kCustomer, kService}) {
    SCOPED_TRACE(caller.subject);
    Answer listed = needing_attention(caller);
    EXPECT_EQ(listed.status, 403u) << listed.text;
    EXPECT_EQ(code_of(listed), "insufficient_role") << listed.text;
    // The retry route is declared admin's (route_access.hpp): the role check refuses it before
    // the route runs (ingress/middleware.cpp).
    const std::string target = "/api/v1/payments/" + payment_id(order_id) + "/retry";
    const http::RouteRequest probe(http::Request{"POST", target, "", {}, nullptr});
    http::RouteMatch match = router.match("POST", probe.segments);
    ASSERT_EQ(match.kind, http::RouteMatch::Kind::kRoute);
    EXPECT_FALSE(match.access->allows(caller));
  }
  EXPECT_EQ(payment(order_id).status, PaymentStatus::kNeedsAttention);
  // The customer still reads its own order's ledger.
  Answer own = send("GET", "/api/v1/payments?order_id=" + order_id, "", {}, kCustomer);
  EXPECT_EQ(own.status, 200u) << own.text;
  EXPECT_EQ(needing_attention(kAdmin).status, 200u);
  Answer retried =
      send("POST", "/api/v1/payments/" + payment_id(order_id) + "/retry", "", {}, kAdmin);
  EXPECT_EQ(retried.status, 200u) << retried.text;
}

TEST_F(PaymentRetryTest, TheListingTakesOrderIdOrStatusNeedsAttentionAndNothingElse) {
  const std::string order_id = confirmed_order();
  const std::vector<std::string> queries{
      "", "?status=captured", "?status=", "?order_id=" + order_id + "&status=needs_attention",
      "?order_id=nope"};
  for (const std::string& query : queries) {
    SCOPED_TRACE(query);
    Answer a = send("GET", "/api/v1/payments" + query);
    EXPECT_EQ(a.status, 400u) << a.text;
    EXPECT_EQ(code_of(a), "validation_failed") << a.text;
  }
  EXPECT_EQ(send("GET", "/api/v1/payments?order_id=" + order_id).status, 200u);
}

}  // namespace
}  // namespace orderd::commerce::api
