#pragma once
// What GET /api/v1/events and GET /api/v1/events/stream share: reading the cursor and the
// filters, and reading one page of the outbox after the cursor. Only durable events are read
// (Engine::scan_rows reads committed rows), so nobody sees an event a crash could take back.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/validation.hpp"
#include "common/unique_function.hpp"
#include "store/rows.hpp"

namespace orderd {
class Engine;
}
namespace orderd::http {
class RouteRequest;
}

namespace orderd::commerce::api {

// Which events a consumer is served.
struct EventFilter {
  std::vector<std::string> members;  // members every event served contains (type, subject)
  // A customer's (customer_scope.hpp, C3): only the events of this user's orders.
  std::optional<std::int64_t> user;

  bool empty() const { return members.empty() && !user; }
  bool matches(std::string_view event_json) const;
};

struct EventQuery {
  std::string after;      // the last event id the consumer has; empty: the beginning
  bool from_now = false;  // after=now (the stream): from the outbox's current end
  EventFilter filter;
};

// `after`, `type` and `subject`, and the caller's confinement (a customer's user). `live` (the
// stream) also takes after=now, and the Last-Event-ID header, which wins over `after`: that is
// how an EventSource resumes.
EventQuery read_event_query(const http::RouteRequest& request, bool live, Violations& violations);

// The user of an order's event (type order.*, data an order: its user_id); nullopt for every
// other event (stock and product events are no user's).
std::optional<std::int64_t> order_event_user(std::string_view event_json);

struct EventPage {
  std::vector<store::Row> events;  // key: the event id; value: the event's JSON; oldest first
  bool has_more = false;           // more may follow what the page looked through
  std::string next_after;          // the last event the page accounted for; empty: none
};
using EventPageDone = UniqueFunction<void(std::optional<EventPage>)>;

// Up to `limit` events after `after` (an event id, or "" for the beginning) that `filter`
// matches, in `done` on the engine thread (nullopt: the store could not be read). The filter is
// applied in the scan: a filtered page is full unless it looked through 5,000 events first; it
// then comes back short with has_more set, and next_after skips what it looked through.
void read_event_page(Engine& engine, const std::string& after, const EventFilter& filter,
                     std::size_t limit, EventPageDone done);

}  // namespace orderd::commerce::api
