// The stock ledger's core alone (no HTTP, no store, no engine): reservation decisions per second
// on one core, on one hot product and spread over many. Each iteration reserves one unit and
// commits it, the life of a sale.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "commerce/stock/stock_ledger.hpp"

namespace {

using orderd::commerce::StockLedger;

void reserve_and_commit(benchmark::State& state) {
  const auto products = static_cast<orderd::commerce::ProductId>(state.range(0));
  StockLedger ledger;
  ledger.add_warehouse("main");
  ledger.add_warehouse("backup");
  for (orderd::commerce::ProductId p = 1; p <= products; ++p) {
    (void)ledger.set_on_hand(p, "main", 1'000'000'000);
    (void)ledger.set_on_hand(p, "backup", 1'000'000'000);
  }
  std::int64_t n = 0;
  std::string id;
  for (auto _ : state) {
    id = "res_";
    id += std::to_string(n);
    const orderd::commerce::ProductId product = 1 + n % products;
    auto held = ledger.reserve(id, {{product, 1}});
    benchmark::DoNotOptimize(held);
    auto sold = ledger.commit(id);
    benchmark::DoNotOptimize(sold);
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(reserve_and_commit)->Arg(1)->Arg(100)->Arg(10'000)->ArgName("products");

}  // namespace

BENCHMARK_MAIN();
