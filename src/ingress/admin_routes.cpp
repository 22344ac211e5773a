#include "ingress/admin_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "common/durations.hpp"
#include "common/error.hpp"
#include "common/ids.hpp"
#include "common/json_writer.hpp"
#include "common/numbers.hpp"
#include "engine/engine.hpp"
#include "ingress/error_rendering.hpp"

namespace orderd::http {
namespace {

using store::EntryKind;
using store::InvocationRecord;
using store::InvocationStatus;

constexpr std::size_t kMaxPage = 1000;

Response json_response(unsigned status, const boost::json::value& body) {
  return Response{status, json::dump(body), {}, "application/json"};
}

// Stored JSON, parsed back so the answer nests it instead of quoting it.
boost::json::value stored_json(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return ec ? boost::json::value(text) : v;
}

std::optional<InvocationStatus> parse_status(std::string_view s) {
  if (s == "running") return InvocationStatus::kRunning;
  if (s == "paused") return InvocationStatus::kPaused;
  if (s == "succeeded") return InvocationStatus::kSucceeded;
  if (s == "failed") return InvocationStatus::kFailed;
  return std::nullopt;
}

boost::json::object summary(const InvocationRecord& r) {
  boost::json::object o{{"id", r.id},
                        {"service", r.service},
                        {"handler", r.handler},
                        {"status", store::to_string(r.status)},
                        {"attempts", r.attempts},
                        {"createdAt", durations::format_rfc3339(r.created_at_ms)}};
  if (r.completed_at_ms > 0) o["completedAt"] = durations::format_rfc3339(r.completed_at_ms);
  if (r.execute_at_ms > 0) o["executeAt"] = durations::format_rfc3339(r.execute_at_ms);
  if (!r.parent_id.empty()) o["parentId"] = r.parent_id;
  if (!r.idempotency_key.empty()) o["idempotencyKey"] = r.idempotency_key;
  if (!r.object_key.empty()) o["key"] = r.object_key;
  // Always present, null for an anonymous caller or a call without trace context: who started
  // the work and under which trace, as recorded with it (a child has its parent's).
  o["principal"] =
      r.principal.empty() ? boost::json::value(nullptr) : boost::json::value(r.principal);
  o["traceparent"] =
      r.traceparent.empty() ? boost::json::value(nullptr) : boost::json::value(r.traceparent);
  if (r.status == InvocationStatus::kPaused) o["reason"] = r.output;
  return o;
}

// The outcome of a record or step: "result" on success, "error" {code, message} on failure.
void put_outcome(boost::json::object& o, bool failed, std::uint16_t code, const std::string& v) {
  if (!failed) {
    o["result"] = stored_json(v);
    return;
  }
  Error e = Error::decode(code, v);
  boost::json::object error{{"code", code},
                            {"message", e.message},
                            {"category", to_string(e.code)},
                            {"reason", e.reason_or_category()}};
  if (!e.details.empty()) error["details"] = stored_json(e.details);
  o["error"] = std::move(error);
}

boost::json::object journal_entry(const store::JournalEntry& e, const InvocationDetails& d) {
  boost::json::object o{{"index", e.index},
                        {"kind", store::to_string(e.kind)},
                        {"startedAt", durations::format_rfc3339(e.recorded_at_ms)}};
  if (!e.name.empty()) o["name"] = e.name;
  switch (e.kind) {
    case EntryKind::kCall: {
      o["target"] = e.name;
      o["invocationId"] = e.payload;
      for (const auto& child : d.children) {
        if (child.id != e.payload) continue;
        o["status"] = store::to_string(child.status);
        o["attempts"] = child.attempts;
        if (store::is_finished(child.status)) {
          o["endedAt"] = durations::format_rfc3339(child.completed_at_ms);
          put_outcome(o, child.status == InvocationStatus::kFailed, child.error_code, child.output);
        }
      }
      break;
    }
    case EntryKind::kRun:
    case EntryKind::kTransact:
      o["endedAt"] = o["startedAt"];
      put_outcome(o, e.failed, e.error_code, e.payload);
      break;
    case EntryKind::kSleep:
      if (auto wake_at = parse_int64(e.payload)) o["endedAt"] = durations::format_rfc3339(*wake_at);
      break;
    case EntryKind::kWait:
      if (auto step = parse_int64(e.payload)) o["completedStep"] = *step;
      break;
    case EntryKind::kCancel:
    case EntryKind::kEffect:  // its outcome is a completion, like an awakeable's
      break;
    case EntryKind::kAwakeable:
      o["awakeableId"] = ids::awakeable_id(d.record.id, e.index);
      break;
    case EntryKind::kGetState:
    case EntryKind::kSetState:
      if (!e.failed) o["value"] = stored_json(e.payload);
      break;
    case EntryKind::kClearState:
    case EntryKind::kGetPromise:  // its outcome lives with the workflow's promise
      break;
    case EntryKind::kPeekPromise:
      if (!e.failed || e.error_code != 0) put_outcome(o, e.failed, e.error_code, e.payload);
      break;
    case EntryKind::kCompletePromise:
      put_outcome(o, e.error_code != 0, e.error_code, e.payload);
      o["alreadyCompleted"] = e.failed;
      break;
  }
  return o;
}

}  // namespace

AdminRoutes::AdminRoutes(Engine& engine, ChainOptions chain)
    : engine_(engine), service_(RouteFamily::kRestate, std::move(chain)) {
  Router& router = service_.router();
  auto answer = [this](Response (AdminRoutes::*route)(const RouteRequest&)) -> RouteHandler {
    return [this, route](const RouteRequest& request, Responder respond) {
      respond((this->*route)(request));
    };
  };
  // The admin listener is for admins (R2), but for its liveness and readiness.
  auto health = [](const RouteRequest&, Responder respond) {
    respond(json_response(200, {{"status", "ok"}}));
  };
  router.add(Method::kGet, "/health", health, RouteFamily::kRestate, access::anonymous());
  router.add(Method::kGet, "/ready", health, RouteFamily::kRestate, access::anonymous());
  router.add(Method::kGet, "/invocations", answer(&AdminRoutes::list), RouteFamily::kRestate,
             access::admin("admin"));
  router.add(Method::kGet, "/invocations/{id}", answer(&AdminRoutes::describe),
             RouteFamily::kRestate, access::admin("admin"));
  auto control = [this](const RouteRequest& request, Responder respond) {
    this->control(request, std::move(respond));
  };
  router.add(Method::kPatch, "/invocations/{id}/{action}", control, RouteFamily::kRestate,
             access::admin("admin"));
}

Response AdminRoutes::list(const RouteRequest& request) {
  auto invalid = [&](std::string message) {
    return request.error({ErrorCode::kInvalidArgument, std::move(message)});
  };
  store::ListQuery q;
  if (const std::string* status = request.query_param("status"); status && !status->empty()) {
    q.status = parse_status(*status);
    if (!q.status) return invalid("status must be running, paused, succeeded or failed");
  }
  if (const std::string* service = request.query_param("service")) q.service = *service;
  if (const std::string* cursor = request.query_param("cursor")) q.before_id = *cursor;
  if (const std::string* limit = request.query_param("limit")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc{} || end != limit->data() + limit->size() || n < 1 || n > kMaxPage)
      return invalid("limit must be a whole number from 1 to 1000");
    q.limit = n;
  }
  auto page = engine_.list(q);
  boost::json::array items;
  for (const auto& r : page) items.push_back(summary(r));
  boost::json::value next = nullptr;
  if (page.size() == q.limit) next = page.back().id;
  return json_response(200, {{"invocations", std::move(items)}, {"nextCursor", next}});
}

