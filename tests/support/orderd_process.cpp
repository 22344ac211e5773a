#include "support/orderd_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "support/child_process.hpp"

namespace orderd::testing {

OrderdProcess::OrderdProcess(const std::string& data_dir, std::vector<std::string> extra_args,
                             std::string binary) {
  std::vector<std::string> args{binary,           "serve",       "--listen", "127.0.0.1:0",
                                "--admin-listen", "127.0.0.1:0", "--data",   data_dir,
                                "--log-level",    "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out[1]);
  // The server prints two lines once it listens: "orderd listening on http://127.0.0.1:PORT",
  // then "orderd admin listening on http://127.0.0.1:PORT".
  FILE* stream = ::fdopen(out[0], "r");
  auto read_port = [stream](const char* prefix) -> int {
    char line[256] = {};
    if (!std::fgets(line, sizeof line, stream)) return -1;
    std::string text = line;
    auto colon = text.rfind(':');
    if (text.rfind(prefix, 0) != 0 || colon == std::string::npos) return -1;
    return std::stoi(text.substr(colon + 1));
  };
  int port = read_port("orderd listening on");
  int admin_port = port > 0 ? read_port("orderd admin listening on") : -1;
  std::fclose(stream);  // later output goes to a closed pipe; the server only logs to stderr
  if (port <= 0 || admin_port <= 0) {
    kill_hard();
    throw std::runtime_error("orderd did not start");
  }
  port_ = static_cast<std::uint16_t>(port);
  admin_port_ = static_cast<std::uint16_t>(admin_port);
}

OrderdProcess::~OrderdProcess() {
  kill_hard();
}

bool OrderdProcess::kill_hard() {
  return kill_and_reap(pid_);
}

int OrderdProcess::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace orderd::testing
