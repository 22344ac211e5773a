// The outbox's pull API (CommerceApi, commerce_api.hpp): GET /api/v1/events, oldest first, and
// GET /api/v1/events/stream, the same events as Server-Sent Events, live. Only durable events
// are served (scans read committed rows), so a consumer never sees an event a crash could take
// back; `after` is the last event id it has, and `next_after` (an SSE `id`) where to go on.
#include "commerce/api/commerce_api.hpp"
#include "commerce/api/event_query.hpp"
#include "commerce/api/event_stream.hpp"
#include "commerce/events/event_feed.hpp"
#include "commerce/events/outbox.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

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
  EventQuery query = read_event_query(request, false, violations);
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  read_event_page(
      invoker_.engine(), query.after, query.filter, limit,
      [&request, respond = std::move(respond)](std::optional<EventPage> page) mutable {
        if (!page)
          return respond(request.error({ErrorCode::kUnavailable, "the store could not be read"}));
        std::string body = "{\"data\":[";
        for (std::size_t i = 0; i < page->events.size(); ++i) {
          if (i) body += ',';
          body += page->events[i].value;
        }
        body += "],\"has_more\":";
        body += page->has_more ? "true" : "false";
        body += ",\"next_after\":";
        if (page->next_after.empty())
          body += "null";
        else
          json::append_string(body, page->next_after);
        body += "}";
        respond(http::Response{200, std::move(body), {}, "application/json"});
      });
}

void CommerceApi::stream_events(const Request& request, Responder respond) {
  Violations violations;
  EventQuery query = read_event_query(request, true, violations);
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));
  if (!query.from_now) return open_event_stream(request, std::move(query), std::move(respond));
  // "now": after every event decided before this request. Those not durable yet are within one
  // group commit, so wait for it. (EventFeed::durable_through() would not do: it notes what it
  // waited for, so it can trail the store by a batch, and the stream would repeat events that
  // were durable before the request.)
  const std::uint64_t through = event_feed_.emitted_through();
  invoker_.after_durable(
      [this, &request, query = std::move(query), through, respond = std::move(respond)]() mutable {
        query.after = through == 0 ? "" : Outbox::event_id(through);
        open_event_stream(request, std::move(query), std::move(respond));
      });
}

void CommerceApi::open_event_stream(const Request& request, EventQuery query, Responder respond) {
  const auto& options = invoker_.options();
  if (*open_streams_ >= options.max_event_streams) {
    http::ApiError full{ErrorCode::kUnavailable,
                        "orderd serves at most " + std::to_string(options.max_event_streams) +
                            " event streams at once (--max-event-streams)",
                        "too_many_event_streams"};
    full.headers.emplace_back("retry-after", "1");
    return respond(request.error(full));
  }
  auto stream = std::make_shared<EventStream>(invoker_.engine(), event_feed_, scheduler_,
                                              std::move(query.after), std::move(query.filter),
                                              options.sse_heartbeat_ms, open_streams_);
  http::Response r{200, EventStream::preamble(), {}, "text/event-stream"};
  // Nothing between the client and orderd may hold the events back or serve them again.
  r.headers.emplace_back("cache-control", "no-cache");
  r.headers.emplace_back("x-accel-buffering", "no");
  r.stream = std::move(stream);
  respond(std::move(r));
}

}  // namespace orderd::commerce::api
