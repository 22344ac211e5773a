#include "common/durations.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace orderd::durations {
namespace {

// Reads a non-negative decimal number (fraction allowed) at the start of `text`.
bool read_number(std::string_view& text, double& value) {
  std::size_t n = 0;
  while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.'))
    ++n;
  if (n == 0) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + n, value);
  if (ec != std::errc{} || end != text.data() + n) return false;
  text.remove_prefix(n);
  return true;
}

std::optional<std::int64_t> parse_iso8601(std::string_view text) {
  text.remove_prefix(1);  // 'P'
  double total = 0;
  bool in_time = false, any = false;
  while (!text.empty()) {
    if (text.front() == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      text.remove_prefix(1);
      continue;
    }
    double value = 0;
    if (!read_number(text, value) || text.empty()) return std::nullopt;
    char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.front())));
    text.remove_prefix(1);
    if (!in_time && unit == 'D')
      total += value * 86'400'000;
    else if (in_time && unit == 'H')
      total += value * 3'600'000;
    else if (in_time && unit == 'M')
      total += value * 60'000;
    else if (in_time && unit == 'S')
      total += value * 1000;
    else
      return std::nullopt;
    any = true;
  }
  if (!any || !(total < 9.0e18)) return std::nullopt;
  return static_cast<std::int64_t>(total + 0.5);
}

}  // namespace

std::optional<std::int64_t> parse_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == 'P' || text.front() == 'p') return parse_iso8601(text);
  double total = 0;
  while (!text.empty()) {
    double value = 0;
    if (!read_number(text, value)) return std::nullopt;
    if (text.substr(0, 2) == "ms") {
      total += value;
      text.remove_prefix(2);
    } else if (!text.empty() && text.front() == 's') {
      total += value * 1000;
      text.remove_prefix(1);
    } else if (!text.empty() && text.front() == 'm') {
      total += value * 60'000;
      text.remove_prefix(1);
    } else if (!text.empty() && text.front() == 'h') {
      total += value * 3'600'000;
      text.remove_prefix(1);
    } else if (!text.empty() && text.front() == 'd') {
      total += value * 86'400'000;
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
  }
  // Past what milliseconds since the epoch can hold is no duration at all (and the cast UB).
  if (!(total < 9.0e18)) return std::nullopt;
  return static_cast<std::int64_t>(total + 0.5);
}

std::string format_rfc3339(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  // "2026-11-23T04:11:11.522Z": fixed positions, digits everywhere else.
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t width) {
    int n = 0;
    for (std::size_t i = at; i < at + width; ++i) n = n * 10 + (text[i] - '0');
    return n;
  };
  std::tm utc{};
  utc.tm_year = number(0, 4) - 1900;
  utc.tm_mon = number(5, 2) - 1;
  utc.tm_mday = number(8, 2);
  utc.tm_hour = number(11, 2);
  utc.tm_min = number(14, 2);
  utc.tm_sec = number(17, 2);
  if (utc.tm_mon > 11 || utc.tm_mday < 1 || utc.tm_mday > 31 || utc.tm_hour > 23 ||
      utc.tm_min > 59 || utc.tm_sec > 60)
    return std::nullopt;
  return static_cast<std::int64_t>(timegm(&utc)) * 1000 + number(20, 3);
}

}  // namespace orderd::durations
