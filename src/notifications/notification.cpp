#include "notifications/notification.hpp"

#include <boost/json.hpp>
#include <string_view>

#include "common/durations.hpp"
#include "common/ids.hpp"
#include "common/json_fields.hpp"

namespace orderd::notifications {
namespace {

constexpr std::size_t kIdLength = 4 + 10 + 26;  // "ntf_", delivery time, invocation

bool has_control_or_space(std::string_view text) {
  for (unsigned char c : text)
    if (c <= 0x20 || c == 0x7f) return true;
  return false;
}

bool has_control(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// x@y: one '@' with something on both sides, no spaces or control characters.
bool looks_like_address(std::string_view to) {
  const auto at = to.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < to.size() &&
         to.find('@', at + 1) == std::string_view::npos && !has_control_or_space(to);
}

bool is_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > SendEmailLimits::kMaxKind) return false;
  for (char c : kind)
    if (!((c >= 'a' && c <= 'z') || c == '.' || c == '_')) return false;
  return true;
}

void check_reference(const std::string& value, const char* field) {
  if (value.size() > SendEmailLimits::kMaxReference)
    throw json::InvalidField(field, "must be at most 128 bytes");
  if (has_control(value)) throw json::InvalidField(field, "must not hold control characters");
}

std::string optional_text(const boost::json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) throw json::InvalidField(field, "must be a string");
  return std::string(v->get_string());
}

boost::json::value string_or_null(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

}  // namespace

void validate(const SendEmail& s) {
  if (s.to.size() > SendEmailLimits::kMaxAddress)
    throw json::InvalidField("to", "must be at most 254 bytes");
  if (!looks_like_address(s.to))
    throw json::InvalidField("to", "must be an email address (name@domain)");
  if (s.subject.empty() || s.subject.size() > SendEmailLimits::kMaxSubject)
    throw json::InvalidField("subject", "must be 1 to 200 bytes");
  if (s.body.size() > SendEmailLimits::kMaxBody)
    throw json::InvalidField("body", "must be at most 16384 bytes");
  if (!is_kind(s.kind))
    throw json::InvalidField("kind", "must be 1 to 64 characters of a-z, '.' and '_'");
  check_reference(s.trip_id, "tripId");
  check_reference(s.order_id, "orderId");
  check_reference(s.customer, "customerId");
  if (!s.trip_id.empty() && !s.order_id.empty())
    throw json::InvalidField("orderId", "must not be given with tripId");
}

std::string notification_id_for(const std::string& invocation_id, std::int64_t delivered_at_ms) {
  // invocation_id_from's first 10 characters after "inv_": 48 bits of time, then 2 zero bits.
  std::string id = "ntf_" + ids::invocation_id_from(delivered_at_ms, 0, 0).substr(4, 10);
  id += invocation_id.substr(invocation_id.rfind('_') + 1);
  return id;
}

bool is_notification_id(const std::string& text) {
  if (text.size() != kIdLength || text.compare(0, 4, "ntf_") != 0) return false;
  for (std::size_t i = 4; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SendEmail& s) {
  boost::json::object o{{"to", s.to}, {"subject", s.subject}, {"body", s.body}, {"kind", s.kind}};
  if (!s.trip_id.empty()) o["tripId"] = s.trip_id;
  if (!s.order_id.empty()) o["orderId"] = s.order_id;
  if (!s.customer.empty()) o["customerId"] = s.customer;
  v = std::move(o);
}

SendEmail tag_invoke(boost::json::value_to_tag<SendEmail>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  SendEmail s;
  s.to = json::require_string(o, "to");
  s.subject = json::require_string(o, "subject");
  s.body = optional_text(o, "body");
  s.kind = json::require_string(o, "kind");
  s.trip_id = optional_text(o, "tripId");
  s.order_id = optional_text(o, "orderId");
  s.customer = optional_text(o, "customerId");
  validate(s);  // N1
  return s;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Sent& s) {
  v = {{"notificationId", s.notification_id}, {"status", s.status}};
}

Sent tag_invoke(boost::json::value_to_tag<Sent>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "notificationId"), json::require_string(o, "status")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Notification& n) {
  v = {{"id", n.id},
       {"to", n.to},
       {"subject", n.subject},
       {"body", n.body},
       {"kind", n.kind},
       {"tripId", n.trip_id},
       {"orderId", n.order_id},
       {"customerId", n.customer},
       {"createdAtMs", n.created_at_ms}};
}

Notification tag_invoke(boost::json::value_to_tag<Notification>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Notification n;
  n.id = json::require_string(o, "id");
  n.to = json::require_string(o, "to");
  n.subject = json::require_string(o, "subject");
  n.body = json::require_string(o, "body");
  n.kind = json::require_string(o, "kind");
  n.trip_id = json::require_string(o, "tripId");
  n.order_id = json::require_string(o, "orderId");
  n.customer = json::require_string(o, "customerId");
  n.created_at_ms = json::require_integer(o, "createdAtMs");
  return n;
}

boost::json::value notification_view(const Notification& n) {
  return {{"id", n.id},
          {"to", n.to},
          {"subject", n.subject},
          {"body", n.body},
          {"kind", n.kind},
          {"trip_id", string_or_null(n.trip_id)},
          {"order_id", string_or_null(n.order_id)},
          {"created_at", durations::format_rfc3339(n.created_at_ms)}};
}

}  // namespace orderd::notifications
