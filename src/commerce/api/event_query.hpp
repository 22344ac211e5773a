#pragma once
// What GET /api/v1/events and GET /api/v1/events/stream share: reading the cursor and the
// filters, and reading one page of the outbox after the cursor. Only durable events are read
// (Engine::scan_rows reads committed rows), so nobody sees an event a crash could take back.
#include <cstddef>
#include <optional>
#include <string>
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

struct EventQuery {
  std::string after;                 // the last event id the consumer has; empty: the beginning
  bool from_now = false;             // after=now (the stream): from the outbox's current end
  std::vector<std::string> filters;  // members every event served contains (type, subject)
};

// `after`, `type` and `subject`. `live` (the stream) also takes after=now, and the
// Last-Event-ID header, which wins over `after`: that is how an EventSource resumes.
EventQuery read_event_query(const http::RouteRequest& request, bool live, Violations& violations);

struct EventPage {
  std::vector<store::Row> events;  // key: the event id; value: the event's JSON; oldest first
  bool has_more = false;           // more may follow what the page looked through
  std::string next_after;          // the last event the page accounted for; empty: none
};
using EventPageDone = UniqueFunction<void(std::optional<EventPage>)>;

// Up to `limit` events after `after` (an event id, or "" for the beginning) that match every
// filter, in `done` on the engine thread (nullopt: the store could not be read). With filters,
// a page looks through at most 5,000 events, so it can come back short with has_more set;
// next_after then skips what it looked through.
void read_event_page(Engine& engine, const std::string& after,
                     const std::vector<std::string>& filters, std::size_t limit,
                     EventPageDone done);

}  // namespace orderd::commerce::api
