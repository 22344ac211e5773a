#include "notifications/notification_routes.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "commerce/api/api_support.hpp"
#include "engine/engine.hpp"
#include "ingress/route_request.hpp"
#include "ingress/router.hpp"
#include "notifications/mailbox.hpp"
#include "store/rows.hpp"

namespace orderd::notifications {
namespace {

using commerce::Violations;

// A filter's value: 1..max_length bytes when given.
void read_filter(const http::RouteRequest& request, const char* name, std::size_t max_length,
                 std::string& out, Violations& violations) {
  const std::string* value = request.query_param(name);
  if (!value) return;
  if (value->empty() || value->size() > max_length)
    violations.push_back(
        {name, "invalid_filter",
         std::string(name) + " must be 1 to " + std::to_string(max_length) + " bytes"});
  else
    out = *value;
}

}  // namespace

void NotificationRoutes::add_routes(http::Router& router) {
  router.add(
      http::Method::kGet, "/api/v1/notifications",
      [this](const http::RouteRequest& request, http::Responder respond) {
        list_notifications(request, std::move(respond));
      },
      http::RouteFamily::kApi, http::access::shop("read"));
}

void NotificationRoutes::list_notifications(const http::RouteRequest& request,
                                            http::Responder respond) {
  Violations violations;
  auto page = commerce::api::read_page(request, violations);
  NotificationFilter filter;
  read_filter(request, "to", SendEmailLimits::kMaxAddress, filter.to, violations);
  read_filter(request, "trip_id", SendEmailLimits::kMaxReference, filter.trip_id, violations);
  read_filter(request, "order_id", SendEmailLimits::kMaxReference, filter.order_id, violations);
  const int filters = !filter.to.empty() + !filter.trip_id.empty() + !filter.order_id.empty();
  if (filters > 1)
    violations.push_back(
        {"to", "conflicting_filters", "give at most one of to, trip_id and order_id"});
  for (const char* name : {"starting_after", "ending_before"}) {
    const std::string* cursor = request.query_param(name);
    if (cursor && !is_notification_id(*cursor))
      violations.push_back({name, "invalid_cursor", "a cursor is a notification id"});
  }
  if (!violations.empty())
    return respond(request.error(commerce::api::validation_failed(violations)));
  // A2, M2: a customer's listing scans its own prefix; everyone else's, the filter's.
  if (request.caller.owns_only()) filter.customer = request.caller.subject;

  // Newest first: ids sort by delivery time, so a reversed scan of the prefix (as the orders
  // list does).
  const Mailbox::Scan scan = Mailbox::scan_for(filter);
  const std::string prefix = scan.prefix;
  store::RowRange range = store::prefix_range(scan.table, prefix, page->limit + 1, true);
  if (prefix.empty()) range = {scan.table, "", "", page->limit + 1, true};
  const bool backwards = !page->ending_before.empty();
  if (!page->starting_after.empty()) range.to = prefix + page->starting_after;
  if (backwards) {
    range.from = prefix + page->ending_before + '\0';
    range.reverse = false;
  }
  const bool by_index = !prefix.empty();
  const std::size_t limit = page->limit;
  engine_.scan_rows(std::move(range), [this, &request, prefix, by_index, backwards, limit,
                                       respond = std::move(respond)](
                                          std::optional<std::vector<store::Row>> rows) mutable {
    if (!rows)
      return respond(request.error({ErrorCode::kUnavailable, "the store could not be read"}));
    const bool has_more = rows->size() > limit;
    if (has_more) rows->resize(limit);
    if (backwards) std::reverse(rows->begin(), rows->end());
    boost::json::array data;
    for (const auto& row : *rows) {
      std::optional<std::string> stored = row.value;
      // M1: an index row's notification is as durable as the index row itself.
      if (by_index) stored = engine_.read_row(Mailbox::kTable, row.key.substr(prefix.size()));
      if (stored) data.push_back(notification_view(Mailbox::decode(*stored)));
    }
    respond(commerce::api::json_response(200, {{"data", std::move(data)}, {"has_more", has_more}}));
  });
}

}  // namespace orderd::notifications
