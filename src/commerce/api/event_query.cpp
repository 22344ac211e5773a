#include "commerce/api/event_query.hpp"

#include <boost/json/parse.hpp>
#include <charconv>

#include "commerce/api/customer_scope.hpp"
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
    query.filter.members.push_back(member("type", *type));
  if (const auto* subject = request.query_param("subject"))
    query.filter.members.push_back(member("subject", *subject));
  query.filter.user = confined_user(request);
  return query;
}

std::optional<std::int64_t> order_event_user(std::string_view event_json) {
  if (Outbox::type_of(event_json).substr(0, 6) != "order.") return std::nullopt;
  // Fast: Outbox::emit writes the members before `data` as scalars, so the first `,"data":` is
  // the event's own (a string's quote is escaped, never after a comma); and order_view_json
  // starts {"id":"…","user_id":N. Anything else is read the slow way.
  constexpr std::string_view kData = ",\"data\":{\"id\":\"";
  constexpr std::string_view kUser = ",\"user_id\":";
  if (auto at = event_json.find(kData); at != std::string_view::npos) {
    std::size_t i = at + kData.size();
    while (i < event_json.size() && event_json[i] != '"') i += event_json[i] == '\\' ? 2 : 1;
    if (i < event_json.size() && event_json.substr(i + 1, kUser.size()) == kUser) {
      std::int64_t user = 0;
      const char* from = event_json.data() + i + 1 + kUser.size();
      const char* end = event_json.data() + event_json.size();
      auto [stop, ec] = std::from_chars(from, end, user);
      if (ec == std::errc{} && stop != from && stop < end && (*stop == ',' || *stop == '}'))
        return user;
    }
  }
  boost::system::error_code ec;
  const boost::json::value event = boost::json::parse(event_json, ec);
  if (ec || !event.is_object()) return std::nullopt;
  const auto* data = event.as_object().if_contains("data");
  const auto* user = data && data->is_object() ? data->as_object().if_contains("user_id") : nullptr;
  if (!user || !user->is_int64()) return std::nullopt;
  return user->get_int64();
}

bool EventFilter::matches(std::string_view event_json) const {
  for (const auto& m : members)
    if (event_json.find(m) == std::string_view::npos) return false;
  return !user || order_event_user(event_json) == user;
}

void read_event_page(Engine& engine, const std::string& after, const EventFilter& filter,
                     std::size_t limit, EventPageDone done) {
  const bool filtered = !filter.empty();
  const std::size_t scan = filtered ? kFilteredScan : limit + 1;
  store::RowRange range{Outbox::kTable, after.empty() ? "" : after + '\0', "", scan, false};
  engine.scan_rows(std::move(range), [limit, scan, filter, filtered, done = std::move(done)](
                                         std::optional<std::vector<store::Row>> rows) mutable {
    if (!rows) return done(std::nullopt);
    EventPage page;
    for (auto& row : *rows) {
      if (!filter.matches(row.value)) {
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
    if (filtered && rows->size() == scan) page.has_more = true;
    done(std::move(page));
  });
}

}  // namespace orderd::commerce::api
