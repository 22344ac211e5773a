#include "common/json_fields.hpp"

#include <cmath>

namespace orderd::json {
namespace {

const boost::json::value& require(const boost::json::object& o, const char* field) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null()) throw InvalidField(field, "is required");
  return it->value();
}

}  // namespace

const boost::json::object& as_object(const boost::json::value& v) {
  if (!v.is_object()) throw InvalidField("body", "must be a JSON object");
  return v.get_object();
}

std::string require_string(const boost::json::object& o, const char* field) {
  const auto& v = require(o, field);
  if (!v.is_string()) throw InvalidField(field, "must be a string");
  return std::string(v.get_string());
}

double require_number(const boost::json::object& o, const char* field) {
  const auto& v = require(o, field);
  if (v.is_double()) {
    if (!std::isfinite(v.get_double())) throw InvalidField(field, "must be a finite number");
    return v.get_double();
  }
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  throw InvalidField(field, "must be a number");
}

std::int64_t require_integer(const boost::json::object& o, const char* field) {
  const auto& v = require(o, field);
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double() && std::floor(v.get_double()) == v.get_double() &&
      std::fabs(v.get_double()) < 9.0e15)
    return static_cast<std::int64_t>(v.get_double());
  throw InvalidField(field, "must be an integer");
}

bool require_bool(const boost::json::object& o, const char* field) {
  const auto& v = require(o, field);
  if (!v.is_bool()) throw InvalidField(field, "must be a boolean");
  return v.get_bool();
}

std::string optional_string(const boost::json::object& o, const char* field, std::string fallback) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null()) return fallback;
  if (!it->value().is_string()) throw InvalidField(field, "must be a string");
  return std::string(it->value().get_string());
}

}  // namespace orderd::json
