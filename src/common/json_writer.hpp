#pragma once
// JSON serialisation with plain decimal numbers. Boost.JSON's own serializer prints doubles in
// exponent form (99.99 -> 9.999E1), which no client of an order API expects.
#include <boost/json/fwd.hpp>
#include <string>

namespace orderd::json {

std::string dump(const boost::json::value& value);
void dump_to(std::string& out, const boost::json::value& value);

}  // namespace orderd::json
