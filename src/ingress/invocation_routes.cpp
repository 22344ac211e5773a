#include "ingress/invocation_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <vector>

#include "common/durations.hpp"
#include "common/json_fields.hpp"
#include "common/json_writer.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "ingress/http_target.hpp"
#include "ingress/workflow_confinement.hpp"

namespace orderd::http {
namespace {

// Keys are printable: a control byte could forge another caller's scope (engine.cpp).
bool has_control_character(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

unsigned status_for(std::uint16_t code) {
  return code >= 400 && code <= 599 ? code : 500;
}

// An invocation's failure is its outcome, answered with the handler's own code: not an error of
// the ingress, so not an ApiError.
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

// A front-door reply as Restate's routes answer it.
Response answer(const RouteRequest& request, FrontDoor::Reply reply) {
  using Kind = FrontDoor::Reply::Kind;
  switch (reply.kind) {
    case Kind::kDone:
    case Kind::kReplayed:
      return outcome_response(reply.outcome);
    case Kind::kAccepted:
      return accepted_response(reply.invocation_id, reply.previously, reply.execute_at_ms);
    case Kind::kStillRunning:
      return accepted_response(reply.invocation_id, false, 0);
    case Kind::kRefused:
      break;
  }
  if (!reply.invocation_id.empty())
    reply.refusal.headers.emplace_back("x-restate-id", reply.invocation_id);
  return request.error(reply.refusal);
}

ApiError retry_later(std::string message, const char* reason) {
  ApiError e{ErrorCode::kUnavailable, std::move(message), reason};
  e.headers.emplace_back("retry-after", "1");
  return e;
}

ApiError invalid(std::string message) {
  return ApiError{ErrorCode::kInvalidArgument, std::move(message)};
}

// Shutting down: new work is refused with 503, in every family; health and `output` lookups
// (which answer at once) still go through.
class ShutdownGate final : public Middleware {
 public:
  explicit ShutdownGate(const bool& draining) : draining_(draining) {}
  void handle(RouteRequest& request, Responder respond, Next next) override {
    const auto& s = request.segments;
    const bool lookup_now = request.method() == "GET" && !s.empty() && s.back() == "output";
    const bool health = s.size() == 1 && s[0] == "health";
    if (!draining_ || lookup_now || health) return next(request, std::move(respond));
    respond(request.error(
        retry_later("orderd is shutting down; retry against its restart", "shutting_down")));
  }

 private:
  const bool& draining_;
};

// Internal handlers (not exposed: Registry::expose) are for back-end services and admins, once
// authentication says who calls; while it is off, for nobody on the ingress.
bool reaches_internal(const auth::Caller& caller) {
  return !caller.open && (caller.has(auth::Role::kService) || caller.has(auth::Role::kAdmin));
}

// The handler `caller` may call on the ingress; nullptr for an unknown one and for an internal
// one, alike.
const HandlerEntry* reachable(const Registry& registry, const auth::Caller& caller,
                              std::string_view service, std::string_view handler) {
  if (!registry.is_public(service, handler) && !reaches_internal(caller)) return nullptr;
  return registry.find(service, handler);
}

std::vector<std::unique_ptr<Middleware>> shutdown_gate(const bool& draining) {
  std::vector<std::unique_ptr<Middleware>> stages;
  stages.push_back(std::make_unique<ShutdownGate>(draining));
  return stages;
}

}  // namespace

InvocationRoutes::InvocationRoutes(FrontDoor& front_door, const Registry& registry,
                                   ChainOptions chain)
    : front_door_(front_door),
      engine_(front_door.engine()),
      registry_(registry),
      service_(RouteFamily::kRestate, std::move(chain), shutdown_gate(draining_)) {
  Router& router = service_.router();
  router.claim("/api", RouteFamily::kApi);
  router.claim("/restate", RouteFamily::kRestate);

  router.add(
      Method::kGet, "/health",
      [this](const RouteRequest&, Responder respond) {
        // The front door's bounds as they stand: what a 503 would be about.
        std::string body =
            "{\"status\":\"ok\",\"invocations\":{\"active\":" + std::to_string(engine_.active()) +
            ",\"parked\":" + std::to_string(engine_.parked()) +
            ",\"scheduled\":" + std::to_string(engine_.scheduled()) + "}";
        for (const auto& [member, detail] : health_details_) {
          body += ',';
          json::append_string(body, member);
          body += ':';
          body += detail();
        }
        body += '}';
        respond(Response{200, std::move(body), {}, "application/json"});
      },
      RouteFamily::kRestate, access::anonymous());
  router.add(
      Method::kGet, "/ready",
      [this](const RouteRequest& request, Responder respond) {
        // Ready while it takes new work: recovered (the routes exist only after recovery) and
        // not draining.
        if (draining_)
          return respond(request.error({ErrorCode::kUnavailable, "orderd is shutting down"}));
        respond(Response{200, "{\"status\":\"ready\"}", {}, "application/json"});
      },
      RouteFamily::kRestate, access::anonymous());
  // Invocations and awakeables: customers their own invocations only (A2, lookup), services
  // and admins every one; awakeables are completed by back-end services.
  const RouteAccess lookups{RouteAccess::Exposure::kPublic,
                            auth::Role::kCustomer | auth::Role::kService, false, "read"};
  for (std::string what : {"attach", "output"}) {
    router.add(
        Method::kGet, "/restate/invocation/{id}/" + what,
        [this, what](const RouteRequest& request, Responder respond) {
          lookup(request, *request.param("id"), what, std::move(respond));
        },
        RouteFamily::kRestate, lookups);
    router.add(
        Method::kGet, "/restate/invocation/{service}/{handler}/{idempotencyKey}/" + what,
        [this, what](const RouteRequest& request, Responder respond) {
          lookup_by_key(request, false, what, std::move(respond));
        },
        RouteFamily::kRestate, lookups);
    router.add(
        Method::kGet, "/restate/invocation/{service}/{key}/{handler}/{idempotencyKey}/" + what,
        [this, what](const RouteRequest& request, Responder respond) {
          lookup_by_key(request, true, what, std::move(respond));
        },
        RouteFamily::kRestate, lookups);
    router.add(
        Method::kGet, "/restate/workflow/{workflow}/{key}/" + what,
        [this, what](const RouteRequest& request, Responder respond) {
          workflow_lookup(request, what, std::move(respond));
        },
        RouteFamily::kRestate, lookups);
  }
  // Restate's router takes both forms; its TypeScript ingress client sends only the short one.
  for (std::string prefix : {"/restate/awakeables/", "/restate/a/"}) {
    for (bool reject : {false, true}) {
      router.add(
          Method::kPost, prefix + "{id}/" + (reject ? "reject" : "resolve"),
          [this, reject](const RouteRequest& request, Responder respond) {
            complete_awakeable(request, reject, std::move(respond));
          },
          RouteFamily::kRestate, access::service("write"));
    }
  }
  // Which handlers a path reaches is the registry's to say (Registry::expose), per service or
  // per handler.
  router.set_fallback([this](const RouteRequest& request,
                             Responder respond) { invoke_by_path(request, std::move(respond)); },
                      "/{Service}/[{key}/]{handler}[/send]", access::shop("invoke"));
}

// /{Service}/{handler}[/send], or /{Service}/{key}/{handler}[/send] for virtual objects. A
// three-segment path ending in "send" is a send when the first two name a plain handler.
void InvocationRoutes::invoke_by_path(const RouteRequest& request, Responder respond) {
  const auto& s = request.segments;
  // An internal handler does not change how the path reads: it would tell it from an unknown one.
  const HandlerEntry* named =
      s.size() == 3 ? reachable(registry_, request.caller, s[0], s[1]) : nullptr;
  const bool plain_send = s.size() == 3 && s[2] == "send" && named && !named->keyed();
  if (s.size() == 2 || plain_send || s.size() == 3 || (s.size() == 4 && s[3] == "send")) {
    if (request.method() != "POST")
      return respond(request.error(method_not_allowed("invoke with POST", "POST")));
    if (s.size() == 2 || plain_send)
      return invoke(request, s[0], s[1], "", plain_send, std::move(respond));
    return invoke(request, s[0], s[2], percent_decode(s[1]), s.size() == 4, std::move(respond));
  }
  respond(request.error(ApiError{ErrorCode::kNotFound, "not found: " + request.target()}));
}

void InvocationRoutes::invoke(const RouteRequest& request, std::string_view service,
                              std::string_view handler, std::string object_key, bool send,
                              Responder respond) {
  auto fail = [&](const ApiError& error) { respond(request.error(error)); };
  // An internal handler is not there for the public ingress: the same 404 as an unknown handler
  // of its service, or as an unknown service when none of the service's handlers is public.
  const HandlerEntry* entry = reachable(registry_, request.caller, service, handler);
  if (!entry) {
    const bool service_seen = registry_.has_service(service) &&
                              (registry_.is_public(service) || reaches_internal(request.caller));
    if (!service_seen)
      return fail({ErrorCode::kNotFound, "service '" + std::string(service) + "' not found"});
    return fail({ErrorCode::kNotFound, "handler '" + std::string(handler) +
                                           "' not found on service '" + std::string(service) +
                                           "'"});
  }
  if (entry->keyed() && object_key.empty()) {
    return fail(invalid("handler '" + std::string(handler) + "' of virtual object '" +
                        std::string(service) + "' needs a key: POST /" + std::string(service) +
                        "/{key}/" + std::string(handler)));
  }
  if (!entry->keyed() && !object_key.empty()) {
    return fail(
        invalid("service '" + std::string(service) + "' is not a virtual object: it takes no key"));
  }
  boost::json::value input;
  if (!request.body().empty()) {
    boost::system::error_code ec;
    input = boost::json::parse(request.body(), ec);
    if (ec) return fail(invalid("malformed JSON body: " + ec.message()));
  }
  // W1-W3: a customer reaches only its own workflows, before anything is validated or written.
  if (auto refusal =
          confine_to_own_workflow(registry_, engine_, request.caller, *entry, object_key, input))
    return fail(*refusal);
  try {
    entry->validate(input);
  } catch (const json::InvalidField& e) {
    ApiError error{ErrorCode::kInvalidArgument, e.what(), "validation_failed"};
    error.field_errors.push_back({e.field(), "invalid", e.what()});
    return fail(error);
  } catch (const std::exception& e) {
    return fail(invalid(std::string("invalid request: ") + e.what()));
  }

  FrontDoor::Start start;
  start.invoke.service = std::string(service);
  start.invoke.handler = std::string(handler);
  start.invoke.object_key = std::move(object_key);
  // Canonical form: the same request sent with other spacing is the same input.
  start.invoke.input = json::dump(input);
  start.send = send;
  start.delay = request.query_param("delay");
  start.wait_ms = front_door_.options().request_timeout_ms;
  front_door_.start(request, std::move(start),
                    [&request, respond = std::move(respond)](FrontDoor::Reply reply) mutable {
                      respond(answer(request, std::move(reply)));
                    });
}

// resolve: the body is the JSON value the awakeable yields. reject: the body is the reason, as
// text or as {"message": "...", "code": N}; the awaiting handler gets a TerminalError.
void InvocationRoutes::complete_awakeable(const RouteRequest& request, bool reject,
                                          Responder respond) {
  const std::string& id = *request.param("id");
  const std::string& body = request.body();
  std::string value;
  std::uint16_t code = 0;
  if (reject) {
    code = 500;
    value = body.empty() ? "rejected" : body;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(body, ec);
    if (!ec && parsed.is_object()) {
      const auto& o = parsed.get_object();
      if (auto* m = o.if_contains("message"); m && m->is_string()) value = m->get_string();
      if (auto* c = o.if_contains("code");
          c && c->is_int64() && c->get_int64() >= 400 && c->get_int64() <= 599)
        code = static_cast<std::uint16_t>(c->get_int64());
    }
  } else {
    boost::system::error_code ec;
    auto parsed = body.empty() ? boost::json::value() : boost::json::parse(body, ec);
    if (ec) return respond(request.error(invalid("malformed JSON body: " + ec.message())));
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
      return (*shared)(request.error({ErrorCode::kNotFound, "awakeable not found"}));
    case Engine::Control::kRefused:  // not an answer complete_awakeable gives
    case Engine::Control::kWrongState: {
      // Answered once the first completion is durable: a crash before would lose it, and this
      // caller, told it was done, would not retry.
      auto conflict = [shared,
                       response = request.error(
                           {ErrorCode::kConflict, "awakeable already completed"})]() mutable {
        (*shared)(std::move(response));
      };
      return engine_.after_durable(std::move(conflict));
    }
  }
}

// /restate/invocation/{Service}[/{key}]/{handler}/{idempotencyKey}/attach|output, looked up
// under the caller's principal: another caller's key is not found.
void InvocationRoutes::lookup_by_key(const RouteRequest& request, bool keyed, std::string_view what,
                                     Responder respond) {
  std::string target = store::idempotency_target(*request.param("service"),
                                                 keyed ? *request.param("key") : std::string(),
                                                 *request.param("handler"));
  const std::string& key = *request.param("idempotencyKey");
  if (has_control_character(key)) {
    return respond(request.error(
        {ErrorCode::kInvalidArgument, "an idempotency key may not contain control characters"}));
  }
  auto id = engine_.find_idempotent(target, key, request.principal);
  if (!id) return respond(request.error({ErrorCode::kNotFound, "invocation not found"}));
  lookup(request, *id, what, std::move(respond));
}

// The outcome of a workflow's run, by workflow id.
void InvocationRoutes::workflow_lookup(const RouteRequest& request, std::string_view what,
                                       Responder respond) {
  const std::string& workflow = *request.param("workflow");
  const std::string& key = *request.param("key");
  const HandlerEntry* run = registry_.workflow_run(workflow);
  if (!run) {
    return respond(request.error({ErrorCode::kNotFound, "workflow '" + workflow + "' not found"}));
  }
  // A workflow id is one for every caller: its run is not scoped by principal.
  auto id =
      engine_.find_idempotent(store::idempotency_target(run->service, key, run->handler), key);
  if (!id) return respond(request.error({ErrorCode::kNotFound, "invocation not found"}));
  lookup(request, *id, what, std::move(respond));
}

bool InvocationRoutes::visible(const RouteRequest& request, const std::string& invocation_id) {
  auto origin = engine_.origin_of(invocation_id);
  if (!origin) return false;
  if (!registry_.is_public(origin->service, origin->handler) && !reaches_internal(request.caller))
    return false;
  // A2: a customer sees the invocations it started, and no other (the same 404 as none).
  return !request.caller.owns_only() || origin->principal == request.caller.principal();
}

void InvocationRoutes::lookup(const RouteRequest& request, const std::string& id,
                              std::string_view what, Responder respond) {
  if (!visible(request, id))
    return respond(request.error({ErrorCode::kNotFound, "invocation not found"}));
  if (what == "attach") {
    front_door_.attach(request, id, front_door_.options().request_timeout_ms,
                       [&request, respond = std::move(respond)](FrontDoor::Reply reply) mutable {
                         respond(answer(request, std::move(reply)));
                       });
    return;
  }
  InvocationOutcome outcome;
  switch (engine_.output(id, outcome)) {
    case Engine::Lookup::kUnknown:
      return respond(request.error({ErrorCode::kNotFound, "invocation not found"}));
    case Engine::Lookup::kRunning:
      return respond(
          request.error({ErrorCode::kNotReady, "the invocation exists but has not completed yet"}));
    case Engine::Lookup::kDone:
      return respond(outcome_response(outcome));
  }
}

}  // namespace orderd::http
