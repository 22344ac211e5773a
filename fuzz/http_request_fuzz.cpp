// Fuzz target: raw bytes -> the server's HTTP parser -> the ingress or admin routes -> the engine.
// The first byte picks the listener (even: ingress, odd: admin); the rest is the request.
// Every answer must have a valid status and parseable JSON, and nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "check_response.hpp"
#include "ingress/admin_routes.hpp"
#include "ingress/http_parsing.hpp"
#include "ingress/invocation_routes.hpp"
#include "sim_engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orderd;
  if (size < 1) return 0;
  const bool admin = data[0] & 1;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  http::ServerLimits limits;
  limits.max_body_bytes = 64 << 10;
  limits.max_header_bytes = 8 << 10;
  auto parsed = http::parse_request(bytes, limits);
  if (parsed.refusal) fuzz::check_response(*parsed.refusal);
  if (!parsed.request) return 0;

  std::vector<http::Response> answers;  // outlives the engine: late answers land here
  sim::MemoryStore store;
  {
    fuzz::SimEngine sim(store);
    sim.engine().recover();
    http::FrontDoorOptions bounds;
    bounds.max_in_flight = 1000;
    http::FrontDoor front_door(sim.engine(), sim.scheduler(), fuzz::fuzz_registry(), bounds);
    http::InvocationRoutes ingress(front_door, fuzz::fuzz_registry());
    http::AdminRoutes admin_routes(sim.engine());
    http::RequestHandler& handler = admin ? static_cast<http::RequestHandler&>(admin_routes)
                                          : static_cast<http::RequestHandler&>(ingress);
    auto respond = [&answers](http::Response r) { answers.push_back(std::move(r)); };
    handler.handle(std::move(*parsed.request), respond);
    sim.run(5000);
  }
  if (answers.size() > 1) std::abort();  // one answer per request, at most
  for (const auto& r : answers) fuzz::check_response(r);
  return 0;
}
