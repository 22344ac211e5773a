#pragma once
// HTTP as the routes see it: plain values, so route code never includes Beast.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/unique_function.hpp"

namespace orderd::http {

// Tells a route that its client went away (closed its connection) before the answer. The
// server fires it at most once, on its I/O thread, and frees the connection at once: an answer
// given after that is dropped. A route that waits for something (an invocation's outcome) uses
// it to stop waiting, so a client that hangs up holds nothing.
class Hangup {
 public:
  // `fn` runs when the client goes away, at once if it already has.
  void on_hangup(UniqueFunction<void()> fn) {
    if (fired_) return fn();
    subscribers_.push_back(std::move(fn));
  }
  bool fired() const { return fired_; }
  // The server's side.
  void fire() {
    if (std::exchange(fired_, true)) return;
    auto subscribers = std::move(subscribers_);
    for (auto& fn : subscribers) fn();
  }

 private:
  bool fired_ = false;
  std::vector<UniqueFunction<void()>> subscribers_;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // Set by the server for each request it reads; null where no client connection stands behind
  // the request (tests, the fuzzer).
  std::shared_ptr<Hangup> hangup;
  // The client's IP address ("127.0.0.1", "::1"), set by the server; empty where no connection
  // stands behind the request. The per-address rate limit keys on it.
  std::string remote_address;

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
};

// A body sent in pieces as they come (Server-Sent Events), without the route seeing the socket.
// The server asks for one piece at a time, and only once the previous one is written, so a slow
// client holds its source back instead of growing a buffer. Everything runs on the server's I/O
// thread.
class BodyStream {
 public:
  using Piece = std::optional<std::string>;  // nullopt: the body ends
  using Deliver = UniqueFunction<void(Piece)>;
  virtual ~BodyStream() = default;
  // The next piece, wanted now: call `deliver` once, at once or later. The server may stop
  // waiting (close()); a deliver called after that is ignored.
  virtual void next(Deliver deliver) = 0;
  // Called once when the server is done with the stream, whatever the reason: its end, a failed
  // write (the client went away) or Server::stop(). No next() follows. Not called when the
  // server is torn down without running (its I/O loop stopped): the destructor must then be
  // safe on its own.
  virtual void close() = 0;
};

struct Response {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  // When set, the body goes out as a stream: `body` first, then the stream's pieces, chunked
  // (HTTP/1.1) or until the connection closes (HTTP/1.0); the connection is not kept alive.
  std::shared_ptr<BodyStream> stream;
};

using Responder = UniqueFunction<void(Response)>;

struct ApiError;

// Answers requests. handle() runs on the server's I/O thread and may answer later, from any
// callback on that same thread.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void handle(Request request, Responder respond) = 0;
  // The answer to a request the server refuses itself (too large, malformed), or whose handle()
  // threw. `head` holds what the parser read of it (method, target, headers; never the body),
  // or is null when it did not get that far. By default Restate's {code, message}; a handler
  // with route families renders it in the family of head's target.
  virtual Response refusal(const ApiError& error, const Request* head) const;
};

// {"code": N, "message": "..."}: Restate's error body. Routes express their errors as ApiError
// instead, which their family renders (error_rendering.hpp); this is for outcomes passed on.
Response error_response(unsigned status, std::string_view message);

}  // namespace orderd::http
