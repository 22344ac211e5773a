#include "common/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/json_writer.hpp"

namespace orderd {

std::string Error::encode() const {
  // A bare message that looks like an encoded error would decode as one: it is encoded too.
  if (reason.empty() && details.empty() && error_code_from_status(status) == code &&
      (message.empty() || message.front() != '{'))
    return message;
  std::string out = "{\"message\":";
  json::append_string(out, message);
  out += ",\"category\":";
  json::append_string(out, to_string(code));
  if (!reason.empty()) {
    out += ",\"reason\":";
    json::append_string(out, reason);
  }
  if (!details.empty()) out += ",\"details\":" + details;
  out += "}";
  return out;
}

Error Error::decode(std::uint16_t status, std::string_view stored) {
  Error plain{error_code_from_status(status), status, {}, std::string(stored), {}};
  if (stored.empty() || stored.front() != '{') return plain;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(stored, ec);
  if (ec || !parsed.is_object()) return plain;
  const auto& o = parsed.get_object();
  const auto* message = o.if_contains("message");
  const auto* category = o.if_contains("category");
  if (!message || !message->is_string() || !category || !category->is_string()) return plain;
  auto code = error_code_from_string(category->get_string());
  if (!code) return plain;
  Error e{*code, status, {}, std::string(message->get_string()), {}};
  if (const auto* r = o.if_contains("reason"); r && r->is_string())
    e.reason = std::string(r->get_string());
  if (const auto* d = o.if_contains("details"); d && d->is_object()) e.details = json::dump(*d);
  return e;
}

}  // namespace orderd
