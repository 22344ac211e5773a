#pragma once
// Runs the real orderd binary for end-to-end tests: a free port, a given data dir, extra flags.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace orderd::testing {

class OrderdProcess {
 public:
  OrderdProcess(const std::string& data_dir, std::vector<std::string> extra_args = {},
                std::string binary = ORDERD_BINARY);
  ~OrderdProcess();  // SIGKILL if still running
  OrderdProcess(const OrderdProcess&) = delete;
  OrderdProcess& operator=(const OrderdProcess&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  // SIGKILL, as a crash would. False when the process had already died on its own (an abort,
  // a fail-stop on a store error): a crash the test did not cause.
  bool kill_hard();
  int terminate();  // SIGTERM, then the exit status

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
};

}  // namespace orderd::testing
