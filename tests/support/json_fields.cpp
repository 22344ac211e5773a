#include "support/json_fields.hpp"

namespace orderd::testing {

namespace json = boost::json;

std::optional<json::object> object_of(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string string_at(const json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t int_at(const json::object& o, const char* name, std::int64_t otherwise) {
  const auto* v = o.if_contains(name);
  // Boost.JSON keeps a non-negative number as uint64 only past int64's range.
  return v && v->is_int64()    ? v->as_int64()
         : v && v->is_uint64() ? static_cast<std::int64_t>(v->as_uint64())
                               : otherwise;
}

const json::object& object_at(const json::object& o, const char* name) {
  static const json::object empty;
  const auto* v = o.if_contains(name);
  return v && v->is_object() ? v->as_object() : empty;
}

}  // namespace orderd::testing
