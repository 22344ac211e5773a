#include "common/error_code.hpp"

#include <array>
#include <utility>

namespace orderd {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  std::uint16_t status;
};

// In enum order. The status is what a client sees; 470 and 570 are Restate's own.
constexpr std::array<CodeInfo, 16> kCodes{{
    {ErrorCode::kInvalidArgument, "invalid_argument", 400},
    {ErrorCode::kUnauthenticated, "unauthenticated", 401},
    {ErrorCode::kPaymentRequired, "payment_required", 402},
    {ErrorCode::kPermissionDenied, "permission_denied", 403},
    {ErrorCode::kNotFound, "not_found", 404},
    {ErrorCode::kConflict, "conflict", 409},
    {ErrorCode::kCancelled, "cancelled", 409},
    {ErrorCode::kKilled, "killed", 409},
    {ErrorCode::kUnprocessable, "unprocessable", 422},
    {ErrorCode::kResourceExhausted, "resource_exhausted", 429},
    {ErrorCode::kInternal, "internal", 500},
    {ErrorCode::kUpstreamFailed, "upstream_failed", 502},
    {ErrorCode::kUnavailable, "unavailable", 503},
    {ErrorCode::kDeadlineExceeded, "deadline_exceeded", 504},
    {ErrorCode::kNotReady, "not_ready", 470},
    {ErrorCode::kJournalMismatch, "journal_mismatch", 570},
}};

constexpr const CodeInfo& info(ErrorCode code) {
  return kCodes[static_cast<std::size_t>(code)];
}

static_assert([] {
  for (std::size_t i = 0; i < kCodes.size(); ++i)
    if (static_cast<std::size_t>(kCodes[i].code) != i) return false;
  return true;
}());

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
  return info(code).name;
}

std::optional<ErrorCode> error_code_from_string(std::string_view name) noexcept {
  for (const auto& c : kCodes)
    if (c.name == name) return c.code;
  return std::nullopt;
}

std::uint16_t status_code(ErrorCode code) noexcept {
  return info(code).status;
}

ErrorCode error_code_from_status(std::uint16_t status) noexcept {
  // 409 is ambiguous (conflict, cancelled, killed): an old record's 409 reads as a conflict.
  for (const auto& c : kCodes)
    if (c.status == status) return c.code;
  return status >= 400 && status < 500 ? ErrorCode::kInvalidArgument : ErrorCode::kInternal;
}

}  // namespace orderd