Response AdminRoutes::describe(const RouteRequest& request) {
  auto details = engine_.describe(*request.param("id"));
  if (!details) return request.error({ErrorCode::kNotFound, "invocation not found"});
  const auto& r = details->record;
  boost::json::object o = summary(r);
  o["input"] = stored_json(r.input);
  if (store::is_finished(r.status))
    put_outcome(o, r.status == InvocationStatus::kFailed, r.error_code, r.output);
  boost::json::array journal;
  for (const auto& e : details->journal) journal.push_back(journal_entry(e, *details));
  o["journal"] = std::move(journal);
  return json_response(200, o);
}

// A cancel is answered once it is durable: a crash after the answer cannot lose it, and a
// repeat (journaled once, Engine::cancel) is answered the same way.
void AdminRoutes::control(const RouteRequest& request, Responder respond) {
  const std::string& id = *request.param("id");
  const std::string& action = *request.param("action");
  auto accepted = json_response(202, {{"invocationId", id}, {"action", action}});
  Engine::Control result;
  Error refusal;
  if (action == "kill") {
    result = engine_.kill(id);
  } else if (action == "pause") {
    result = engine_.pause(id);
  } else if (action == "resume") {
    result = engine_.resume(id);
  } else if (action == "purge") {
    result = engine_.purge(id, &refusal);
  } else if (action == "cancel") {
    auto shared = std::make_shared<Responder>(std::move(respond));
    auto durable = [shared, accepted]() mutable { (*shared)(std::move(accepted)); };
    result = engine_.cancel(id, std::move(durable));
    if (result == Engine::Control::kDone) return;
    return (*shared)(refused(request, action, result, refusal));
  } else {
    return respond(request.error({ErrorCode::kNotFound, "unknown action '" + action +
                                                            "': use cancel, kill, pause, resume "
                                                            "or purge"}));
  }
  if (result == Engine::Control::kDone) return respond(std::move(accepted));
  respond(refused(request, action, result, refusal));
}

Response AdminRoutes::refused(const RouteRequest& request, const std::string& action,
                              Engine::Control result, const Error& refusal) {
  const std::string& id = *request.param("id");
  switch (result) {
    case Engine::Control::kNotFound:
      return request.error({ErrorCode::kNotFound, "invocation not found"});
    case Engine::Control::kRefused:
      // A domain's purge guard: 409 with its stable reason and message. As problem+json, the
      // one admin answer that does not fit Restate's {code, message}: the reason is what an
      // operator's tooling matches on.
      return render_problem(
          {ErrorCode::kConflict, refusal.message, std::string(refusal.reason_or_category())},
          request.request_id);
    case Engine::Control::kWrongState:
    case Engine::Control::kDone:
      break;
  }
  auto details = engine_.describe(id);
  std::string state = details ? store::to_string(details->record.status) : "gone";
  return request.error(
      {ErrorCode::kConflict, "cannot " + action + " an invocation that is " + state});
}

}  // namespace orderd::http
