#pragma once
// A message orderd sends a person (a trip's confirmation, an order's, a warehouse's pick list),
// as the mailbox keeps it (notifications/mailbox.hpp) and NotificationService/SendEmail takes it.
#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

namespace orderd::notifications {

// NotificationService/SendEmail's request. `customer` is whose it is, as a caller's `sub` names
// it: a trip's customerId, an order's user id in decimal; a customer sees only its own.
struct SendEmail {
  std::string to;  // an address: something@something, at most 254 bytes
  std::string subject;
  std::string body;
  std::string kind;     // "trip.confirmed", "trip.cancelled", "trip.failed", "order.confirmed", ...
  std::string trip_id;  // at most one of trip_id, order_id
  std::string order_id;
  std::string customer;
};

struct Notification {
  std::string id;  // "ntf_<...>": sorts by the time it was sent; a listing's cursor
  std::string to;
  std::string subject;
  std::string body;
  std::string kind;
  std::string trip_id;
  std::string order_id;
  std::string customer;
  std::int64_t created_at_ms = 0;
};

struct Sent {
  std::string notification_id;
  std::string status = "sent";
};

// N1. What SendEmail's JSON may hold, checked when it is decoded (so the ingress refuses a bad
//     request 400 before anything is written) and again by the mailbox before it writes.
struct SendEmailLimits {
  static constexpr std::size_t kMaxAddress = 254;  // RFC 5321's path limit
  static constexpr std::size_t kMaxSubject = 200;
  static constexpr std::size_t kMaxBody = 16 * 1024;
  static constexpr std::size_t kMaxKind = 64;
  static constexpr std::size_t kMaxReference = 128;  // tripId, orderId, customerId
};
// Throws json::InvalidField naming the first field (in the JSON's camelCase) that breaks N1.
void validate(const SendEmail& request);

// A notification's id: "ntf_" + 10 base32 characters of the time it was delivered + the 26 of
// its invocation's id. Ids sort by delivery time (ids of one millisecond by invocation), so a
// reverse scan is newest first and the id is the listing's cursor; deterministic for one
// delivery, so a replay names the same notification.
std::string notification_id_for(const std::string& invocation_id, std::int64_t delivered_at_ms);
bool is_notification_id(const std::string& text);

// JSON: SendEmail and Sent in the seed's camelCase (to, subject, body, kind, tripId, orderId,
// customerId; notificationId, status); Notification as the API lists it (snake_case, RFC 3339
// created_at) is the mailbox's view.
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SendEmail& s);
SendEmail tag_invoke(boost::json::value_to_tag<SendEmail>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Sent& s);
Sent tag_invoke(boost::json::value_to_tag<Sent>, const boost::json::value& v);
// The stored row (camelCase, created_at as milliseconds); the API's view is notification_view.
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Notification& n);
Notification tag_invoke(boost::json::value_to_tag<Notification>, const boost::json::value& v);
// As GET /api/v1/notifications lists it: id, to, subject, body, kind, trip_id, order_id (null
// when unset), created_at (RFC 3339).
boost::json::value notification_view(const Notification& n);

}  // namespace orderd::notifications
