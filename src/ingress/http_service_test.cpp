// A listener's service: request ids, the middleware chain and its seams, and errors in the
// family of the route, whoever raises them.
#include "ingress/http_service.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace orderd::http {
namespace {

const std::string* header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return &v;
  return nullptr;
}

boost::json::object parse(const Response& r) {
  return boost::json::parse(r.body).as_object();
}

// A stage that notes it ran, then goes on.
class Recording final : public Middleware {
 public:
  Recording(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
  void handle(RouteRequest& request, Responder respond, Next next) override {
    log_.push_back(name_);
    next(request, std::move(respond));
  }

 private:
  std::vector<std::string>& log_;
  std::string name_;
};

// Authentication as the next issue may write it: a bearer token names the principal.
class BearerAuth final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    const std::string* auth = request.authorization();
    if (!auth || auth->rfind("Bearer ", 0) != 0) {
      return respond(request.error({ErrorCode::kUnauthenticated, "a bearer token is required"}));
    }
    request.principal = auth->substr(7);
    next(request, std::move(respond));
  }
};

class HttpServiceTest : public ::testing::Test {
 protected:
  // Routes like the ingress's: an /api family route, a Restate one, a Restate fallback.
  void build(ChainOptions options = {}, std::vector<std::unique_ptr<Middleware>> stages = {}) {
    service.emplace(RouteFamily::kRestate, std::move(options), std::move(stages));
    Router& router = service->router();
    router.claim("/api", RouteFamily::kApi);
    router.add(
        Method::kGet, "/api/v1/orders/{id}",
        [this](const RouteRequest& request, Responder respond) {
          log.push_back("handler " + request.principal);
          seen_id = request.request_id;
          if (*request.param("id") == "boom") throw std::runtime_error("the handler broke");
          respond(Response{200, R"({"id":")" + *request.param("id") + R"("})", {}});
        },
        RouteFamily::kApi);
    router.add(Method::kGet, "/health", [](const RouteRequest&, Responder respond) {
      respond(Response{200, R"({"status":"ok"})", {}});
    });
    router.set_fallback(
        [this](const RouteRequest& request, Responder respond) {
          log.push_back("fallback " + request.principal);
          if (request.path() == "/Boom/now") throw std::runtime_error("the service broke");
          respond(Response{200, "{}", {}});
        },
        "/{Service}/{handler}");
  }

