#pragma once
// Lenient reads of an HTTP answer's JSON for the end-to-end tests: a missing or mistyped field
// reads as empty, so a check compares it and fails with the document shown, rather than throw.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace orderd::testing {

// The text parsed, if it is a JSON object.
std::optional<boost::json::object> object_of(const std::string& text);
// The field as a string, "" when absent or not a string.
std::string string_at(const boost::json::object& o, const char* name);
// The field as an integer, `otherwise` when absent or not an integer.
std::int64_t int_at(const boost::json::object& o, const char* name, std::int64_t otherwise = 0);
// The field as an object, an empty one when absent or not an object.
const boost::json::object& object_at(const boost::json::object& o, const char* name);

}  // namespace orderd::testing
