#pragma once
// The shop's stock: the ledger of every product's units per warehouse, the reservations held
// against it and what each caller holds, in memory on the engine thread. Every change is made
// inside a journaled step (Context::transact) that writes the changed rows and the stock events
// in the same transaction, so memory is what the durable rows say plus decisions whose rows are
// in the group commit under way (docs/ARCHITECTURE.md, "Domain tables"); load rebuilds it.
//
// Q3. A principal's holding is the number of its held API reservations that no order has taken
//     over (Reservation::principal non-empty, order_id empty), and the units in them: counted
//     whenever such a reservation enters or leaves the held set or is adopted (reserve,
//     end_reservation, adopt) and rebuilt from the held rows at load, so it always equals what
//     the held set says and each reservation leaves it exactly once; a principal holding
//     nothing has no entry. Reservations/create refuses, inside its journaled step, a
//     reservation that would take its caller past max_reservations_per_caller or
//     max_reserved_units_per_caller (429 quota_reservations, quota_reserved_units), unless the
//     request is quota_exempt (an admin's) or anonymous (authentication off).
//
// X1. Every held reservation with an expiry (expires_at_ms > 0: the API's, until an order adopts
//     it) ends `expired` at or soon after its time, unless it ended first. The stock's timer
//     (engine/hold_expiry.hpp, over this stock's next_expiry and expire_due) is armed for the
//     inventory's next_expiry() at start (Stock::load, from the held rows), whenever a
//     reservation with an earlier expiry is made (Stock::reserve), and after each run. A run
//     ends at most `expiry_batch` due holds, earliest expiry first, writes their rows and stock
//     events through Engine::write_rows, and re-arms at once if more are due. The release is
//     idempotent by itself: a crash before its rows are durable leaves the hold in the rows,
//     and it is due again at the next start. No invocation carries an expiry, so nothing an
//     operator kills or purges can strand a hold.
//
// Tables: stock  product_key(id) -> ProductLevels;  held_reservations  id -> Reservation (open
// ones);  reservations  id -> Reservation (the API's, any state).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "commerce/stock/stock_ledger.hpp"
#include "commerce/stock/stock_rows.hpp"
#include "common/error.hpp"
#include "engine/hold_expiry.hpp"
#include "engine/write_set.hpp"

namespace orderd {
class Engine;
class Scheduler;
namespace store {
class Store;
}
}  // namespace orderd

namespace orderd::commerce {

class Catalog;
class Outbox;

struct StockOptions {
  // The lines a basket may have (--max-basket-lines): more are refused before any is read or
  // merged, by the API and by the handlers that take a basket, with too_many_items.
  std::size_t max_basket_lines = 100;
  // Q3's quotas (--quota-reservations, --quota-reserved-units).
  std::size_t max_reservations_per_caller = 100;
  std::int64_t max_reserved_units_per_caller = 10'000;
  // The most holds one expiry run ends (X1); more due wait a turn.
  std::size_t expiry_batch = 1000;
};

class Stock : public ExpiringHolds {
 public:
  static constexpr const char* kStock = "stock";
  static constexpr const char* kHeld = "held_reservations";
  static constexpr const char* kReservations = "reservations";

  Stock(StockOptions options, Catalog& catalog, Outbox& outbox)
      : options_(options),
        catalog_(catalog),
        outbox_(outbox),
        expiry_(*this, options.expiry_batch) {}
  // After the catalog's load and after attach: the ledger, the held reservations (each with its
  // owner and expiry) and the holdings; arms the expiry for the earliest loaded (X1).
  void load(store::Store& store);
  // The engine its durable reads and the expiry's rows go through, and the expiry's clock.
  void attach(Engine& engine, Scheduler& scheduler) {
    engine_ = &engine;
    expiry_.attach(engine, scheduler);
  }
  HoldExpiry& expiry() { return expiry_; }

  const StockLedger& ledger() const { return ledger_; }
  const StockOptions& options() const { return options_; }
  // The refusal of a basket of `lines` lines, over max_basket_lines (invalid_argument,
  // too_many_items, naming the limit); nullopt within it. The one check every path makes.
  std::optional<Error> refuse_basket_size(std::size_t lines) const;

  const Reservation* held(const std::string& reservation_id) const;
  const std::unordered_map<std::string, Reservation>& held_reservations() const { return held_; }
  std::optional<Reservation> read_reservation(const std::string& id) const;  // durable

  // What one principal holds (Q3).
  struct Holding {
    std::size_t reservations = 0;
    std::int64_t units = 0;
  };
  Holding holding_of(const std::string& principal) const;
  std::size_t holders() const { return holdings_.size(); }
  // The refusal of one more reservation of `items` by `principal`, past its quotas (429
  // quota_reservations or quota_reserved_units, naming the quota); nullopt within them.
  std::optional<Error> refuse_quota(const std::string& principal,
                                    const std::vector<BasketItem>& items) const;

  // The decisions, each inside a transact step: memory changes only on success.
  // A warehouse named for the first time is created after the known ones (W1, catalog.hpp).
  std::optional<Error> set_stock(ProductId product, const std::string& warehouse, bool restock,
                                 std::int64_t quantity, std::int64_t now_ms, WriteSet& writes);
  // A warehouse the catalog has just added (seeding): the ledger draws from it last.
  void add_warehouse(const std::string& warehouse) { ledger_.add_warehouse(warehouse); }
  std::variant<Reservation, Error> reserve(Reservation reservation, WriteSet& writes);
  // Ends a held reservation: released (or expired) returns its units, committed sells them.
  std::variant<Reservation, Error> end_reservation(const std::string& id, const std::string& status,
                                                   std::int64_t now_ms, WriteSet& writes);
  // Ends `expired` the held reservations due at now_ms, earliest first, at most `limit` (X1);
  // returns how many were due. The expiry's timer calls it, outside any invocation.
  std::size_t expire_due(std::int64_t now_ms, std::size_t limit, WriteSet& writes) override;
  std::optional<std::int64_t> next_expiry() const override {
    return ledger_.inventory().next_expiry();
  }
  // An order takes over a held reservation: it no longer expires (its hold's expiry is 0).
  std::variant<Reservation, Error> adopt(const std::string& id, const std::string& order_id,
                                         std::int64_t now_ms, WriteSet& writes);
  std::optional<Error> return_sold(const std::vector<Allocation>& sold,
                                   const std::string& reference, std::int64_t now_ms,
                                   WriteSet& writes);

 private:
  // Writes the levels of `products` (each once) and a stock event for each (E2).
  void stock_moved(std::vector<ProductId> products, std::string_view type,
                   const std::string& reference, std::int64_t now_ms, WriteSet& writes);
  // Q3: a held reservation enters (+1) or leaves (-1) its principal's holding, if it counts.
  void count_holding(const Reservation& reservation, int direction);

  StockOptions options_;
  Catalog& catalog_;
  Outbox& outbox_;
  Engine* engine_ = nullptr;
  StockLedger ledger_;
  std::unordered_map<std::string, Reservation> held_;
  std::unordered_map<std::string, Holding> holdings_;  // by principal (Q3)
  HoldExpiry expiry_;                                  // X1
};

}  // namespace orderd::commerce
