#include "ingress/invocation_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <optional>
#include <vector>

#include "common/durations.hpp"
#include "common/json_fields.hpp"
#include "common/json_writer.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "ingress/http_target.hpp"

namespace orderd::http {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;

unsigned status_for(std::uint16_t code) {
  return code >= 400 && code <= 599 ? code : 500;
}

Response outcome_response(const InvocationOutcome& outcome) {
  Response r = outcome.ok ? Response{200, outcome.body, {}, "application/json"}
                          : error_response(status_for(outcome.code), outcome.body);
  r.headers.emplace_back("x-restate-id", outcome.invocation_id);
  if (outcome.idempotency_expires_at_ms > 0) {
    r.headers.emplace_back("idempotency-expires",
                           durations::format_rfc3339(outcome.idempotency_expires_at_ms));
  }
  return r;
}

Response accepted_response(const std::string& id, bool previously, std::int64_t execute_at_ms) {
  std::string body = "{\"invocationId\":\"" + id + "\",\"status\":\"" +
                     (previously ? "PreviouslyAccepted" : "Accepted") + "\"";
  if (execute_at_ms > 0)
    body += ",\"executionTime\":\"" + durations::format_rfc3339(execute_at_ms) + "\"";
  body += "}";
  Response r{202, std::move(body), {}, "application/json"};
  r.headers.emplace_back("x-restate-id", id);
  return r;
}

}  // namespace

void InvocationRoutes::handle(Request request, Responder respond) {
  Target t = split_target(request.target);
  const auto& s = t.segments;
  const bool get = request.method == "GET";
  const bool lookup_now = get && !s.empty() && s.back() == "output";
  if (draining_ && !lookup_now && !(s.size() == 1 && s[0] == "health")) {
    Response closing = error_response(503, "orderd is shutting down; retry against its restart");
    closing.headers.emplace_back("retry-after", "1");
    return respond(std::move(closing));
  }

  if (s.size() == 1 && s[0] == "health") {
    if (!get) return respond(error_response(405, "use GET"));
    return respond(Response{200, "{\"status\":\"ok\"}", {}, "application/json"});
  }
  if (!s.empty() && s[0] == "restate") {
    const bool result_route =
        s.size() >= 4 && s[1] == "invocation" && (s.back() == "attach" || s.back() == "output");
    if (result_route && !get) return respond(error_response(405, "use GET"));
    if (result_route && s.size() == 4) return lookup(std::string(s[2]), s[3], std::move(respond));
    if (s.size() == 4 && s[1] == "awakeables" && (s[3] == "resolve" || s[3] == "reject")) {
      if (request.method != "POST") return respond(error_response(405, "use POST"));
      return complete_awakeable(request, std::string(s[2]), s[3] == "reject", std::move(respond));
    }
    if (s.size() == 5 && s[1] == "workflow" && (s[4] == "attach" || s[4] == "output")) {
      if (!get) return respond(error_response(405, "use GET"));
      return workflow_lookup(s[2], percent_decode(s[3]), s[4], std::move(respond));
    }
    if (result_route && (s.size() == 6 || s.size() == 7)) {
      // /restate/invocation/{Service}[/{key}]/{handler}/{idempotencyKey}/attach|output
      std::string target = std::string(s[2]) + "/" + percent_decode(s[3]);
      if (s.size() == 7) target += "/" + std::string(s[4]);
      auto id = engine_.find_idempotent(target, percent_decode(s[s.size() - 2]));
      if (!id) return respond(error_response(404, "invocation not found"));
      return lookup(*id, s.back(), std::move(respond));
    }
    return respond(error_response(404, "not found: " + std::string(request.target)));
  }
  // /{Service}/{handler}[/send], or /{Service}/{key}/{handler}[/send] for virtual objects. A
  // three-segment path ending in "send" is a send when the first two name a plain handler.
  const bool plain_send = s.size() == 3 && s[2] == "send" && registry_.find(s[0], s[1]) &&
                          !registry_.find(s[0], s[1])->keyed();
  if (s.size() == 2 || plain_send || s.size() == 3 || (s.size() == 4 && s[3] == "send")) {
    if (request.method != "POST") return respond(error_response(405, "invoke with POST"));
    if (s.size() == 2 || plain_send)
      return invoke(request, s[0], s[1], "", plain_send, std::move(respond));
    return invoke(request, s[0], s[2], percent_decode(s[1]), s.size() == 4, std::move(respond));
  }
  respond(error_response(404, "not found: " + std::string(request.target)));
}

