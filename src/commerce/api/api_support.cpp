#include "commerce/api/api_support.hpp"

#include <boost/json/parse.hpp>

#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

http::ApiError invalid(std::string message, std::string reason = {}) {
  return http::ApiError{ErrorCode::kInvalidArgument, std::move(message), std::move(reason)};
}

}  // namespace

std::optional<boost::json::object> json_body(const http::RouteRequest& request,
                                             http::ApiError& error, bool optional) {
  if (request.body().empty() && optional) return boost::json::object{};
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request.body(), ec);
  if (ec) {
    error = invalid("the body is not valid JSON: " + ec.message(), "invalid_json");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = invalid("the body must be a JSON object", "invalid_json");
    return std::nullopt;
  }
  return std::move(body.as_object());
}

http::ApiError validation_failed(const Violations& violations) {
  http::ApiError e{ErrorCode::kInvalidArgument,
                   violations.size() == 1
                       ? violations.front().message
                       : std::to_string(violations.size()) + " fields are invalid",
                   "validation_failed"};
  for (const auto& v : violations) e.field_errors.push_back({v.field, v.code, v.message});
  return e;
}

http::ApiError api_error(const Error& error) {
  http::ApiError e{error.code, error.message, error.reason};
  if (!error.details.empty()) {
    boost::system::error_code ec;
    auto details = boost::json::parse(error.details, ec);
    if (!ec && details.is_object()) e.extra = std::move(details.as_object());
  }
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kResourceExhausted)
    e.headers.emplace_back("retry-after", "1");
  return e;
}

http::Response json_response(unsigned status, const boost::json::value& body) {
  return http::Response{status, json::dump(body), {}, "application/json"};
}

std::optional<Page> read_page(const http::RouteRequest& request, Violations& violations) {
  Page page;
  const std::size_t before = violations.size();
  if (const auto* limit = request.query_param("limit")) {
    char* end = nullptr;
    const long n = std::strtol(limit->c_str(), &end, 10);
    if (limit->empty() || *end != '\0' || n < 1 || n > 100)
      violations.push_back({"limit", "out_of_range", "limit must be between 1 and 100"});
    else
      page.limit = static_cast<std::size_t>(n);
  }
  if (const auto* after = request.query_param("starting_after")) page.starting_after = *after;
  if (const auto* before_cursor = request.query_param("ending_before"))
    page.ending_before = *before_cursor;
  if (!page.starting_after.empty() && !page.ending_before.empty()) {
    violations.push_back(
        {"ending_before", "conflicting_cursor", "give starting_after or ending_before, not both"});
  }
  if (violations.size() != before) return std::nullopt;
  return page;
}

http::Response answer_write(const http::RouteRequest& request, const Invoker::Reply& reply,
                            http::Response pending,
                            const std::function<http::Response(const std::string&)>& done) {
  using Kind = Invoker::Reply::Kind;
  if (reply.kind == Kind::kRefused) return request.error(reply.refusal);
  if (reply.kind == Kind::kStillRunning) return pending;
  http::Response r =
      reply.outcome.ok ? done(reply.outcome.body) : request.error(api_error(reply.outcome.error));
  if (reply.kind == Kind::kReplayed) r.headers.emplace_back("idempotent-replayed", "true");
  return r;
}

}  // namespace orderd::commerce::api
