#pragma once
// JSON serialisation with plain decimal numbers. Boost.JSON's own serializer prints doubles in
// exponent form (99.99 -> 9.999E1), which no client of an order API expects.
#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>

namespace orderd::json {

std::string dump(const boost::json::value& value);
void dump_to(std::string& out, const boost::json::value& value);
// `s` as a quoted JSON string. Bytes that are not UTF-8 (raw bytes from a client) become U+FFFD,
// so the output is always valid JSON.
void append_string(std::string& out, std::string_view s);

}  // namespace orderd::json
