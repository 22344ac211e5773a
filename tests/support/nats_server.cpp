#include "support/nats_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/child_process.hpp"

namespace orderd::testing {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// True once a NATS server answers on the port: it accepts, and its first line is "INFO {...}".
bool answers(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = loopback(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    pollfd p{fd, POLLIN, 0};
    char buf[5] = {};
    if (::poll(&p, 1, 1000) == 1 && ::recv(fd, buf, 4, MSG_WAITALL) == 4)
      ok = std::string(buf, 4) == "INFO";
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("could not bind a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::filesystem::path NatsServer::binary() {
  return find_binary({"/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"});
}

std::filesystem::path NatsServer::find_binary(const std::vector<std::filesystem::path>& fallback) {
  if (const char* given = std::getenv("ORDERD_NATS_SERVER"); given && *given) {
    if (::access(given, X_OK) == 0) return given;
    throw std::runtime_error(std::string("ORDERD_NATS_SERVER=") + given +
                             " is not an executable nats-server");
  }
  std::vector<std::filesystem::path> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream parts(path);
    for (std::string dir; std::getline(parts, dir, ':');)
      if (!dir.empty()) dirs.emplace_back(dir);
  }
  dirs.insert(dirs.end(), fallback.begin(), fallback.end());
  for (const auto& dir : dirs) {
    const auto candidate = dir / "nats-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  std::string looked = "$ORDERD_NATS_SERVER, $PATH";
  for (const auto& dir : fallback) looked += ", " + dir.string();
  throw std::runtime_error("nats-server not found (looked in " + looked +
                           "): the JetStream tests need it; scripts/install-deps installs it "
                           "(Debian 12 package nats-server, 2.9.10), or set ORDERD_NATS_SERVER");
}

NatsServer::NatsServer(std::filesystem::path store_dir, std::uint16_t port)
    : store_dir_(std::move(store_dir)),
      log_path_(store_dir_.parent_path() / (store_dir_.filename().string() + ".log")),
      port_(port ? port : free_port()) {
  std::filesystem::create_directories(store_dir_);
}

NatsServer::~NatsServer() {
  kill_hard();
}

void NatsServer::start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) throw std::runtime_error("nats-server is already running");
  const std::string bin = binary().string();
  std::vector<std::string> args{
      bin, "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", store_dir_.string()};
  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_path_.string());
  {
    std::ofstream(log_path_, std::ios::app)
        << "---- test: starting nats-server on port " << port_ << "\n";
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(log);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("nats-server exited at start (status " + std::to_string(status) +
                               "; port " + std::to_string(port_) + " taken?); its log:\n" +
                               log_tail());
    }
    if (answers(port_)) return;
    if (std::chrono::steady_clock::now() > deadline) {
      kill_hard();
      throw std::runtime_error("nats-server did not accept connections on port " +
                               std::to_string(port_) + " within " +
                               std::to_string(timeout.count()) + " ms; its log:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool NatsServer::stop() {
  if (!running()) return false;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill_hard();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  return WIFEXITED(status);
}

bool NatsServer::kill_hard() {
  return kill_and_reap(pid_);
}

bool NatsServer::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
  pid_ = -1;
  return false;
}

std::string NatsServer::log_tail(std::size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? "..." + text.substr(text.size() - bytes) : text;
}

}  // namespace orderd::testing
