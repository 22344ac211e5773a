#include "ingress/invocation_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <vector>

#include "common/json_fields.hpp"
#include "common/json_writer.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"

namespace orderd::http {
namespace {

struct Target {
  std::vector<std::string_view> segments;
  std::string_view query;
};

Target split(std::string_view target) {
  Target t;
  auto q = target.find('?');
  if (q != std::string_view::npos) {
    t.query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    auto end = target.find('/');
    t.segments.push_back(target.substr(0, end));
    target = end == std::string_view::npos ? std::string_view{} : target.substr(end);
  }
  return t;
}

bool has_query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == name) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

unsigned status_for(std::uint16_t code) {
  return code >= 400 && code <= 599 ? code : 500;
}

Response outcome_response(const InvocationOutcome& outcome) {
  Response r = outcome.ok ? Response{200, outcome.body, {}, "application/json"}
                          : error_response(status_for(outcome.code), outcome.body);
  r.headers.emplace_back("x-restate-id", outcome.invocation_id);
  return r;
}

}  // namespace

void InvocationRoutes::handle(Request request, Responder respond) {
  Target t = split(request.target);
  const auto& s = t.segments;
  const bool get = request.method == "GET";

  if (s.size() == 1 && s[0] == "health") {
    if (!get) return respond(error_response(405, "use GET"));
    return respond(Response{200, "{\"status\":\"ok\"}", {}, "application/json"});
  }
  if (!s.empty() && s[0] == "restate") {
    if (s.size() == 4 && s[1] == "invocation" && (s[3] == "attach" || s[3] == "output")) {
      if (!get) return respond(error_response(405, "use GET"));
      return lookup(s[2], s[3], std::move(respond));
    }
    return respond(error_response(404, "not found: " + std::string(request.target)));
  }
  if (s.size() == 2 || (s.size() == 3 && s[2] == "send")) {
    if (request.method != "POST") return respond(error_response(405, "invoke with POST"));
    return invoke(request, s[0], s[1], s.size() == 3, std::move(respond));
  }
  if (s.size() == 3 || (s.size() == 4 && s[3] == "send")) {
    return respond(error_response(
        404, "no keyed service '" + std::string(s[0]) + "': keyed handlers are not registered"));
  }
  respond(error_response(404, "not found: " + std::string(request.target)));
}

void InvocationRoutes::invoke(const Request& request, std::string_view service,
                              std::string_view handler, bool send, Responder respond) {
  const HandlerEntry* entry = registry_.find(service, handler);
  if (!entry) {
    if (!registry_.has_service(service))
      return respond(error_response(404, "service '" + std::string(service) + "' not found"));
    return respond(error_response(404, "handler '" + std::string(handler) +
                                           "' not found on service '" + std::string(service) +
                                           "'"));
  }
  Target t = split(request.target);
  if (has_query_param(t.query, "delay")) {
    return respond(error_response(400, send ? "delayed sends are not supported yet"
                                            : "the delay is supported only with sends"));
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

  std::string canonical = json::dump(input);
  if (send) {
    auto shared = std::make_shared<Responder>(std::move(respond));
    auto accepted = [shared](const std::string& id) {
      Response r{
          202, "{\"invocationId\":\"" + id + "\",\"status\":\"Accepted\"}", {}, "application/json"};
      r.headers.emplace_back("x-restate-id", id);
      (*shared)(std::move(r));
    };
    engine_.invoke(service, handler, std::move(canonical), {}, std::move(accepted));
    return;
  }
  auto done = [respond = std::move(respond)](InvocationOutcome outcome) mutable {
    respond(outcome_response(outcome));
  };
  engine_.invoke(service, handler, std::move(canonical), std::move(done));
}

void InvocationRoutes::lookup(std::string_view invocation_id, std::string_view what,
                              Responder respond) {
  std::string id(invocation_id);
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
