#include "notifications/mailbox.hpp"

#include <boost/json.hpp>
#include <stdexcept>

#include "common/json_fields.hpp"
#include "common/json_writer.hpp"

namespace orderd::notifications {
namespace {

// M3: "<length>:<value>/", so one value's part can never be a prefix of another's.
std::string part(const std::string& value) {
  return std::to_string(value.size()) + ":" + value + "/";
}

}  // namespace

std::variant<Notification, Error> Mailbox::deliver(const SendEmail& request, std::string id,
                                                   std::int64_t now_ms, WriteSet& writes) {
  try {
    validate(request);  // N1, again: a caller in process may not have come through JSON
  } catch (const json::InvalidField& e) {
    return Error::of(ErrorCode::kInvalidArgument, e.what(), "invalid_notification");
  }
  // Test knob: a transient failure before anything is written, retried by the engine.
  for (std::uint32_t left = failures_left_.load(); left > 0;) {
    if (failures_left_.compare_exchange_weak(left, left - 1))
      throw std::runtime_error("mailbox unavailable (--mailbox-fail-first)");
  }
  Notification n{std::move(id),   request.to,       request.subject,  request.body, request.kind,
                 request.trip_id, request.order_id, request.customer, now_ms};
  writes.put(kTable, n.id, json::dump(boost::json::value_from(n)));  // M1
  for (auto& key : index_keys(n)) writes.put(kIndexTable, std::move(key), "");
  return n;
}

std::vector<std::string> Mailbox::index_keys(const Notification& n) {
  std::vector<std::string> keys;
  auto add = [&](const NotificationFilter& filter) {
    keys.push_back(scan_for(filter).prefix + n.id);
  };
  add({n.to, {}, {}, std::nullopt});
  if (!n.trip_id.empty()) add({{}, n.trip_id, {}, std::nullopt});
  if (!n.order_id.empty()) add({{}, {}, n.order_id, std::nullopt});
  // M2: a customer's own rows, alone and with each filter, for confined listings.
  if (!n.customer.empty()) {
    add({{}, {}, {}, n.customer});
    add({n.to, {}, {}, n.customer});
    if (!n.trip_id.empty()) add({{}, n.trip_id, {}, n.customer});
    if (!n.order_id.empty()) add({{}, {}, n.order_id, n.customer});
  }
  return keys;
}

Mailbox::Scan Mailbox::scan_for(const NotificationFilter& f) {
  std::string narrowed;
  if (!f.to.empty())
    narrowed = "to/" + part(f.to);
  else if (!f.trip_id.empty())
    narrowed = "trip/" + part(f.trip_id);
  else if (!f.order_id.empty())
    narrowed = "order/" + part(f.order_id);
  // M2: a confined listing's prefix starts with its customer, whatever else narrows it.
  if (f.customer)
    return {kIndexTable, "cust/" + part(*f.customer) + (narrowed.empty() ? "all/" : narrowed)};
  if (narrowed.empty()) return {kTable, ""};
  return {kIndexTable, std::move(narrowed)};
}

Notification Mailbox::decode(const std::string& stored) {
  return boost::json::value_to<Notification>(boost::json::parse(stored));
}

}  // namespace orderd::notifications
