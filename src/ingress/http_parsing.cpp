#include "ingress/http_parsing.hpp"

#include <boost/asio/buffer.hpp>
#include <cctype>

namespace orderd::http {

namespace bhttp = boost::beast::http;

void apply_limits(RequestParser& parser, const ServerLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
}

Request to_request(BeastRequest&& in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.body = std::move(in.body());
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return out;
}

std::optional<Response> refusal(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) return error_response(413, "request body too large");
  if (ec == bhttp::error::header_limit) return error_response(431, "request headers too large");
  if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
      ec == bhttp::error::bad_target || ec == bhttp::error::bad_method)
    return error_response(400, "malformed HTTP request: " + ec.message());
  return std::nullopt;
}

ParsedRequest parse_request(std::string_view bytes, const ServerLimits& limits) {
  RequestParser parser;
  apply_limits(parser, limits);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < bytes.size() && !parser.is_done()) {
    std::size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return {std::nullopt, refusal(ec)};
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    // The peer stopped sending: a session would answer the truncated request as malformed.
    parser.put_eof(ec);
    if (ec) return {std::nullopt, refusal(ec)};
    if (!parser.is_done()) return {};
  }
  return {to_request(parser.release()), std::nullopt};
}

}  // namespace orderd::http
