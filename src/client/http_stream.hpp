#pragma once
// A GET whose body is read as it arrives, for answers that do not end on their own (Server-Sent
// Events): orderctl's `events tail` and the tests. Blocking, one connection per stream.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client/http_client.hpp"

namespace orderd::client {

class HttpStream {
 public:
  // Sends the request and reads the answer's head. `receive_timeout` bounds each read (zero:
  // none), so a test fails instead of hanging on a server that sends nothing.
  HttpStream(std::uint16_t port, std::string host, const std::string& path,
             const Headers& headers = {},
             std::chrono::milliseconds receive_timeout = std::chrono::milliseconds::zero());
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  unsigned status() const;
  std::string header(const std::string& lower_case_name) const;
  // The next bytes of the body, chunk framing removed, as soon as some have arrived; nullopt
  // once the body has ended. Throws when the connection fails or a read times out.
  std::optional<std::string> read();
  // The whole rest of the body (an error's problem+json).
  std::string read_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::client
