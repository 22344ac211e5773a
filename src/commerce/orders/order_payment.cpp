#include "commerce/orders/order_payment.hpp"

#include <initializer_list>
#include <iterator>

#include "commerce/orders/order_book.hpp"
#include "payments/payment_ledger.hpp"

namespace orderd::commerce {
namespace {

constexpr std::string_view kOrderOwner = "order:";

}  // namespace

std::string payment_owner(const std::string& order_id) {
  return std::string(kOrderOwner) + order_id;
}

std::optional<std::string> order_of_payment_owner(std::string_view owner) {
  if (owner.rfind(kOrderOwner, 0) != 0 || owner.size() == kOrderOwner.size()) return std::nullopt;
  return std::string(owner.substr(kOrderOwner.size()));
}

void OrderEvents::operator()(Order& order, std::string_view type) {
  if (writes_)
    orders_.order_event(order, type, now_ms_, *writes_);
  else
    ++order.event_version;
}

void follow_payment(Order& order, payments::PaymentStatus money) {
  using M = payments::PaymentStatus;
  using P = PaymentStatus;
  // The states on the way from pending to what the money became; the order walks the rest of
  // the way from where it is (a cancelled order already stands at captured).
  auto walk = [&](std::initializer_list<P> path) {
    bool on_path = order.payment_status == P::kPending;
    for (P to : path) {
      if (on_path) advance(order.payment_status, to);
      if (order.payment_status == to) on_path = true;
    }
    // Off the path (voided money on a captured order): a bug that O3 reports.
    if (!on_path) advance(order.payment_status, *std::prev(path.end()));
  };
  switch (money) {
    case M::kAuthorized:
      walk({P::kAuthorized});
      break;
    case M::kCaptured:
      walk({P::kAuthorized, P::kCaptured});
      break;
    case M::kVoided:
      walk({P::kAuthorized, P::kVoided});
      break;
    case M::kRefunded:
      walk({P::kAuthorized, P::kCaptured, P::kRefunded});
      break;
    case M::kDeclined:
      walk({P::kFailed});
      break;
    default:
      break;
  }
}

void payment_events(Order& order, PaymentStatus before, OrderEvents& emit) {
  const PaymentStatus after = order.payment_status;
  if (after == before) return;
  auto passed = [&](PaymentStatus s) {
    // The states on the way: pending -> authorized -> captured -> refunded / voided / failed.
    switch (s) {
      case PaymentStatus::kAuthorized:
        return before == PaymentStatus::kPending && after != PaymentStatus::kFailed;
      case PaymentStatus::kCaptured:
        return before != PaymentStatus::kCaptured &&
               (after == PaymentStatus::kCaptured || after == PaymentStatus::kRefunded);
      default:
        return after == s;
    }
  };
  if (passed(PaymentStatus::kAuthorized)) emit(order, "order.authorized");
  if (passed(PaymentStatus::kCaptured)) emit(order, "order.captured");
  if (after == PaymentStatus::kVoided) emit(order, "order.voided");
  if (after == PaymentStatus::kRefunded) emit(order, "order.refunded");
  if (after == PaymentStatus::kFailed) emit(order, "order.payment_failed");
}

payments::PaymentStatus money_of(const payments::PaymentLedger& ledger, Context& ctx,
                                 const std::string& owner) {
  std::string status;
  for (;;) {
    try {
      status = ctx.run("payment_outcome", [&] {
        const payments::Payment* p = ledger.payment(owner);
        return std::string(p ? payments::to_string(p->status) : "intended");
      });
      break;
    } catch (const TerminalError& e) {
      if (e.category() != ErrorCode::kCancelled) throw;
    }
  }
  return payments::payment_status_from_string(status).value_or(payments::PaymentStatus::kIntended);
}

}  // namespace orderd::commerce
