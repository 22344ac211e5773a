// One error, two wire formats: Restate's {code, message} and RFC 9457 problem+json.
#include "ingress/error_rendering.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace orderd::http {
namespace {

boost::json::object parse(const Response& r) {
  return boost::json::parse(r.body).as_object();
}

const std::string* header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return &v;
  return nullptr;
}

TEST(ErrorRenderingTest, RestateFamilyIsCodeAndMessageExactly) {
  ApiError error{ErrorCode::kNotFound, "service 'Nope' not found", "service_not_found"};
  error.extra["service"] = "Nope";  // problem+json only
  Response r = render_error(RouteFamily::kRestate, error, "req-1");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"code":404,"message":"service 'Nope' not found"})");
  EXPECT_EQ(r.body, error_response(404, "service 'Nope' not found").body);
}

TEST(ErrorRenderingTest, ProblemJsonHasTheStandardMembersAndTheReason) {
  ApiError error{ErrorCode::kConflict, "only 2 left of prod-1", "out_of_stock"};
  error.extra["order_id"] = "ord_7";
  error.extra["status"] = 200;  // cannot override a standard member
  error.headers.emplace_back("retry-after", "5");
  Response r = render_error(RouteFamily::kApi, error, "req-1");
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto o = parse(r);
  EXPECT_EQ(o["type"], "https://orderd.dev/errors/out_of_stock");
  EXPECT_EQ(o["title"], "Out of stock");
  EXPECT_EQ(o["status"], 409);
  EXPECT_EQ(o["detail"], "only 2 left of prod-1");
  EXPECT_EQ(o["code"], "out_of_stock");
  EXPECT_EQ(o["request_id"], "req-1");
  EXPECT_EQ(o["order_id"], "ord_7");
  EXPECT_FALSE(o.contains("errors"));
  ASSERT_NE(header(r, "retry-after"), nullptr);
  EXPECT_EQ(*header(r, "retry-after"), "5");
}

TEST(ErrorRenderingTest, AnErrorWithoutAReasonIsAboutBlankWithTheStatusPhrase) {
  auto o = parse(render_problem({ErrorCode::kNotFound, "not found: /api/v1/nope"}, "r"));
  EXPECT_EQ(o["type"], "about:blank");
  EXPECT_EQ(o["title"], "Not Found");
  EXPECT_EQ(o["code"], "not_found");
  // Restate's own statuses have no phrase: the category names them.
  auto not_ready = parse(render_problem({ErrorCode::kNotReady, "still running"}, "r"));
  EXPECT_EQ(not_ready["status"], 470);
  EXPECT_EQ(not_ready["title"], "Not ready");
}

TEST(ErrorRenderingTest, ValidationErrorsListEachField) {
  ApiError error{ErrorCode::kInvalidArgument, "2 fields are invalid", "validation_failed"};
  error.field_errors.push_back({"quantity", "must_be_positive", "quantity must be at least 1"});
  error.field_errors.push_back({"items[0].sku", "required", "sku is missing"});
  auto o = parse(render_problem(error, "r"));
  EXPECT_EQ(o["status"], 400);
  const auto& errors = o["errors"].as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].as_object().at("field"), "quantity");
  EXPECT_EQ(errors[0].as_object().at("code"), "must_be_positive");
  EXPECT_EQ(errors[0].as_object().at("message"), "quantity must be at least 1");
  EXPECT_EQ(errors[1].as_object().at("field"), "items[0].sku");
}

TEST(ErrorRenderingTest, TransportStatusesAreGivenExplicitly) {
  auto e = method_not_allowed("use GET", "GET");
  EXPECT_EQ(e.http_status(), 405u);
  EXPECT_EQ(e.code(), "method_not_allowed");
  Response r = render_problem(e, "r");
  EXPECT_EQ(r.status, 405u);
  ASSERT_NE(header(r, "allow"), nullptr);
  EXPECT_EQ(parse(r)["title"], "Method not allowed");
}

TEST(ErrorRenderingTest, RawBytesFromAClientStayValidJson) {
  std::string path = "not found: /api/\xff\xfe";
  for (auto family : {RouteFamily::kRestate, RouteFamily::kApi}) {
    Response r = render_error(family, {ErrorCode::kNotFound, path}, "r");
    boost::system::error_code ec;
    boost::json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
  }
}

}  // namespace
}  // namespace orderd::http
