#include "ingress/error_rendering.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/json/array.hpp>
#include <cctype>

#include "common/json_writer.hpp"

namespace orderd::http {
namespace {

constexpr std::string_view kStandardMembers[] = {"type", "title",      "status", "detail",
                                                 "code", "request_id", "errors"};

bool is_standard_member(std::string_view name) {
  for (auto member : kStandardMembers)
    if (member == name) return true;
  return false;
}

// "out_of_stock" -> "Out of stock": a stable title for a problem type, from its stable code.
std::string humanize(std::string_view code) {
  std::string title(code);
  for (auto& c : title)
    if (c == '_') c = ' ';
  if (!title.empty())
    title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
  return title;
}

std::string status_phrase(const ApiError& error) {
  auto phrase = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(error.http_status()));
  if (phrase == "<unknown-status>") return humanize(to_string(error.category));  // 470, 570
  return std::string(phrase);
}

}  // namespace

Response render_restate_error(const ApiError& error) {
  Response r = error_response(error.http_status(), error.message);
  r.headers.insert(r.headers.end(), error.headers.begin(), error.headers.end());
  return r;
}

Response render_problem(const ApiError& error, std::string_view request_id) {
  const bool typed = !error.reason.empty();
  boost::json::object body;
  body["type"] = typed ? std::string(kProblemTypeBase) + error.reason : "about:blank";
  body["title"] = typed ? humanize(error.reason) : status_phrase(error);
  body["status"] = error.http_status();
  body["detail"] = error.message;
  body["code"] = error.code();
  body["request_id"] = request_id;
  if (!error.field_errors.empty()) {
    boost::json::array errors;
    for (const auto& f : error.field_errors)
      errors.push_back(
          boost::json::object{{"field", f.field}, {"code", f.code}, {"message", f.message}});
    body["errors"] = std::move(errors);
  }
  for (const auto& member : error.extra)
    if (!is_standard_member(member.key())) body[member.key()] = member.value();
  // json::dump, not Boost's serializer: raw bytes from a client (a path) become U+FFFD.
  Response r{error.http_status(), json::dump(body), error.headers, "application/problem+json"};
  return r;
}

Response render_error(RouteFamily family, const ApiError& error, std::string_view request_id) {
  switch (family) {
    case RouteFamily::kApi:
      return render_problem(error, request_id);
    case RouteFamily::kRestate:
      break;
  }
  return render_restate_error(error);
}

Response RequestHandler::refusal(const ApiError& error, const Request*) const {
  return render_restate_error(error);
}

}  // namespace orderd::http
