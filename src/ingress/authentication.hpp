#pragma once
// Stage 6 of the middleware chain (middleware.hpp): who is calling, from `Authorization: Bearer
// <JWT>` (RFC 6750 §2.1), checked by auth::JwtVerifier. Installed only when a --jwt-* key is
// given (A1 in auth/caller.hpp); the role check (7) follows it.
//
// - A verified token makes the caller authenticated: open=false, its `sub` and known roles, the
//   address kept; request.principal becomes the subject (the journal's and idempotency's scope).
// - A route that declares `anonymous` (/health, /ready) passes with or without a token; a token
//   given there is not even checked (the caller is anonymous: not open, no subject, no roles).
// - Anything else is a 401 problem with the verifier's stable code and a challenge (RFC 6750 §3):
//     no Bearer credentials:  WWW-Authenticate: Bearer realm="orderd"          code token_missing
//     a token refused:        WWW-Authenticate: Bearer realm="orderd", error="invalid_token",
//                             error_description="<describe(failure)>"         code token_<...>
//   The scheme's name is matched in any case; another scheme (Basic), or "Bearer" without a
//   token, counts as no credentials.
// The token is never logged, nor echoed in an answer.
#include <cstdint>
#include <functional>
#include <memory>

#include "auth/jwt_verifier.hpp"
#include "ingress/middleware.hpp"

namespace orderd::http {

// Seconds since the epoch: the clock exp and nbf are checked against.
using EpochSeconds = std::function<std::int64_t()>;
std::int64_t system_epoch_seconds();

std::shared_ptr<Middleware> make_authentication(std::shared_ptr<const auth::JwtVerifier> verifier,
                                                EpochSeconds now = system_epoch_seconds);

}  // namespace orderd::http
