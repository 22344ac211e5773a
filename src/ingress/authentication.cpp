#include "ingress/authentication.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace orderd::http {
namespace {

constexpr std::string_view kChallenge = "Bearer realm=\"orderd\"";

// The token of `Authorization: Bearer <token>`; nullopt when there is no such header, it names
// another scheme, or it has no token after the scheme (no credentials: token_missing). Spaces
// around the token are dropped.
std::optional<std::string_view> bearer_token(const std::string* authorization) {
  if (!authorization) return std::nullopt;
  std::string_view value = *authorization;
  constexpr std::string_view kScheme = "bearer";
  if (value.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return std::nullopt;
  value.remove_prefix(kScheme.size());
  if (!value.empty() && value.front() != ' ' && value.front() != '\t') return std::nullopt;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return value;
}

ApiError unauthenticated(auth::JwtFailure failure) {
  const std::string_view description = auth::describe(failure);
  ApiError e{ErrorCode::kUnauthenticated, std::string(description),
             std::string(auth::to_string(failure))};
  // RFC 6750 §3.1: a request without credentials gets the bare challenge, no error code.
  std::string challenge(kChallenge);
  if (failure != auth::JwtFailure::kTokenMissing)
    challenge +=
        ", error=\"invalid_token\", error_description=\"" + std::string(description) + "\"";
  e.headers.emplace_back("www-authenticate", std::move(challenge));
  return e;
}

class Authentication final : public Middleware {
 public:
  Authentication(std::shared_ptr<const auth::JwtVerifier> verifier, EpochSeconds now)
      : verifier_(std::move(verifier)), now_(std::move(now)) {}

  void handle(RouteRequest& request, Responder respond, Next next) override {
    request.caller.open = false;
    if (request.access->anonymous) return next(request, std::move(respond));
    const auto token = bearer_token(request.authorization());
    auth::JwtVerdict verdict;
    if (!token)
      verdict.failure = auth::JwtFailure::kTokenMissing;
    else
      verdict = verifier_->verify(*token, now_());
    if (!verdict.ok()) {
      // The code only: the token is a credential, and never goes to the log.
      spdlog::debug("{} {}: 401 {} (request {})", request.method(), request.path(),
                    auth::to_string(verdict.failure), request.request_id);
      return respond(request.error(unauthenticated(verdict.failure)));
    }
    request.caller.subject = std::move(verdict.claims->subject);
    request.caller.roles = verdict.claims->roles;
    request.principal = request.caller.subject;
    next(request, std::move(respond));
  }

 private:
  std::shared_ptr<const auth::JwtVerifier> verifier_;
  EpochSeconds now_;
};

}  // namespace

std::int64_t system_epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<Middleware> make_authentication(std::shared_ptr<const auth::JwtVerifier> verifier,
                                                EpochSeconds now) {
  return std::make_shared<Authentication>(std::move(verifier), std::move(now));
}

}  // namespace orderd::http
