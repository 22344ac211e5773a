#pragma once
// From Beast's parsed request to the routes' plain Request, and what a refused one is answered
// with. Shared by the server's sessions and the HTTP fuzzer, so both see the same parser, with
// the same limits. Includes Beast: only the server and the fuzzer include this header.
#include <boost/beast/http.hpp>
#include <optional>
#include <string_view>

#include "ingress/api_error.hpp"
#include "ingress/http_server.hpp"
#include "ingress/http_types.hpp"

namespace orderd::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A fresh parser per request (a reused one keeps its state), bounded by the server's limits.
void apply_limits(RequestParser& parser, const ServerLimits& limits);
Request to_request(BeastRequest&& in);
// The error a refused request is answered with (the connection closes after it), or nullopt
// when the failure leaves nothing to answer (the peer went away).
std::optional<ApiError> refusal_error(const boost::beast::error_code& ec);
// That answer, rendered by `handler` (Restate's shape without one) in the family of the
// request's target when the parser has read the start line: past a body limit it always has,
// past a header limit only when the start line fit.
std::optional<Response> refusal(const boost::beast::error_code& ec, const RequestParser& parser,
                                const RequestHandler* handler);

// Parses one request held whole in `bytes`, as a session would: either a request, or the answer
// to a refused one, or neither (incomplete input).
struct ParsedRequest {
  std::optional<Request> request;
  std::optional<Response> refusal;
};
ParsedRequest parse_request(std::string_view bytes, const ServerLimits& limits,
                            const RequestHandler* handler = nullptr);

}  // namespace orderd::http
