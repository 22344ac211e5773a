#include "support/raw_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace orderd::testing {

RawSocket::RawSocket(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    close();
    throw std::runtime_error(std::string("connect: ") + std::strerror(err));
  }
}

RawSocket::~RawSocket() {
  close();
}

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawSocket::set_send_buffer(int bytes) {
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

bool RawSocket::write_all(std::string_view data, std::string* error) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (error) *error = std::strerror(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawSocket::read_until_close(std::chrono::milliseconds timeout, std::string* error) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (error) *error = "timed out";
      return out;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (error) *error = std::strerror(errno);
      return out;
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string http_request_bytes(std::string_view method, std::string_view target,
                               std::string_view body, std::string_view extra_headers) {
  std::string out;
  out.reserve(body.size() + 256);
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  out += "Host: 127.0.0.1\r\nContent-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!extra_headers.empty()) out.append(extra_headers).append("\r\n");
  out += "\r\n";
  out.append(body);
  return out;
}

unsigned status_of_raw_answer(std::string_view answer) {
  constexpr std::string_view prefix = "HTTP/1.1 ";
  if (answer.substr(0, prefix.size()) != prefix || answer.size() < prefix.size() + 3) return 0;
  unsigned status = 0;
  for (char c : answer.substr(prefix.size(), 3)) {
    if (c < '0' || c > '9') return 0;
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  return status;
}

void parse_raw_answer(const std::string& text, RawAnswer& answer) {
  const auto head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (answer.error.empty()) answer.error = "no whole answer head";
    return;
  }
  answer.status = status_of_raw_answer(text);
  answer.body = text.substr(head_end + 4);
  std::string_view head(text.data(), head_end);
  for (auto eol = head.find("\r\n"); eol != std::string_view::npos; eol = head.find("\r\n")) {
    head.remove_prefix(eol + 2);
    const auto line = head.substr(0, head.find("\r\n"));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    answer.headers[name] = std::string(value);
  }
}

RawAnswer raw_exchange(std::uint16_t port, std::string_view method, std::string_view target,
                       std::string_view body, std::string_view extra_headers,
                       std::chrono::milliseconds timeout) {
  RawAnswer answer;
  std::string headers = "Connection: close";
  if (!extra_headers.empty()) headers.append("\r\n").append(extra_headers);
  std::string text;
  try {
    RawSocket socket(port);
    if (!socket.write_all(http_request_bytes(method, target, body, headers), &answer.error))
      return answer;
    text = socket.read_until_close(timeout, &answer.error);
  } catch (const std::exception& e) {
    answer.error = e.what();
    return answer;
  }
  parse_raw_answer(text, answer);
  return answer;
}

}  // namespace orderd::testing
