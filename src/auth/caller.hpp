#pragma once
// Who is calling, as authentication found it (ingress/authentication.hpp), and the roles a route
// may demand (ingress/route_access.hpp). No I/O, no crypto: every layer may include it.
//
// A1. With authentication off (no --jwt-* flag) every caller is `open`: it may do anything, as
//     orderd always allowed, and its principal is empty. With it on, a caller is either
//     authenticated (a verified token: subject and roles) or refused before any route runs,
//     except on the routes that declare `anonymous` (/health, /ready).
// A2. What a caller may see of the shop's data is decided by owns_only(): only a customer that
//     is neither admin nor service is limited to its own orders, reservations, payments, events
//     and invocations. Every route that returns or changes such data asks it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderd::auth {

enum class Role : std::uint8_t {
  kCustomer = 1,  // a shop's buyer: `sub` is its user id; sees only its own data (A2)
  kAdmin = 2,     // everything: products, stock, every order, the admin listener, internal handlers
  kService = 4,   // another back-end service: internal handlers on the ingress, every order
};

// A set of roles, as a bit mask of Role values.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(Role role) : bits_(static_cast<std::uint8_t>(role)) {}  // NOLINT: implicit
  constexpr RoleSet operator|(RoleSet other) const { return RoleSet(bits_ | other.bits_); }
  constexpr bool has(Role role) const { return bits_ & static_cast<std::uint8_t>(role); }
  constexpr bool intersects(RoleSet other) const { return (bits_ & other.bits_) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const RoleSet&) const = default;

 private:
  constexpr explicit RoleSet(int bits) : bits_(static_cast<std::uint8_t>(bits)) {}
  std::uint8_t bits_ = 0;
};
constexpr RoleSet operator|(Role a, Role b) {
  return RoleSet(a) | RoleSet(b);
}

// "customer", "admin", "service"; nullopt for any other name (a token's unknown roles are
// ignored, never an error: an identity provider may put its own there).
std::optional<Role> parse_role(std::string_view name);
std::string_view to_string(Role role);

struct Caller {
  bool open = true;     // authentication is off (A1)
  std::string subject;  // the token's `sub`; empty when open
  RoleSet roles;        // the token's known roles
  std::string address;  // the client's IP address, for the per-address limit

  bool has(Role role) const { return roles.has(role); }
  // A2: limited to its own data.
  bool owns_only() const {
    return !open && roles.has(Role::kCustomer) && !roles.has(Role::kAdmin) &&
           !roles.has(Role::kService);
  }
  // The shop's user id a customer acts as: `sub` as a positive decimal number; nullopt when it
  // is not one (such a customer gets 403 on the shop's routes).
  std::optional<std::int64_t> user_id() const;
  // The scope the journal records and idempotency keys are kept under: the subject.
  const std::string& principal() const { return subject; }
};

}  // namespace orderd::auth
