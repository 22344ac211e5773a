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

// Answers requests. handle() runs on the server's I/O thread and may answer later, from any
// callback on that same thread.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void handle(Request request, Responder respond) = 0;
};

// {"code": N, "message": "..."}: the error body every endpoint uses (Restate's shape).
Response error_response(unsigned status, std::string_view message);

}  // namespace orderd::http
