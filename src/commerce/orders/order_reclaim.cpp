#include "commerce/orders/order_reclaim.hpp"

#include <string>
#include <vector>

#include "commerce/orders/order_book.hpp"
#include "commerce/stock/stock.hpp"
#include "engine/engine.hpp"
#include "engine/scheduler.hpp"

namespace orderd::commerce {

OrderReclaim::~OrderReclaim() {
  if (timer_ && scheduler_) scheduler_->cancel(timer_);
}

void OrderReclaim::attach(Engine& engine, Scheduler& scheduler) {
  engine_ = &engine;
  scheduler_ = &scheduler;
  timer_ = 0;
}

std::size_t OrderReclaim::run() {
  std::vector<std::string> abandoned;
  for (const auto& [id, r] : stock_.held_reservations()) {
    if (r.order_id.empty()) continue;  // the API's: its expiry releases it
    InvocationOutcome outcome;
    if (engine_->output(invocation_id_for(r.order_id), outcome) == Engine::Lookup::kDone)
      abandoned.push_back(id);
  }
  if (abandoned.empty()) return 0;
  const std::int64_t now = scheduler_->now_ms();
  WriteSet writes;
  for (const auto& id : abandoned) {
    const std::string order_id = stock_.held(id)->order_id;
    (void)stock_.end_reservation(id, "released", now, writes);
    if (auto order = orders_.read_order(order_id); order && !order->terminal()) {
      Order next = *order;
      fail(next,
           Error::of(ErrorCode::kKilled,
                     "the order's saga was killed by an operator; its units were released",
                     "order_killed"),
           now);
      orders_.order_event(next, "order.failed", now, writes);
      orders_.write_order(next, order->status, writes);
    }
  }
  engine_->write_rows(writes.take(), [] {});
  return abandoned.size();
}

void OrderReclaim::every(std::int64_t interval_ms) {
  timer_ = scheduler_->schedule_after(interval_ms, [this, interval_ms] {
    run();
    every(interval_ms);
  });
}

}  // namespace orderd::commerce
