#include "commerce/api/event_query.hpp"

#include "commerce/events/outbox.hpp"
#include "common/json_writer.hpp"
#include "engine/engine.hpp"
#include "ingress/route_request.hpp"

namespace orderd::commerce::api {
namespace {

// With a filter, how many events one page looks through before it answers with what it found.
constexpr std::size_t kFilteredScan = 5000;

// The member as Outbox::emit writes it: an exact match without parsing the event.
std::string member(const char* name, const std::string& value) {
  std::string fragment = ",\"";
  fragment += name;
  fragment += "\":";
  json::append_string(fragment, value);
  fragment += ",";
  return fragment;
}

}  // namespace

EventQuery read_event_query(const http::RouteRequest& request, bool live, Violations& violations) {
  EventQuery query;
  const std::string* last_event_id = live ? request.header("last-event-id") : nullptr;
  if (last_event_id) {
    query.after = *last_event_id;
    if (!Outbox::sequence_of(query.after))
      violations.push_back(
          {"Last-Event-ID", "invalid_cursor", "Last-Event-ID is an event id (evt_...)"});
  } else if (const auto* cursor = request.query_param("after")) {
    if (live && *cursor == "now") {
      query.from_now = true;
    } else {
      query.after = *cursor;
      if (!Outbox::sequence_of(query.after))
        violations.push_back(
            {"after", "invalid_cursor",
             live ? "after is an event id (evt_...) or now" : "after is an event id (evt_...)"});
    }
  }
  if (const auto* type = request.query_param("type"))
    query.filters.push_back(member("type", *type));
  if (const auto* subject = request.query_param("subject"))
    query.filters.push_back(member("subject", *subject));
  return query;
}

void read_event_page(Engine& engine, const std::string& after,
                     const std::vector<std::string>& filters, std::size_t limit,
                     EventPageDone done) {
  const std::size_t scan = filters.empty() ? limit + 1 : kFilteredScan;
  store::RowRange range{Outbox::kTable, after.empty() ? "" : after + '\0', "", scan, false};
  engine.scan_rows(std::move(range), [limit, scan, filters, done = std::move(done)](
                                         std::optional<std::vector<store::Row>> rows) mutable {
    if (!rows) return done(std::nullopt);
    EventPage page;
    for (auto& row : *rows) {
      bool match = true;
      for (const auto& f : filters) match = match && row.value.find(f) != std::string::npos;
      if (!match) {
        page.next_after = row.key;
        continue;
      }
      if (page.events.size() == limit) {
        page.has_more = true;
        break;
      }
      page.next_after = row.key;
      page.events.push_back(std::move(row));
    }
    // A filtered page that looked through all it could may have more beyond it.
    if (!filters.empty() && rows->size() == scan) page.has_more = true;
    done(std::move(page));
  });
}

}  // namespace orderd::commerce::api
