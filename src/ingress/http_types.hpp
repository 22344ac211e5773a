#pragma once
// HTTP as the routes see it: plain values, so route code never includes Beast.
#include <string>
#include <utility>
#include <vector>

#include "common/unique_function.hpp"

namespace orderd::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
};

struct Response {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
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
