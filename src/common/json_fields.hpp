#pragma once
// Typed reads of request fields. Each failure names the field, so the ingress can answer a 400
// that tells the client exactly what to fix.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace orderd::json {

class InvalidField : public std::runtime_error {
 public:
  InvalidField(std::string field, const std::string& problem)
      : std::runtime_error("field '" + field + "' " + problem), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

const boost::json::object& as_object(const boost::json::value& v);  // throws InvalidField("body")
std::string require_string(const boost::json::object& o, const char* field);
double require_number(const boost::json::object& o, const char* field);
std::int64_t require_integer(const boost::json::object& o, const char* field);
bool require_bool(const boost::json::object& o, const char* field);
std::string optional_string(const boost::json::object& o, const char* field,
                            std::string fallback = {});

}  // namespace orderd::json
