#pragma once
// Runs a real nats-server with JetStream for end-to-end tests: on 127.0.0.1, a port of its own
// (free when chosen) and a store directory, so it can be stopped and started again on the same
// port and store (its streams survive) or killed. Its output goes to a log file beside the
// store, which the errors quote.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace orderd::testing {

// A port on 127.0.0.1 that nothing listens on now (the kernel's choice of a free one).
std::uint16_t free_port();

class NatsServer {
 public:
  // The nats-server binary: $ORDERD_NATS_SERVER, else the first of $PATH, /usr/sbin,
  // /usr/local/sbin, /usr/local/bin, /usr/bin that has one (Debian installs it in /usr/sbin,
  // which a user's PATH may lack). Throws, saying how to install it, when there is none.
  static std::filesystem::path binary();
  // The same search with other fallback directories than Debian's (for the helper's own test).
  static std::filesystem::path find_binary(const std::vector<std::filesystem::path>& fallback);

  // Does not start it. Port 0: a free port, chosen now and kept across restarts.
  explicit NatsServer(std::filesystem::path store_dir, std::uint16_t port = 0);
  ~NatsServer();  // SIGKILL if still running
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts it and returns once it accepts connections (its INFO line read back), or throws
  // with the log's tail: it exited, or `timeout` passed.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // SIGTERM, then waits for it to exit (it flushes its store and says "Server Exiting"). True
  // when it did so within 10 s (nats-server then exits with status 1, which is its normal way
  // out on a signal); false when it was not running, or had to be killed.
  bool stop();
  // SIGKILL, as a crash would. False when it was not running (or had died on its own).
  bool kill_hard();
  bool running();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& store_dir() const { return store_dir_; }
  const std::filesystem::path& log_path() const { return log_path_; }
  std::string log_tail(std::size_t bytes = 4000) const;

 private:
  std::filesystem::path store_dir_;
  std::filesystem::path log_path_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace orderd::testing
