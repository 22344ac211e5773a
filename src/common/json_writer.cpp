#include "common/json_writer.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace orderd::json {
namespace {

void write_string(std::string& out, boost::json::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity
    out += "null";
    return;
  }
  char buf[64];
  // Shortest round-trip form in fixed notation: 99.99 stays 99.99, 1e21 stays exact digits.
  auto result = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  if (result.ec != std::errc{}) result = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, result.ptr);
}

}  // namespace

void dump_to(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case boost::json::kind::double_:
      write_double(out, v.get_double());
      break;
    case boost::json::kind::string:
      write_string(out, v.get_string());
      break;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        dump_to(out, item);
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        write_string(out, key);
        out.push_back(':');
        dump_to(out, item);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string dump(const boost::json::value& value) {
  std::string out;
  out.reserve(128);
  dump_to(out, value);
  return out;
}

}  // namespace orderd::json
