#pragma once
// Numbers the store keeps as text (a sleep's wake-up time, a wait's step), read without trusting
// them: the journal may come from a crash, a bug or another version.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace orderd {

// The whole of `text` as a decimal integer, or nullopt.
inline std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace orderd
