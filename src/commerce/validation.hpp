#pragma once
// What is wrong with a request, field by field, in the domain's words. The API layer renders
// these as problem+json `errors` (ingress/api_error.hpp); the domain never sees HTTP.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orderd::commerce {

struct Violation {
  std::string field;    // "items[1].quantity"
  std::string code;     // stable snake_case: "must_be_positive"
  std::string message;  // for people
};
using Violations = std::vector<Violation>;

// An id as the seed's clients send it: a positive integer, or a string of digits ("100").
// Records a violation and yields nullopt otherwise (missing counts when `required`).
std::optional<std::int64_t> read_id(const boost::json::object& o, const char* name,
                                    const std::string& field, Violations& out,
                                    bool required = true);
// A positive integer no larger than `max` (a quantity, a TTL).
std::optional<std::int64_t> read_count(const boost::json::object& o, const char* name,
                                       const std::string& field, std::int64_t max, Violations& out,
                                       bool required = true);
// A string of 1..max_length characters.
std::optional<std::string> read_text(const boost::json::object& o, const char* name,
                                     const std::string& field, std::size_t max_length,
                                     Violations& out, bool required = true);

}  // namespace orderd::commerce
