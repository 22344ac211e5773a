#pragma once
// The HTTP/1.1 server: Boost.Beast, one coroutine per connection, keep-alive, explicit limits,
// and streamed bodies (BodyStream, http_types.hpp) for answers that never end on their own. A
// client that closes (or half-closes) while its request waits for the answer fires the request's
// Hangup (http_types.hpp) and frees its connection at once; the answer given later is dropped.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ingress/http_types.hpp"

namespace boost::asio {
class io_context;
}

namespace orderd::http {

struct ServerLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  // H1. A request's head (start line and headers) must arrive within header_timeout, counted
  //     from its first byte, or from the accept for a connection's first request; its body then
  //     within read_timeout. Past either the connection is closed unanswered: a client that
  //     trickles its request (slowloris) holds a connection for at most header_timeout +
  //     read_timeout, however slowly it writes.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};  // the body's deadline, once the head has come
  std::chrono::milliseconds idle_timeout{60'000};  // between requests on a kept-alive connection
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 20'000;
  // Open connections one client address may hold; more are closed at accept. 0: no cap.
  std::size_t max_connections_per_address = 0;
  // After an early refusal (413, 431) the rest of the request is read and dropped, at most this
  // many bytes and for this long, so a client that writes its whole body before reading gets the
  // answer instead of a reset (nginx's lingering close).
  std::size_t linger_max_bytes = 16 << 20;
  std::chrono::milliseconds linger_timeout{5'000};
};

class Server {
 public:
  Server(boost::asio::io_context& io, const std::string& host, std::uint16_t port,
         RequestHandler& handler, ServerLimits limits);
  ~Server();
  std::uint16_t port() const;
  // Stops accepting and closes idle connections (and those lingering after a refusal); a
  // connection with a request in progress closes once it has sent that request's answer. A
  // streamed answer (Response::stream) ends at once.
  void stop();
  std::size_t open_connections() const;

  struct State;  // shared with the connection coroutines, defined in the .cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace orderd::http
