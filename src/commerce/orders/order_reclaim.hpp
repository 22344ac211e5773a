#pragma once
// Stock an order's saga can no longer release: held for an order whose invocation ended without
// ending it (an operator killed it: no compensation runs). The reclaim releases it and stores
// the order failed (order_killed), outside any invocation.
#include <cstddef>
#include <cstdint>

namespace orderd {
class Engine;
class Scheduler;
}  // namespace orderd

namespace orderd::commerce {

class OrderBook;
class Stock;

class OrderReclaim {
 public:
  OrderReclaim(Stock& stock, OrderBook& orders) : stock_(stock), orders_(orders) {}
  ~OrderReclaim();
  OrderReclaim(const OrderReclaim&) = delete;
  OrderReclaim& operator=(const OrderReclaim&) = delete;
  // The engine it asks about sagas and writes through, and its clock; again after a test's
  // restart (a timer of an earlier scheduler is gone with it).
  void attach(Engine& engine, Scheduler& scheduler);

  // Reclaims what it finds now; returns how many holds it released.
  std::size_t run();
  // Runs every `interval_ms` on the engine thread (serve starts it).
  void every(std::int64_t interval_ms);

 private:
  Stock& stock_;
  OrderBook& orders_;
  Engine* engine_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  std::uint64_t timer_ = 0;
};

}  // namespace orderd::commerce
