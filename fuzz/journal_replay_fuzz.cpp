// Fuzz target: a journal as the store could hold it after a crash, a bug or an old version ->
// recovery -> replay -> the admin API's description of it. The input describes one unfinished
// invocation of a shipped handler: its status, input, journal entries and outside completions.
// Recovery must never crash or throw, whatever the journal says; a journal the handler cannot
// follow must end the invocation (failed or paused with a reason), not the process.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "check_response.hpp"
#include "ingress/admin_routes.hpp"
#include "sim_engine.hpp"

namespace {

using namespace orderd;

// Reads the input front to back; past its end every read yields zeros and empty strings.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::string text(std::size_t max) {
    std::size_t n = std::min<std::size_t>(byte() % (max + 1), size_ - std::min(at_, size_));
    std::string s(reinterpret_cast<const char*>(data_) + at_, n);
    at_ += n;
    return s;
  }
  bool done() const { return at_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

struct Target {
  const char* service;
  const char* handler;
  const char* key;
  const char* input;
};
constexpr Target kTargets[] = {
    {"OrderService", "ProcessOrder", "",
     R"({"userId":"u","productId":"p","quantity":1,"amount":10,"weight":2,"destination":"Oslo"})"},
    {"OrderServiceSlow", "ProcessOrder", "",
     R"({"userId":"u","productId":"p","quantity":1,"amount":10,"weight":2,"destination":"Oslo"})"},
    {"OrderReview", "run", "o-1", R"({"customerId":"c","amount":10,"riskScore":90})"},
    {"OrderReview", "status", "o-1", "{}"},
    {"Counter", "add", "k", R"({"value":2})"},
    {"FraudService", "CheckFraud", "", R"({"userId":"u","amount":3})"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const Target& target = kTargets[in.byte() % std::size(kTargets)];

  store::InvocationRecord record;
  record.id = ids::invocation_id_from(1'900'000'000'000 - 1000, 99, 1);
  record.service = target.service;
  record.handler = target.handler;
  record.object_key = target.key;
  record.input = (in.byte() & 7) == 0 ? in.text(64) : target.input;
  record.created_at_ms = 1'900'000'000'000 - 1000;
  const bool paused = (in.byte() & 3) == 0;
  if (record.handler == "run") record.idempotency_key = record.object_key;

  std::vector<store::Write> writes;
  writes.push_back({store::Write::Op::kCreate, record, {}});
  if (paused) {
    store::Write pause{store::Write::Op::kStatus, {}, {}};
    pause.invocation.id = record.id;
    pause.invocation.status = store::InvocationStatus::kPaused;
    pause.invocation.output = "paused by the fuzzer";
    writes.push_back(std::move(pause));
  }
  for (std::uint32_t index = 0; index < 24 && !in.done(); ++index) {
    std::uint8_t op = in.byte();
    if (op % 8 == 7) {  // an outside completion of some step, instead of an entry
      store::Write w{store::Write::Op::kCompleteStep, {}, {}};
      w.invocation.id = record.id;
      w.completion = {static_cast<std::uint32_t>(in.byte() % 24), (in.byte() & 1) != 0, in.u16(),
                      in.text(32)};
      writes.push_back(std::move(w));
      continue;
    }
    store::JournalEntry e;
    e.index = index;
    e.kind = static_cast<store::EntryKind>(in.byte() % 14);
    e.name = in.text(24);
    e.payload = in.text(48);
    e.failed = (op & 1) != 0;
    e.error_code = (op & 2) ? in.u16() : 0;
    e.recorded_at_ms = record.created_at_ms;
    store::Write w{store::Write::Op::kAppend, {}, e};
    w.invocation.id = record.id;
    writes.push_back(std::move(w));
  }

  std::vector<http::Response> answers;
  sim::MemoryStore store;
  {
    fuzz::SimEngine sim(store);
    store.submit(std::move(writes), {});
    sim.run(10);                             // commits the crafted journal before the engine looks
    if (store.commits() != 1) std::abort();  // the input was not what the target claims to test
    sim.engine().recover();
    sim.engine().resume(record.id);
    sim.run(5000);
    http::AdminRoutes admin(sim.engine());
    auto respond = [&answers](http::Response r) { answers.push_back(std::move(r)); };
    admin.handle({"GET", "/invocations/" + record.id, "", {}}, respond);
    admin.handle({"GET", "/invocations?limit=5", "", {}}, respond);
  }
  for (const auto& r : answers) orderd::fuzz::check_response(r);
  return 0;
}
