#include "commerce/validation.hpp"

#include <boost/json/value.hpp>
#include <charconv>

namespace orderd::commerce {
namespace {

bool missing(const boost::json::object& o, const char* name, const std::string& field,
             Violations& out, bool required) {
  const auto* v = o.if_contains(name);
  if (v && !v->is_null()) return false;
  if (required) out.push_back({field, "required", field + " is required"});
  return true;
}

}  // namespace

std::optional<std::int64_t> read_id(const boost::json::object& o, const char* name,
                                    const std::string& field, Violations& out, bool required) {
  if (missing(o, name, field, out, required)) return std::nullopt;
  const auto& v = o.at(name);
  std::int64_t id = 0;
  bool ok = false;
  if (v.is_int64()) {
    id = v.get_int64();
    ok = true;
  } else if (v.is_uint64()) {
    ok = false;  // beyond int64
  } else if (v.is_string()) {
    const auto& s = v.get_string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    ok = ec == std::errc() && end == s.data() + s.size() && !s.empty() && s[0] != '-';
  }
  if (!ok || id < 1) {
    out.push_back({field, "invalid_id", field + " must be a positive integer"});
    return std::nullopt;
  }
  return id;
}

std::optional<std::int64_t> read_count(const boost::json::object& o, const char* name,
                                       const std::string& field, std::int64_t max, Violations& out,
                                       bool required) {
  if (missing(o, name, field, out, required)) return std::nullopt;
  const auto& v = o.at(name);
  if (!v.is_int64()) {
    out.push_back({field, "must_be_integer", field + " must be an integer"});
    return std::nullopt;
  }
  const std::int64_t n = v.get_int64();
  if (n < 1 || n > max) {
    out.push_back({field, "out_of_range", field + " must be between 1 and " + std::to_string(max)});
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> read_text(const boost::json::object& o, const char* name,
                                     const std::string& field, std::size_t max_length,
                                     Violations& out, bool required) {
  if (missing(o, name, field, out, required)) return std::nullopt;
  const auto& v = o.at(name);
  if (!v.is_string()) {
    out.push_back({field, "must_be_string", field + " must be a string"});
    return std::nullopt;
  }
  std::string s(v.get_string());
  if (s.empty() || s.size() > max_length) {
    out.push_back({field, "invalid_length",
                   field + " must have 1 to " + std::to_string(max_length) + " characters"});
    return std::nullopt;
  }
  return s;
}

}  // namespace orderd::commerce
