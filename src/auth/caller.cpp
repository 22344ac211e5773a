#include "auth/caller.hpp"

#include <charconv>

namespace orderd::auth {

std::optional<Role> parse_role(std::string_view name) {
  if (name == "customer") return Role::kCustomer;
  if (name == "admin") return Role::kAdmin;
  if (name == "service") return Role::kService;
  return std::nullopt;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "customer";
    case Role::kAdmin:
      return "admin";
    case Role::kService:
      return "service";
  }
  return "unknown";
}

std::optional<std::int64_t> Caller::user_id() const {
  // Digits only: from_chars would take a sign, and "007" is not the user 7's canonical name.
  if (subject.empty() || subject.size() > 18 || subject[0] == '0') return std::nullopt;
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(subject.data(), subject.data() + subject.size(), id);
  if (ec != std::errc{} || end != subject.data() + subject.size() || id <= 0) return std::nullopt;
  for (char c : subject)
    if (c < '0' || c > '9') return std::nullopt;
  return id;
}

}  // namespace orderd::auth
