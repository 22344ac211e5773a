#pragma once
// Durations and instants as the HTTP API writes them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderd::durations {

// "10s", "500ms", "2m", "1h", "1h30m", "7d", or ISO 8601 "PT10S", "PT1M30S", "PT0.5S", "P1D".
// nullopt when the text is none of these or negative.
std::optional<std::int64_t> parse_ms(std::string_view text);

// RFC 3339 in UTC with milliseconds: "2026-11-23T04:11:11.522Z".
std::string format_rfc3339(std::int64_t ms_since_epoch);
// The inverse of format_rfc3339 (exactly that shape); nullopt for anything else.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace orderd::durations
