#include "commerce/orders/order_reclaim.hpp"

#include <vector>

#include "commerce/orders/order.hpp"
#include "commerce/orders/order_book.hpp"
#include "commerce/stock/stock.hpp"
#include "engine/engine.hpp"
#include "engine/scheduler.hpp"
#include "payments/payment_desk.hpp"
#include "store/records.hpp"

namespace orderd::commerce {
namespace {

constexpr std::string_view kOwnerPrefix = "order:";

}  // namespace

OrderReclaim::~OrderReclaim() {
  if (timer_ && scheduler_) scheduler_->cancel(timer_);
}

void OrderReclaim::attach(Engine& engine, Scheduler& scheduler) {
  engine_ = &engine;
  scheduler_ = &scheduler;
  timer_ = 0;
  running_.clear();
  engine.add_purge_guard(
      [this](const store::InvocationRecord& record) { return purge_refusal(record); });
}

bool OrderReclaim::abandoned(const std::string& order_id) const {
  InvocationOutcome outcome;
  return engine_->output(invocation_id_for(order_id), outcome) != Engine::Lookup::kRunning;
}

bool OrderReclaim::holds_units(const std::string& order_id) const {
  for (const auto& [id, r] : stock_.held_reservations())
    if (r.order_id == order_id) return true;
  return false;
}

bool OrderReclaim::holds_money(const std::string& order_id) const {
  const payments::Payment* p = payments_.ledger().payment(std::string(kOwnerPrefix) + order_id);
  if (!p) return false;
  const payments::Compensation owed = payments_.ledger().compensation_for(p->owner);
  if (owed.action == payments::Compensation::Action::kVoid) return true;
  // A capture is owed back only when the order did not end confirmed.
  if (owed.action == payments::Compensation::Action::kRefund) {
    auto order = orders_.read_order(order_id);
    return !order || order->status != OrderStatus::kConfirmed;
  }
  return false;
}

std::size_t OrderReclaim::run() {
  std::set<std::string> candidates;
  for (const auto& [id, r] : stock_.held_reservations())
    if (!r.order_id.empty()) candidates.insert(r.order_id);
  for (const std::string& owner : payments_.ledger().open_owners()) {
    if (owner.rfind(kOwnerPrefix, 0) != 0) continue;
    const payments::Payment* p = payments_.ledger().payment(owner);
    if (p && p->status == payments::PaymentStatus::kNeedsAttention) continue;  // an operator's
    candidates.insert(owner.substr(kOwnerPrefix.size()));
  }
  std::size_t started = 0;
  for (const std::string& order_id : candidates) {
    if (running_.count(order_id) || !abandoned(order_id)) continue;
    InvokeRequest request;
    request.service = "OrderReclaim";
    request.handler = "reclaim";
    request.object_key = order_id;
    request.input = "{}";
    running_.insert(order_id);
    engine_->invoke(std::move(request),
                    [this, order_id](InvocationOutcome) { running_.erase(order_id); });
    ++started;
  }
  return started;
}

void OrderReclaim::every(std::int64_t interval_ms) {
  timer_ = scheduler_->schedule_after(interval_ms, [this, interval_ms] {
    run();
    every(interval_ms);
  });
}

std::optional<Error> OrderReclaim::purge_refusal(const store::InvocationRecord& record) const {
  if (record.service != "Orders" || record.handler != "place") return std::nullopt;
  const std::string order_id = order_id_for(record.id);
  const bool units = holds_units(order_id);
  if (!units && !holds_money(order_id)) return std::nullopt;
  return Error::of(ErrorCode::kConflict,
                   "order " + order_id + " still holds " +
                       (units ? "units" : "money at the payment gateway") +
                       "; its reclaim releases them first (--reclaim-interval)",
                   "order_not_settled");
}

}  // namespace orderd::commerce
