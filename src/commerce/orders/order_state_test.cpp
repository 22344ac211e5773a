#include "commerce/orders/order_state.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "commerce/orders/order.hpp"

namespace orderd::commerce {
namespace {

TEST(OrderState, EveryNameRoundTrips) {
  for (auto s : {OrderStatus::kPending, OrderStatus::kConfirmed, OrderStatus::kFailed,
                 OrderStatus::kCancelled})
    EXPECT_EQ(parse_order_status(to_string(s)), s);
  for (auto s : {PaymentStatus::kPending, PaymentStatus::kAuthorized, PaymentStatus::kCaptured,
                 PaymentStatus::kVoided, PaymentStatus::kRefunded, PaymentStatus::kFailed})
    EXPECT_EQ(parse_payment_status(to_string(s)), s);
  for (auto s : {FulfillmentStatus::kUnfulfilled, FulfillmentStatus::kFulfilled,
                 FulfillmentStatus::kCancelled})
    EXPECT_EQ(parse_fulfillment_status(to_string(s)), s);
  EXPECT_FALSE(parse_order_status("Confirmed"));
  EXPECT_FALSE(parse_payment_status(""));
}

// O2 and O3: a terminal order never moves; a confirmed one only to cancelled.
TEST(OrderState, TerminalOrdersNeverMove) {
  for (auto from : {OrderStatus::kFailed, OrderStatus::kCancelled})
    for (auto to : {OrderStatus::kPending, OrderStatus::kConfirmed, OrderStatus::kFailed,
                    OrderStatus::kCancelled}) {
      if (from == to) continue;
      OrderStatus at = from;
      EXPECT_THROW(advance(at, to), IllegalTransition) << from << " -> " << to;
      EXPECT_EQ(at, from);
    }
  OrderStatus confirmed = OrderStatus::kConfirmed;
  EXPECT_THROW(advance(confirmed, OrderStatus::kFailed), IllegalTransition);
  EXPECT_THROW(advance(confirmed, OrderStatus::kPending), IllegalTransition);
  advance(confirmed, OrderStatus::kCancelled);
  EXPECT_EQ(confirmed, OrderStatus::kCancelled);
}

TEST(OrderState, MoneyMovesOnlyForward) {
  PaymentStatus p = PaymentStatus::kPending;
  EXPECT_THROW(advance(p, PaymentStatus::kCaptured), IllegalTransition);  // never authorized
  EXPECT_THROW(advance(p, PaymentStatus::kVoided), IllegalTransition);
  advance(p, PaymentStatus::kAuthorized);
  EXPECT_THROW(advance(p, PaymentStatus::kRefunded), IllegalTransition);  // nothing captured
  advance(p, PaymentStatus::kCaptured);
  EXPECT_THROW(advance(p, PaymentStatus::kVoided), IllegalTransition);  // captured: refund
  advance(p, PaymentStatus::kRefunded);
  for (auto to : {PaymentStatus::kPending, PaymentStatus::kAuthorized, PaymentStatus::kCaptured,
                  PaymentStatus::kVoided, PaymentStatus::kFailed})
    EXPECT_THROW(advance(p, to), IllegalTransition);
}

TEST(OrderState, SettingTheSameValueIsNoTransition) {
  PaymentStatus p = PaymentStatus::kVoided;
  EXPECT_NO_THROW(advance(p, PaymentStatus::kVoided));
}

// The transitions an order's helpers make are checked too: failing a confirmed order is a bug;
// cancelling it is allowed and cancels its fulfillment.
TEST(OrderState, OrderHelpersAreChecked) {
  Order order;
  EXPECT_THROW(confirm(order, 9), IllegalTransition);  // nothing authorized: no capture
  EXPECT_EQ(order.status, OrderStatus::kPending);      // and nothing moved
  EXPECT_EQ(order.version, 1);
  advance(order.payment_status, PaymentStatus::kAuthorized);
  confirm(order, 10);
  EXPECT_EQ(order.status, OrderStatus::kConfirmed);
  EXPECT_EQ(order.payment_status, PaymentStatus::kCaptured);
  EXPECT_THROW(fail(order, Error::of(ErrorCode::kUnprocessable, "late", "fraud_rejected"), 11),
               IllegalTransition);
  fail(order, Error::of(ErrorCode::kCancelled, "asked", "order_cancelled"), 12);
  EXPECT_EQ(order.status, OrderStatus::kCancelled);
  EXPECT_EQ(order.fulfillment_status, FulfillmentStatus::kCancelled);
  EXPECT_THROW(fail(order, Error::of(ErrorCode::kInternal, "later", "internal"), 13),
               IllegalTransition);
}

TEST(OrderState, AStoredOrderWithAnUnknownStateIsRefused) {
  Order order;
  std::string row = boost::json::serialize(boost::json::value_from(order));
  auto at = row.find("\"pending\"");
  ASSERT_NE(at, std::string::npos);
  row.replace(at, 9, "\"shipped\"");
  EXPECT_ANY_THROW(boost::json::value_to<Order>(boost::json::parse(row)));
}

}  // namespace
}  // namespace orderd::commerce
