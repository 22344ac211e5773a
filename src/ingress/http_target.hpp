#pragma once
// Request targets: path segments, query parameters, percent-decoding.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orderd::http {

struct Target {
  std::vector<std::string_view> segments;  // views into the target string
  std::string_view query;
};

Target split_target(std::string_view target);
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);
std::string percent_decode(std::string_view in);

}  // namespace orderd::http
