// The outbox's pull API (CommerceApi, commerce_api.hpp): GET /api/v1/events, oldest first.
// Only durable events are served (scans read committed rows), so a consumer never sees an event
// a crash could take back; `after` is the last event id it has, and `next_after` where to go on.
#include "commerce/api/commerce_api.hpp"
#include "commerce/events/outbox.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;
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

void CommerceApi::list_events(const Request& request, Responder respond) {
  Violations violations;
  std::size_t limit = kDefaultLimit;
  if (const auto* text = request.query_param("limit")) {
    char* end = nullptr;
    const long n = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || n < 1 || n > static_cast<long>(kMaxLimit))
      violations.push_back({"limit", "out_of_range", "limit must be between 1 and 1000"});
    else
      limit = static_cast<std::size_t>(n);
  }
  std::string after;
  if (const auto* cursor = request.query_param("after")) {
    after = *cursor;
    if (!Outbox::sequence_of(after))
      violations.push_back({"after", "invalid_cursor", "after is an event id (evt_...)"});
  }
  std::vector<std::string> filters;
  if (const auto* type = request.query_param("type")) filters.push_back(member("type", *type));
  if (const auto* subject = request.query_param("subject"))
    filters.push_back(member("subject", *subject));
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  const std::size_t scan = filters.empty() ? limit + 1 : kFilteredScan;
  store::RowRange range{Outbox::kTable, after.empty() ? "" : after + '\0', "", scan, false};
  invoker_.engine().scan_rows(
      std::move(range),
      [&request, limit, scan, filters = std::move(filters),
       respond = std::move(respond)](std::optional<std::vector<store::Row>> rows) mutable {
        if (!rows)
          return respond(request.error({ErrorCode::kUnavailable, "the store could not be read"}));
        std::string body = "{\"data\":[";
        std::size_t taken = 0;
        bool has_more = false;
        std::string next_after;
        for (const auto& row : *rows) {
          bool match = true;
          for (const auto& f : filters) match = match && row.value.find(f) != std::string::npos;
          if (!match) {
            next_after = row.key;
            continue;
          }
          if (taken == limit) {
            has_more = true;
            break;
          }
          if (taken++) body += ',';
          body += row.value;
          next_after = row.key;
        }
        // A filtered page that looked through all it could may have more beyond it.
        if (!filters.empty() && rows->size() == scan) has_more = true;
        body += "],\"has_more\":";
        body += has_more ? "true" : "false";
        body += ",\"next_after\":";
        if (next_after.empty())
          body += "null";
        else
          json::append_string(body, next_after);
        body += "}";
        respond(http::Response{200, std::move(body), {}, "application/json"});
      });
}

}  // namespace orderd::commerce::api
