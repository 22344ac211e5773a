#include "ingress/http_parsing.hpp"

#include <boost/asio/buffer.hpp>
#include <cctype>

#include "ingress/error_rendering.hpp"

namespace orderd::http {

namespace bhttp = boost::beast::http;

namespace {

// The start line and headers, names lower-cased; the body is left where it is.
Request head_of(const BeastRequest& in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return out;
}

ApiError transport_error(unsigned status, const char* reason, std::string message) {
  ApiError e{ErrorCode::kInvalidArgument, std::move(message), reason};
  e.status = status;
  return e;
}

}  // namespace

void apply_limits(RequestParser& parser, const ServerLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
}

Request to_request(BeastRequest&& in) {
  Request out = head_of(in);
  out.body = std::move(in.body());
  return out;
}

std::optional<ApiError> refusal_error(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::body_limit)
    return transport_error(413, "body_too_large", "request body too large");
  if (ec == bhttp::error::header_limit)
    return transport_error(431, "headers_too_large", "request headers too large");
  if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
      ec == bhttp::error::bad_target || ec == bhttp::error::bad_method)
    return ApiError{ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message(),
                    "malformed_request"};
  return std::nullopt;
}

std::optional<Response> refusal(const boost::beast::error_code& ec, const RequestParser& parser,
                                const RequestHandler* handler) {
  auto error = refusal_error(ec);
  if (!error) return std::nullopt;
  if (!handler) return render_restate_error(*error);
  // The start line has been read once the target is set, and the headers read so far with it
  // (all of them past a body limit). Before, the request's family is unknown.
  if (parser.get().target().empty()) return handler->refusal(*error, nullptr);
  Request head = head_of(parser.get());
  return handler->refusal(*error, &head);
}

ParsedRequest parse_request(std::string_view bytes, const ServerLimits& limits,
                            const RequestHandler* handler) {
  RequestParser parser;
  apply_limits(parser, limits);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < bytes.size() && !parser.is_done()) {
    std::size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return {std::nullopt, refusal(ec, parser, handler)};
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    // The peer stopped sending: a session would answer the truncated request as malformed.
    parser.put_eof(ec);
    if (ec) return {std::nullopt, refusal(ec, parser, handler)};
    if (!parser.is_done()) return {};
  }
  return {to_request(parser.release()), std::nullopt};
}

}  // namespace orderd::http
