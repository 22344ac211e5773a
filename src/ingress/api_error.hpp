#pragma once
// An error inside the ingress, as a value: what went wrong, in the one vocabulary of ErrorCode,
// plus what a client may need to react. It says nothing of the wire format: the route family
// that answers renders it (error_rendering.hpp), so the same error reads as Restate's
// {code, message} on a Restate route and as RFC 9457 problem+json on an /api route.
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error_code.hpp"

namespace orderd::http {

// One invalid field of a request: problem+json's `errors` member.
struct FieldError {
  std::string field;    // "quantity", "items[2].sku"
  std::string code;     // stable snake_case: "must_be_positive"
  std::string message;  // for people
};

struct ApiError {
  ErrorCode category = ErrorCode::kInternal;
  std::string message;  // for people: problem+json's detail, Restate's message
  std::string reason;   // stable snake_case id within the category; empty: the category's name
  std::vector<FieldError> field_errors;
  boost::json::object extra;  // more members of the problem (e.g. order_id); problem+json only
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"retry-after", "1"}
  // 0: status_code(category). Set only for transport statuses no category stands for (405, 413,
  // 431): the category then still says how the client should react.
  unsigned status = 0;

  unsigned http_status() const { return status != 0 ? status : status_code(category); }
  std::string_view code() const { return reason.empty() ? to_string(category) : reason; }
};

// The transport's own refusals, which no category's number matches.
inline ApiError method_not_allowed(std::string message, std::string allow) {
  ApiError e{ErrorCode::kInvalidArgument, std::move(message), "method_not_allowed"};
  e.status = 405;
  e.headers.emplace_back("allow", std::move(allow));
  return e;
}

}  // namespace orderd::http