  Response send(std::string method, std::string target,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::optional<Response> answer;
    service->handle(Request{std::move(method), std::move(target), "", std::move(headers)},
                    [&](Response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(Response{});
  }

  std::optional<HttpService> service;
  std::vector<std::string> log;
  std::string seen_id;
};

TEST_F(HttpServiceTest, EveryAnswerCarriesTheRequestId) {
  build();
  auto given = send("GET", "/api/v1/orders/o-1", {{"x-request-id", "3f2a-9c:01.b_X"}});
  ASSERT_NE(header(given, "x-request-id"), nullptr);
  EXPECT_EQ(*header(given, "x-request-id"), "3f2a-9c:01.b_X");
  EXPECT_EQ(seen_id, "3f2a-9c:01.b_X");

  // Ids that could forge a log line or a header are replaced by a new one.
  for (std::string bad : {std::string("two words"), std::string(129, 'a'), std::string("a\"b")}) {
    auto replaced = send("GET", "/api/v1/orders/o-1", {{"x-request-id", bad}});
    ASSERT_NE(header(replaced, "x-request-id"), nullptr);
    EXPECT_EQ(header(replaced, "x-request-id")->rfind("req_", 0), 0u);
  }
  auto first = send("GET", "/health");
  auto second = send("POST", "/nowhere/at-all");
  ASSERT_NE(header(first, "x-request-id"), nullptr);
  ASSERT_NE(header(second, "x-request-id"), nullptr);
  EXPECT_NE(*header(first, "x-request-id"), *header(second, "x-request-id"));
  // The router's own answers carry it too, in the body of a problem.
  auto missing = send("GET", "/api/v1/nope", {{"x-request-id", "rid-7"}});
  EXPECT_EQ(parse(missing)["request_id"], "rid-7");
  EXPECT_EQ(*header(missing, "x-request-id"), "rid-7");
}

TEST_F(HttpServiceTest, TheSeamsRunInTheirOrder) {
  ChainOptions options;
  options.metrics = [this](std::string_view route, unsigned status, std::chrono::microseconds) {
    log.push_back("metrics " + std::string(route) + " " + std::to_string(status));
  };
  options.address_limit = std::make_unique<Recording>(log, "address limit");
  options.authentication = std::make_unique<BearerAuth>();
  options.caller_limit = std::make_unique<Recording>(log, "caller limit");
  std::vector<std::unique_ptr<Middleware>> stages;
  stages.push_back(std::make_unique<Recording>(log, "listener stage"));
  build(std::move(options), std::move(stages));

  auto r = send("GET", "/api/v1/orders/o-1", {{"authorization", "Bearer alice"}});
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(log, (std::vector<std::string>{"listener stage", "address limit", "caller limit",
                                           "handler alice", "metrics /api/v1/orders/{id} 200"}));
  log.clear();
  send("GET", "/api/v1/unknown", {{"authorization", "Bearer alice"}});
  EXPECT_EQ(log, (std::vector<std::string>{"listener stage", "address limit", "caller limit",
                                           "metrics  404"}));
}

TEST_F(HttpServiceTest, ARejectingAuthenticatorAnswersInTheRoutesFamily) {
  ChainOptions options;
  options.authentication = std::make_unique<BearerAuth>();
  build(std::move(options));

  auto api = send("GET", "/api/v1/orders/o-1", {{"x-request-id", "rid-1"}});
  EXPECT_EQ(api.status, 401u);
  EXPECT_EQ(api.content_type, "application/problem+json");
  auto problem = parse(api);
  EXPECT_EQ(problem["status"], 401);
  EXPECT_EQ(problem["code"], "unauthenticated");
  EXPECT_EQ(problem["detail"], "a bearer token is required");
  EXPECT_EQ(problem["request_id"], "rid-1");

  auto restate = send("POST", "/OrderService/ProcessOrder");
  EXPECT_EQ(restate.status, 401u);
  EXPECT_EQ(restate.content_type, "application/json");
  EXPECT_EQ(restate.body, R"({"code":401,"message":"a bearer token is required"})");
  // Before routing: without credentials, an unknown path reads like a known one.
  EXPECT_EQ(send("GET", "/api/v1/secret-admin-thing").status, 401u);
  EXPECT_TRUE(log.empty());
}

// A customer, as the authentication stage would make one of any request.
class CustomerAuth final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    request.caller.open = false;
    request.caller.subject = "7";
    request.caller.roles = auth::Role::kCustomer;
    request.principal = "7";
    next(request, std::move(respond));
  }
};

TEST_F(HttpServiceTest, TheRoleCheckRefusesUndeclaredRolesButLetsTheRouterAnswerUnknownPaths) {
  ChainOptions options;
  options.authentication = std::make_shared<CustomerAuth>();
  build(std::move(options));
  service->router().add(
      Method::kPut, "/api/v1/products/{id}",
      [this](const RouteRequest&, Responder respond) {
        log.push_back("catalog write");
        respond(Response{200, "{}", {}});
      },
      RouteFamily::kApi, access::admin("write"));
  auto write = send("PUT", "/api/v1/products/1");
  EXPECT_EQ(write.status, 403u);
  EXPECT_EQ(parse(write)["code"], "insufficient_role");
  EXPECT_TRUE(log.empty());
  // No route: the router's own answers, not a 403 (there is no declaration to refuse by).
  EXPECT_EQ(send("GET", "/api/v1/nothing-here").status, 404u);
  EXPECT_EQ(send("DELETE", "/api/v1/products/1").status, 405u);
}

TEST_F(HttpServiceTest, WithoutAnAuthenticatorEveryoneIsAnonymous) {
  build();
  EXPECT_EQ(send("POST", "/OrderService/ProcessOrder").status, 200u);
  EXPECT_EQ(log, (std::vector<std::string>{"fallback "}));
}

TEST_F(HttpServiceTest, TheRoutersAnswersAreInThePathsFamily) {
  build();
  auto api_404 = send("GET", "/api/v1/orders");
  EXPECT_EQ(api_404.status, 404u);
  EXPECT_EQ(api_404.content_type, "application/problem+json");
  EXPECT_EQ(parse(api_404)["code"], "not_found");
  EXPECT_TRUE(log.empty());  // never the fallback: /api/v1/orders is not service "api"

  auto api_405 = send("DELETE", "/api/v1/orders/o-1");
  EXPECT_EQ(api_405.status, 405u);
  EXPECT_EQ(api_405.content_type, "application/problem+json");
  EXPECT_EQ(parse(api_405)["code"], "method_not_allowed");
  ASSERT_NE(header(api_405, "allow"), nullptr);
  EXPECT_EQ(*header(api_405, "allow"), "GET");

  auto restate_405 = send("POST", "/health");
  EXPECT_EQ(restate_405.body, R"({"code":405,"message":"use GET"})");
  ASSERT_NE(header(restate_405, "allow"), nullptr);
  EXPECT_EQ(*header(restate_405, "allow"), "GET");
}

