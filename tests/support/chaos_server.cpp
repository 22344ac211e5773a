// orderd with test-only services. Gateway/charge blocks a worker thread (a slow payment
// gateway) until a second charge is blocked beside it, so two overlapping calls prove that
// effects run off the engine thread; Gateway/blocked tells how many are blocked. And the Tally
// virtual object, whose exclusive `add`
// reads, naps and writes its key's count, so a lost or doubled update under kill -9 shows up in
// the final count. Each add also makes an outside side effect: it appends its invocation id to
// the file named by ORDERD_CHAOS_EFFECTS (as "effect <id>"), the "payment provider" whose own
// records the chaos test audits. The chaos test runs this binary.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

#include "app/serve.hpp"
#include "engine/registry.hpp"
#include "support/text_value.hpp"

namespace {

using orderd::Context;
using orderd::Task;

struct Amount {
  std::int64_t value = 0;
};
Amount tag_invoke(boost::json::value_to_tag<Amount>, const boost::json::value& v) {
  return {v.as_object().at("value").as_int64()};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Amount& a) {
  v = {{"value", a.value}};
}

// One line per execution, appended whole (O_APPEND): the outside system's own ledger.
void record_effect(const std::string& key) {
  static const char* path = std::getenv("ORDERD_CHAOS_EFFECTS");
  if (!path) return;
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string line = "effect " + key + "\n";
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

Task<Amount> tally_add(Context& ctx, Amount by) {
  auto effect = [&ctx] {
    record_effect(ctx.invocation_id());
    return true;
  };
  ctx.run("effect", effect);
  std::int64_t count = ctx.get<std::int64_t>("count").value_or(0);
  auto nap = ctx.sleep(std::chrono::milliseconds(5));  // widens the read-modify-write window
  co_await nap;
  ctx.set("count", count + by.value);
  co_return Amount{count + by.value};
}

// Read-modify-write with nothing in between: how many updates one hot key takes per second.
Task<Amount> tally_bump(Context& ctx, Amount by) {
  std::int64_t count = ctx.get<std::int64_t>("count").value_or(0) + by.value;
  ctx.set("count", count);
  co_return Amount{count};
}

Task<Amount> tally_get(Context& ctx, Amount) {
  co_return Amount{ctx.get<std::int64_t>("count").value_or(0)};
}

// The slow gateway's rendezvous: a charge returns once two are inside (or after 10 s alone).
std::mutex gateway_mutex;
std::condition_variable gateway_changed;
std::int64_t gateway_blocked = 0;

Task<Amount> gateway_charge(Context& ctx, Amount amount) {
  auto charged = ctx.run_on_worker("charge", [amount] {
    std::unique_lock lock(gateway_mutex);
    ++gateway_blocked;
    gateway_changed.notify_all();
    const bool met = gateway_changed.wait_for(lock, std::chrono::seconds(10),
                                              [] { return gateway_blocked >= 2; });
    return Amount{met ? amount.value : -1};
  });
  Amount result = co_await charged;
  co_return result;
}

Task<Amount> gateway_blocked_now(Context&, Amount) {
  std::lock_guard lock(gateway_mutex);
  co_return Amount{gateway_blocked};
}

}  // namespace

int main(int argc, char** argv) {
  return orderd::app::run(argc, argv, [](orderd::Registry& registry) {
    registry.add("Gateway", "charge", &gateway_charge);
    registry.add("Gateway", "blocked", &gateway_blocked_now);
    registry.add("Tally", "add", &tally_add, orderd::HandlerEntry::Kind::kExclusive);
    registry.add("Tally", "bump", &tally_bump, orderd::HandlerEntry::Kind::kExclusive);
    registry.add("Tally", "get", &tally_get, orderd::HandlerEntry::Kind::kShared);
    registry.expose("Gateway");
    registry.expose("Tally");
  });
}