void InvocationRoutes::invoke(const Request& request, std::string_view service,
                              std::string_view handler, std::string object_key, bool send,
                              Responder respond) {
  const HandlerEntry* entry = registry_.find(service, handler);
  if (!entry) {
    if (!registry_.has_service(service))
      return respond(error_response(404, "service '" + std::string(service) + "' not found"));
    return respond(error_response(404, "handler '" + std::string(handler) +
                                           "' not found on service '" + std::string(service) +
                                           "'"));
  }
  if (entry->keyed() && object_key.empty()) {
    return respond(error_response(400, "handler '" + std::string(handler) +
                                           "' of virtual object '" + std::string(service) +
                                           "' needs a key: POST /" + std::string(service) +
                                           "/{key}/" + std::string(handler)));
  }
  if (!entry->keyed() && !object_key.empty()) {
    return respond(error_response(
        400, "service '" + std::string(service) + "' is not a virtual object: it takes no key"));
  }
  // Parked invocations (waiting on a timer, an awakeable, a promise) cost no CPU and little
  // memory: they have a bound of their own.
  const std::size_t active = engine_.in_flight() - engine_.parked();
  if (active >= options_.max_in_flight || engine_.parked() >= options_.max_parked) {
    Response busy =
        error_response(503, "overloaded: " + std::to_string(active) + " invocations active and " +
                                std::to_string(engine_.parked()) + " parked; retry later");
    busy.headers.emplace_back("retry-after", "1");
    return respond(std::move(busy));
  }

  InvokeRequest invoke_request{std::string(service), std::string(handler), {}, {}, 0, object_key};
  Target t = split_target(request.target);
  if (auto delay = query_param(t.query, "delay")) {
    if (!send) return respond(error_response(400, "the delay is supported only with sends"));
    auto ms = durations::parse_ms(*delay);
    if (!ms) {
      return respond(error_response(
          400, "delay '" + std::string(*delay) + "' is not a duration like 10s, 500ms or PT10S"));
    }
    invoke_request.delay_ms = *ms;
  }
  if (const std::string* key = request.header("idempotency-key")) {
    if (entry->kind == HandlerEntry::Kind::kWorkflowRun) {
      return respond(error_response(400, "idempotency-key is not supported on workflow '" +
                                             std::string(service) + "''s " + entry->handler +
                                             " handler: the workflow id already deduplicates"));
    }
    if (key->empty() || key->size() > kMaxIdempotencyKey) {
      return respond(error_response(400, "idempotency-key must have 1 to " +
                                             std::to_string(kMaxIdempotencyKey) + " characters"));
    }
    invoke_request.idempotency_key = *key;
  }

  boost::json::value input;
  if (!request.body.empty()) {
    boost::system::error_code ec;
    input = boost::json::parse(request.body, ec);
    if (ec) return respond(error_response(400, "malformed JSON body: " + ec.message()));
  }
  try {
    entry->validate(input);
  } catch (const json::InvalidField& e) {
    return respond(error_response(400, e.what()));
  } catch (const std::exception& e) {
    return respond(error_response(400, std::string("invalid request: ") + e.what()));
  }
  // Canonical form: the same request sent with other spacing is the same input.
  invoke_request.input = json::dump(input);

  auto shared = std::make_shared<Responder>(std::move(respond));
  InvokeResult result;
  if (send) {
    // Set once invoke returns, read when the acceptance becomes durable (always later).
    auto previously = std::make_shared<bool>(false);
    auto execute_at = std::make_shared<std::int64_t>(0);
    auto accepted = [shared, previously, execute_at](const std::string& id) {
      (*shared)(accepted_response(id, *previously, *execute_at));
    };
    result = engine_.invoke(std::move(invoke_request), {}, std::move(accepted));
    *previously = result.disposition == InvokeDisposition::kExisting;
    *execute_at = result.execute_at_ms;
  } else {
    auto done = [shared](InvocationOutcome outcome) { (*shared)(outcome_response(outcome)); };
    result = engine_.invoke(std::move(invoke_request), std::move(done));
  }
  std::optional<Response> conflict;
  if (result.disposition == InvokeDisposition::kAlreadyInvoked) {
    conflict =
        error_response(409, "the workflow method was already invoked: " + std::string(service) +
                                "/" + std::string(handler) + " for key '" + object_key + "'");
  } else if (result.disposition == InvokeDisposition::kKeyReusedWithOtherInput) {
    conflict = error_response(
        422, "idempotency key was already used with a different request body (invocation " +
                 result.invocation_id + ")");
  }
  if (conflict) {
    conflict->headers.emplace_back("x-restate-id", result.invocation_id);
    // Once the invocation named is durable: a crash before would make the answer a lie, and a
    // client told "already done" would not retry.
    auto answer = [shared, response = std::move(*conflict)]() mutable {
      (*shared)(std::move(response));
    };
    engine_.after_durable(std::move(answer));
  }
}