TEST_F(HttpServiceTest, AThrowingHandlerIsA500InItsFamilyThatMetricsSee) {
  ChainOptions options;
  options.metrics = [this](std::string_view route, unsigned status, std::chrono::microseconds) {
    log.push_back("metrics " + std::string(route) + " " + std::to_string(status));
  };
  build(std::move(options));
  auto r = send("GET", "/api/v1/orders/boom");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(parse(r)["code"], "internal");
  // No internal text reaches the client: the request id finds it in the log.
  EXPECT_EQ(r.body.find("the handler broke"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(std::string(parse(r)["request_id"].as_string())), std::string::npos)
      << r.body;
  EXPECT_EQ(log.back(), "metrics /api/v1/orders/{id} 500");
  // The Restate family too.
  auto restate = send("POST", "/Boom/now");
  EXPECT_EQ(restate.status, 500u);
  EXPECT_EQ(restate.body.find("broke"), std::string::npos) << restate.body;
}

TEST_F(HttpServiceTest, AMiddlewareMayGoOnLater) {
  // An asynchronous check (a token introspection): next runs after handle() has returned.
  struct Later final : Middleware {
    std::function<void()> resume;
    void handle(RouteRequest& request, Responder respond, Next next) override {
      auto shared = std::make_shared<Responder>(std::move(respond));
      resume = [&request, shared, next] { next(request, std::move(*shared)); };
    }
  };
  auto later = std::make_unique<Later>();
  Later* stage = later.get();
  ChainOptions options;
  options.address_limit = std::move(later);
  build(std::move(options));

  std::optional<Response> answer;
  service->handle(Request{"GET", "/api/v1/orders/o-9", "", {}},
                  [&](Response r) { answer = std::move(r); });
  EXPECT_FALSE(answer.has_value());
  stage->resume();  // the request is still alive: its id and parameters read as sent
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, R"({"id":"o-9"})");
}

TEST_F(HttpServiceTest, TheAccessLogWritesOneLinePerAnswer) {
  std::ostringstream lines;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "access-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines));
  logger->set_pattern("%l %v");
  spdlog::set_default_logger(logger);
  ChainOptions options;
  options.access_log = true;
  build(std::move(options));
  send("GET", "/api/v1/orders/o-1?expand=all", {{"x-request-id", "rid-9"}});
  send("GET", "/api/v1/nope");
  spdlog::set_default_logger(previous);

  std::string text = lines.str();
  EXPECT_NE(text.find("info GET /api/v1/orders/o-1 200 "), std::string::npos) << text;
  EXPECT_NE(text.find("us rid-9\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("expand"), std::string::npos) << "no query in the log: " << text;
  EXPECT_NE(text.find("info GET /api/v1/nope 404 "), std::string::npos) << text;
}

TEST_F(HttpServiceTest, RefusalsAreRenderedInTheTargetsFamily) {
  build();
  ApiError too_large{ErrorCode::kInvalidArgument, "request body too large", "body_too_large"};
  too_large.status = 413;
  Request api_head{"POST", "/api/v1/orders", "", {{"x-request-id", "rid-2"}}};
  Response api = service->refusal(too_large, &api_head);
  EXPECT_EQ(api.status, 413u);
  EXPECT_EQ(api.content_type, "application/problem+json");
  EXPECT_EQ(parse(api)["request_id"], "rid-2");
  EXPECT_EQ(*header(api, "x-request-id"), "rid-2");

  Request restate_head{"POST", "/OrderService/ProcessOrder", "", {}};
  Response restate = service->refusal(too_large, &restate_head);
  EXPECT_EQ(restate.body, R"({"code":413,"message":"request body too large"})");
  EXPECT_NE(header(restate, "x-request-id"), nullptr);
  // Without a head the family is unknown: Restate's shape, still with an id.
  Response headless = service->refusal(too_large, nullptr);
  EXPECT_EQ(headless.content_type, "application/json");
  EXPECT_NE(header(headless, "x-request-id"), nullptr);
}

}  // namespace
}  // namespace orderd::http
