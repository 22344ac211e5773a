#pragma once
// A message orderd sends a person (a trip's confirmation, an order's, a warehouse's pick list),
// as the mailbox keeps it (notifications/mailbox.hpp) and NotificationService/SendEmail takes it.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace orderd::notifications {

// NotificationService/SendEmail's request. `customer` is whose it is, as a caller's `sub` names
// it: a trip's customerId, an order's user id in decimal; a customer sees only its own.
struct SendEmail {
  std::string to;  // an address: something@something, at most 254 bytes
  std::string subject;
  std::string body;
  std::string kind;      // "trip.confirmed", "trip.cancelled", "trip.failed", "order.confirmed", ...
  std::string trip_id;   // at most one of trip_id, order_id
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

// JSON: SendEmail and Sent in the seed's camelCase (to, subject, body, kind, tripId, orderId,
// customerId; notificationId, status); Notification as the API lists it (snake_case, RFC 3339
// created_at) is the mailbox's view.
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SendEmail& s);
SendEmail tag_invoke(boost::json::value_to_tag<SendEmail>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Sent& s);
Sent tag_invoke(boost::json::value_to_tag<Sent>, const boost::json::value& v);

}  // namespace orderd::notifications