// resolve: the body is the JSON value the awakeable yields. reject: the body is the reason, as
// text or as {"message": "...", "code": N}; the awaiting handler gets a TerminalError.
void InvocationRoutes::complete_awakeable(const Request& request, const std::string& id,
                                          bool reject, Responder respond) {
  std::string value;
  std::uint16_t code = 0;
  if (reject) {
    code = 500;
    value = request.body.empty() ? "rejected" : request.body;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(request.body, ec);
    if (!ec && parsed.is_object()) {
      const auto& o = parsed.get_object();
      if (auto* m = o.if_contains("message"); m && m->is_string()) value = m->get_string();
      if (auto* c = o.if_contains("code");
          c && c->is_int64() && c->get_int64() >= 400 && c->get_int64() <= 599)
        code = static_cast<std::uint16_t>(c->get_int64());
    }
  } else {
    boost::system::error_code ec;
    auto parsed =
        request.body.empty() ? boost::json::value() : boost::json::parse(request.body, ec);
    if (ec) return respond(error_response(400, "malformed JSON body: " + ec.message()));
    value = json::dump(parsed);
  }
  auto shared = std::make_shared<Responder>(std::move(respond));
  auto durable = [shared] {
    (*shared)(Response{202, "{\"status\":\"Accepted\"}", {}, "application/json"});
  };
  switch (engine_.complete_awakeable(id, reject, code, std::move(value), std::move(durable))) {
    case Engine::Control::kDone:
      return;
    case Engine::Control::kNotFound:
      return (*shared)(error_response(404, "awakeable not found"));
    case Engine::Control::kWrongState: {
      // Answered once the first completion is durable: a crash before would lose it, and this
      // caller, told it was done, would not retry.
      auto conflict = [shared] { (*shared)(error_response(409, "awakeable already completed")); };
      return engine_.after_durable(std::move(conflict));
    }
  }
}

// The outcome of a workflow's run, by workflow id.
void InvocationRoutes::workflow_lookup(std::string_view workflow, const std::string& key,
                                       std::string_view what, Responder respond) {
  const HandlerEntry* run = registry_.workflow_run(workflow);
  if (!run)
    return respond(error_response(404, "workflow '" + std::string(workflow) + "' not found"));
  auto id =
      engine_.find_idempotent(store::idempotency_target(run->service, key, run->handler), key);
  if (!id) return respond(error_response(404, "invocation not found"));
  lookup(*id, what, std::move(respond));
}

void InvocationRoutes::lookup(const std::string& id, std::string_view what, Responder respond) {
  if (what == "attach") {
    auto shared = std::make_shared<Responder>(std::move(respond));
    auto done = [shared](InvocationOutcome outcome) { (*shared)(outcome_response(outcome)); };
    if (!engine_.attach(id, std::move(done)))
      (*shared)(error_response(404, "invocation not found"));
    return;
  }
  InvocationOutcome outcome;
  switch (engine_.output(id, outcome)) {
    case Engine::Lookup::kUnknown:
      return respond(error_response(404, "invocation not found"));
    case Engine::Lookup::kRunning:
      return respond(error_response(470, "the invocation exists but has not completed yet"));
    case Engine::Lookup::kDone:
      return respond(outcome_response(outcome));
  }
}

}  // namespace orderd::http
