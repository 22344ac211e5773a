#pragma once
// The request and response type of the engine tests' handlers: {"value": "..."}.
#include <boost/json.hpp>
#include <string>

namespace orderd::testing {

struct Text {
  std::string value;
};

inline Text tag_invoke(boost::json::value_to_tag<Text>, const boost::json::value& v) {
  return {std::string(v.as_object().at("value").as_string())};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Text& t) {
  v = {{"value", t.value}};
}

inline std::string text_input(const std::string& value) {
  return "{\"value\":\"" + value + "\"}";
}

}  // namespace orderd::testing
