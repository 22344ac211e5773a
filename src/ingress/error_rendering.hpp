#pragma once
// The route families and their error formats: one renderer per family, and the family, not the
// error, picks it.
//   kRestate: everything outside /api on the ingress, and the whole admin listener. Restate's
//             {"code": N, "message": "..."}, byte for byte as Restate clients expect it.
//   kApi:     the commerce API under /api. RFC 9457 application/problem+json:
//             {"type", "title", "status", "detail", "code", "request_id", "errors"?, extra...}.
#include <cstdint>
#include <string_view>

#include "ingress/api_error.hpp"
#include "ingress/http_types.hpp"

namespace orderd::http {

enum class RouteFamily : std::uint8_t { kRestate, kApi };

// Where a problem's `type` points: kProblemTypeBase + its reason ("out_of_stock"). An error with
// no reason of its own is "about:blank", whose title is the status's phrase (RFC 9457 4.2.1).
inline constexpr std::string_view kProblemTypeBase = "https://orderd.dev/errors/";

Response render_restate_error(const ApiError& error);
// Extra members named like a standard one are left out: they cannot change what a client reads.
Response render_problem(const ApiError& error, std::string_view request_id);
Response render_error(RouteFamily family, const ApiError& error, std::string_view request_id);

}  // namespace orderd::http
