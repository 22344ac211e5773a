#include "ingress/request_id.hpp"

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <random>

namespace orderd::http {

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' &&
        c != '-')
      return false;
  }
  return true;
}

std::string new_request_id() {
  static const std::string process = [] {
    std::random_device device;
    const std::uint64_t bits = (std::uint64_t{device()} << 32) | device();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
    return "req_" + std::string(hex) + "_";
  }();
  static std::atomic<std::uint64_t> counter{0};
  return process + std::to_string(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

std::string request_id_for(const Request& request) {
  if (const std::string* id = request.header("x-request-id"); id && is_valid_request_id(*id))
    return *id;
  return new_request_id();
}

}  // namespace orderd::http
