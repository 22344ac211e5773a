// How many parked invocations orderd can hold: N invocations each wait on an awakeable (an order
// waiting for a payment webhook), over a real SQLite store. Measures the heap each one holds
// while its coroutine frames are loaded and after they are unloaded, and how fast they all wake.
//
// Usage: orderd-parked-bench [N]   (default 100000). Heap figures come from glibc's mallinfo2,
// so this binary is linked without jemalloc.
#include <malloc.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/asio_scheduler.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "store/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Payment {
  std::string order;
};
Payment tag_invoke(boost::json::value_to_tag<Payment>, const boost::json::value& v) {
  return {std::string(v.as_object().at("order").as_string())};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Payment& p) {
  v = {{"order", p.order}};
}

std::vector<std::string> hooks;  // awakeable ids, as a payment provider would keep them

// An order that reserves, then waits for its payment webhook, then confirms.
orderd::Task<Payment> await_payment(orderd::Context& ctx, Payment in) {
  ctx.run("reserve", [] { return 1; });
  auto webhook = ctx.awakeable<std::string>();
  ctx.run("register webhook", [&webhook] {
    hooks.push_back(webhook.id);
    return 0;
  });
  std::string paid = co_await webhook.future;
  ctx.run("confirm", [&paid] { return paid; });
  co_return in;
}

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100'000;
  auto dir = std::filesystem::temp_directory_path() / ("orderd-parked-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  boost::asio::io_context io(1);
  auto work = boost::asio::make_work_guard(io);
  auto store = orderd::store::open_sqlite_store({(dir / "orderd.db").string(), false});
  auto scheduler = orderd::make_asio_scheduler(io);
  orderd::Registry registry;
  registry.add("Shop", "AwaitPayment", &await_payment);
  orderd::EngineOptions options;
  options.unload_after_ms = 200;
  orderd::Engine engine(*scheduler, *store, registry, options);
  engine.recover();
  auto run_until = [&](auto done) {
    while (!done()) io.run_one_for(std::chrono::milliseconds(5));
  };

  const std::size_t heap_before = heap_in_use();
  const auto start = Clock::now();
  std::size_t finished = 0;
  for (std::size_t i = 0; i < n; ++i) {
    engine.invoke("Shop", "AwaitPayment", "{\"order\":\"o" + std::to_string(i) + "\"}",
                  [&](orderd::InvocationOutcome) { ++finished; });
    if (i % 1000 == 999) run_until([&] { return engine.parked() + 500 >= i; });
  }
  run_until([&] { return engine.parked() == n; });
  const double park_s = std::chrono::duration<double>(Clock::now() - start).count();
  const std::size_t heap_loaded = heap_in_use();
  run_until([&] { return engine.unloaded() == n; });
  malloc_trim(0);
  const std::size_t heap_unloaded = heap_in_use();

  const auto wake_start = Clock::now();
  for (const auto& hook : hooks) engine.complete_awakeable(hook, false, 0, "\"paid\"", [] {});
  run_until([&] { return finished == n; });
  const double wake_s = std::chrono::duration<double>(Clock::now() - wake_start).count();

  std::printf("parked invocations: %zu (started and parked in %.2f s, active %zu)\n", n, park_s,
              engine.in_flight() - engine.parked());
  std::printf("heap per parked invocation, frames loaded:   %.0f bytes\n",
              double(heap_loaded - heap_before) / double(n));
  std::printf("heap per parked invocation, frames unloaded: %.0f bytes\n",
              double(heap_unloaded - heap_before) / double(n));
  std::printf("woke and finished all: %.2f s (%.0f/s, each replays its journal)\n", wake_s,
              double(n) / wake_s);
  store->close();
  std::filesystem::remove_all(dir);
  return 0;
}
