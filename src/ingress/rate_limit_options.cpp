#include "ingress/rate_limit_options.hpp"

#include <charconv>
#include <cmath>

namespace orderd::http {

std::optional<double> parse_rate(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  double count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + slash, count);
  if (ec != std::errc{} || end != text.data() + slash || !std::isfinite(count) || count <= 0)
    return std::nullopt;
  const std::string_view unit = text.substr(slash + 1);
  if (unit == "s" || unit == "sec" || unit == "second") return count;
  if (unit == "m" || unit == "min" || unit == "minute") return count / 60;
  if (unit == "h" || unit == "hour") return count / 3600;
  return std::nullopt;
}

}  // namespace orderd::http
