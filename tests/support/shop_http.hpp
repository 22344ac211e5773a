#pragma once
// An end-to-end test's HTTP client of an orderd that it kills and restarts: a connection that
// follows orderd to its new port and outlives its deaths.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client/http_client.hpp"

namespace orderd::testing {

// Where orderd is, shared by the test and its client threads.
struct Endpoint {
  std::atomic<std::uint16_t> port{0};  // 0 while orderd restarts
  std::atomic<bool> abandoned{false};  // orderd would not come back: the clients give up
};

// Shared by many connections, for a test that times its kills by what is in flight.
struct ConnCounters {
  std::atomic<int> connection_errors{0};
  std::atomic<int> in_flight{0};  // requests sent and not yet answered
};

// "status body", or that no answer came.
std::string describe(const std::optional<client::HttpResult>& r);

// One connection, remade when orderd dies under it or moves to another port. `exchange` sends
// a request until some answer comes (a request may reach orderd more than once: that is what
// idempotency keys are for), or returns nothing at the deadline or once the endpoint is
// abandoned. After a lost connection it waits `pause`, and half that between looks at a port
// of 0 (a test with many clients polls less often).
class Conn {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Conn(Endpoint& endpoint, Clock::time_point deadline, ConnCounters* counters = nullptr,
                std::chrono::milliseconds pause = std::chrono::milliseconds(10))
      : endpoint_(endpoint), deadline_(deadline), counters_(counters), pause_(pause) {}

  std::optional<client::HttpResult> exchange(const std::string& method, const std::string& path,
                                             const std::string& body = "",
                                             const client::Headers& headers = {});
  // GET, 200 and a JSON object, or a test failure and nullopt.
  std::optional<boost::json::object> get_object(const std::string& path);

  Clock::time_point deadline() const { return deadline_; }
  // Connections lost in the last exchange (orderd killed under it, or not up yet).
  int lost() const { return lost_; }

 private:
  Endpoint& endpoint_;
  Clock::time_point deadline_;
  ConnCounters* counters_;
  std::chrono::milliseconds pause_;
  std::unique_ptr<client::HttpClient> client_;
  std::uint16_t port_ = 0;
  int lost_ = 0;
};

}  // namespace orderd::testing
