#pragma once
// A bare TCP connection to a local port, for end-to-end tests whose client misbehaves the way
// real ones do: it writes a whole request before reading a byte (urllib, many SDKs), or hangs up
// while its answer is still being prepared. HttpClient cannot: it reads as it goes and retries.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace orderd::testing {

class RawSocket {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error when the connect fails.
  explicit RawSocket(std::uint16_t port);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Caps the kernel's send buffer (SO_SNDBUF), so that what is in flight stays much smaller than
  // a big body, as over a real network: on loopback the buffers can swallow megabytes whole.
  void set_send_buffer(int bytes);
  // Writes all of `data` with blocking writes, never raising SIGPIPE. False when the peer reset
  // or closed the connection first; `error` then says how (strerror).
  bool write_all(std::string_view data, std::string* error = nullptr);
  // Everything the peer sends until it closes, or until `timeout` passes. A reset ends it too,
  // and sets `error` (data the reset destroyed is lost, as a real client loses it).
  std::string read_until_close(std::chrono::milliseconds timeout, std::string* error = nullptr);
  // Closes now (an orderly FIN): the client hangs up. Idempotent.
  void close();

 private:
  int fd_ = -1;
};

// An HTTP/1.1 request as bytes, with Host and Content-Length; `extra_headers` are whole lines
// without their CRLF ("Idempotency-Key: k").
std::string http_request_bytes(std::string_view method, std::string_view target,
                               std::string_view body, std::string_view extra_headers = {});

// The status code of a raw answer ("HTTP/1.1 413 ..."), 0 if it has none.
unsigned status_of_raw_answer(std::string_view answer);

// One request with `Connection: close` on a connection of its own, and the answer read until
// the server closes or `timeout` passes: for waits that may never end (HttpClient would block
// for two minutes). `status` is 0 when no whole answer head came; `error` then says why.
struct RawAnswer {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;
};
// Reads `text`, an answer as received, into `answer`: its status, headers and body, or an error
// when it has no whole head (kept if `answer.error` already says why).
void parse_raw_answer(const std::string& text, RawAnswer& answer);
RawAnswer raw_exchange(std::uint16_t port, std::string_view method, std::string_view target,
                       std::string_view body, std::string_view extra_headers,
                       std::chrono::milliseconds timeout);

}  // namespace orderd::testing
