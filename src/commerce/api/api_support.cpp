#include "commerce/api/api_support.hpp"

#include <boost/json/parse.hpp>

#include "common/json_writer.hpp"
#include "engine/scheduler.hpp"

namespace orderd::commerce::api {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

http::ApiError invalid(std::string message, std::string reason = {}) {
  return http::ApiError{ErrorCode::kInvalidArgument, std::move(message), std::move(reason)};
}

}  // namespace

std::optional<boost::json::object> json_body(const http::RouteRequest& request,
                                             http::ApiError& error, bool optional) {
  if (request.body().empty() && optional) return boost::json::object{};
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request.body(), ec);
  if (ec) {
    error = invalid("the body is not valid JSON: " + ec.message(), "invalid_json");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = invalid("the body must be a JSON object", "invalid_json");
    return std::nullopt;
  }
  return std::move(body.as_object());
}

http::ApiError validation_failed(const Violations& violations) {
  http::ApiError e{ErrorCode::kInvalidArgument,
                   violations.size() == 1
                       ? violations.front().message
                       : std::to_string(violations.size()) + " fields are invalid",
                   "validation_failed"};
  for (const auto& v : violations) e.field_errors.push_back({v.field, v.code, v.message});
  return e;
}

http::ApiError api_error(const Error& error) {
  http::ApiError e{error.code, error.message, error.reason};
  if (!error.details.empty()) {
    boost::system::error_code ec;
    auto details = boost::json::parse(error.details, ec);
    if (!ec && details.is_object()) e.extra = std::move(details.as_object());
  }
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kResourceExhausted)
    e.headers.emplace_back("retry-after", "1");
  return e;
}

http::Response json_response(unsigned status, const boost::json::value& body) {
  return http::Response{status, json::dump(body), {}, "application/json"};
}

std::optional<Page> read_page(const http::RouteRequest& request, Violations& violations) {
  Page page;
  const std::size_t before = violations.size();
  if (const auto* limit = request.query_param("limit")) {
    char* end = nullptr;
    const long n = std::strtol(limit->c_str(), &end, 10);
    if (limit->empty() || *end != '\0' || n < 1 || n > 100)
      violations.push_back({"limit", "out_of_range", "limit must be between 1 and 100"});
    else
      page.limit = static_cast<std::size_t>(n);
  }
  if (const auto* after = request.query_param("starting_after")) page.starting_after = *after;
  if (const auto* before_cursor = request.query_param("ending_before"))
    page.ending_before = *before_cursor;
  if (!page.starting_after.empty() && !page.ending_before.empty()) {
    violations.push_back(
        {"ending_before", "conflicting_cursor", "give starting_after or ending_before, not both"});
  }
  if (violations.size() != before) return std::nullopt;
  return page;
}

http::Response answer_write(const http::RouteRequest& request, const Invoker::Reply& reply,
                            http::Response pending,
                            const std::function<http::Response(const std::string&)>& done) {
  using Kind = Invoker::Reply::Kind;
  if (reply.kind == Kind::kRefused) return request.error(reply.refusal);
  if (reply.kind == Kind::kStillRunning) return pending;
  http::Response r =
      reply.outcome.ok ? done(reply.outcome.body) : request.error(api_error(reply.outcome.error));
  if (reply.kind == Kind::kReplayed) r.headers.emplace_back("idempotent-replayed", "true");
  return r;
}

void Invoker::call(const http::RouteRequest& request, InvokeRequest invoke, std::int64_t wait_ms,
                   Done done) {
  Reply refused;
  refused.kind = Reply::Kind::kRefused;
  if (engine_.in_flight() - engine_.parked() >= options_.max_in_flight) {
    refused.refusal = {ErrorCode::kUnavailable, "orderd is at its --max-inflight limit",
                       "overloaded"};
    refused.refusal.headers.emplace_back("retry-after", "1");
    return done(std::move(refused));
  }
  const bool keyed = request.idempotency_key() != nullptr;
  if (keyed) {
    const std::string& key = *request.idempotency_key();
    if (key.empty() || key.size() > kMaxIdempotencyKey || !printable(key)) {
      refused.refusal = invalid("Idempotency-Key must have 1 to 255 printable characters",
                                "invalid_idempotency_key");
      return done(std::move(refused));
    }
    invoke.idempotency_key = key;
    invoke.principal = request.principal;
  }
  InvokeResult started = engine_.invoke(std::move(invoke), {}, {});
  switch (started.disposition) {
    case InvokeDisposition::kKeyReusedWithOtherInput:
    case InvokeDisposition::kAlreadyInvoked:
      refused.refusal = {ErrorCode::kUnprocessable,
                         "this Idempotency-Key was used with another request",
                         "idempotency_key_reused"};
      return done(std::move(refused));
    case InvokeDisposition::kExisting: {
      Reply replayed;
      replayed.invocation_id = started.invocation_id;
      if (engine_.output(started.invocation_id, replayed.outcome) == Engine::Lookup::kDone) {
        replayed.kind = keyed ? Reply::Kind::kReplayed : Reply::Kind::kDone;
        return done(std::move(replayed));
      }
      if (keyed) {
        refused.invocation_id = started.invocation_id;
        refused.refusal = {ErrorCode::kConflict,
                           "a request with this Idempotency-Key is still being processed",
                           "idempotency_key_in_use"};
        refused.refusal.headers.emplace_back("retry-after", "1");
        return done(std::move(refused));
      }
      break;  // an internal key (an object's): wait for it like for a new one
    }
    case InvokeDisposition::kStarted:
      break;
  }
  wait_for(started.invocation_id, wait_ms, std::move(done));
}

void Invoker::wait_for(const std::string& invocation_id, std::int64_t wait_ms, Done done) {
  // Whichever comes first answers: the outcome or the timer.
  struct Race {
    Done done;
    bool answered = false;
    Scheduler::TimerId timer = 0;
  };
  auto race = std::make_shared<Race>();
  race->done = std::move(done);
  Scheduler& scheduler = scheduler_;
  bool known = engine_.attach(invocation_id, [race, &scheduler](InvocationOutcome outcome) {
    if (std::exchange(race->answered, true)) return;
    if (race->timer) scheduler.cancel(race->timer);
    Reply reply;
    reply.invocation_id = outcome.invocation_id;
    reply.outcome = std::move(outcome);
    race->done(std::move(reply));
  });
  if (race->answered) return;
  if (!known) {
    race->answered = true;
    Reply refused;
    refused.kind = Reply::Kind::kRefused;
    refused.refusal = {ErrorCode::kNotFound, "no such invocation " + invocation_id};
    return race->done(std::move(refused));
  }
  race->timer = scheduler.schedule_after(wait_ms, [race, invocation_id] {
    if (std::exchange(race->answered, true)) return;
    Reply running;
    running.kind = Reply::Kind::kStillRunning;
    running.invocation_id = invocation_id;
    // The engine keeps the attached waiter until the invocation ends: let it hold nothing.
    Done done = std::move(race->done);
    done(std::move(running));
  });
}

}  // namespace orderd::commerce::api
