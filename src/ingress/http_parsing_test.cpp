// The transport's own refusals (413, 431, 400) through the server's parser, rendered in the
// family of the request's target when the parser has read it.
#include "ingress/http_parsing.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "ingress/http_service.hpp"

namespace orderd::http {
namespace {

class TransportRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    limits.max_body_bytes = 64;
    limits.max_header_bytes = 512;
    service.router().claim("/api", RouteFamily::kApi);
  }

  static std::string post(const std::string& target, std::size_t body_bytes,
                          const std::string& extra_headers = "") {
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body_bytes) + "\r\n\r\n" +
           std::string(body_bytes, 'x');
  }

  Response refused(const std::string& bytes, const RequestHandler* handler) {
    auto parsed = parse_request(bytes, limits, handler);
    EXPECT_FALSE(parsed.request.has_value());
    EXPECT_TRUE(parsed.refusal.has_value());
    return parsed.refusal.value_or(Response{});
  }

  ServerLimits limits;
  HttpService service{RouteFamily::kRestate, {}};
};

TEST_F(TransportRefusalTest, ABodyTooLargeIsAProblemOnTheApi) {
  Response r = refused(post("/api/v1/orders", 1000, "X-Request-Id: rid-413\r\n"), &service);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto o = boost::json::parse(r.body).as_object();
  EXPECT_EQ(o["status"], 413);
  EXPECT_EQ(o["code"], "body_too_large");
  EXPECT_EQ(o["type"], "https://orderd.dev/errors/body_too_large");
  EXPECT_EQ(o["request_id"], "rid-413");
}

TEST_F(TransportRefusalTest, ABodyTooLargeIsCodeAndMessageOnRestateRoutes) {
  Response r = refused(post("/OrderService/ProcessOrder", 1000), &service);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"code":413,"message":"request body too large"})");
  // The same without a handler to ask, as before families existed.
  EXPECT_EQ(refused(post("/api/v1/orders", 1000), nullptr).body,
            R"({"code":413,"message":"request body too large"})");
}

TEST_F(TransportRefusalTest, HeadersTooLargeAreInTheFamilyOnlyWhenTheStartLineFit) {
  const std::string big_header = "X-Padding: " + std::string(600, 'p') + "\r\n";
  Response known = refused(post("/api/v1/orders", 0, big_header), &service);
  EXPECT_EQ(known.status, 431u);
  EXPECT_EQ(known.content_type, "application/problem+json");
  // A start line longer than the limit: the target is never read.
  Response unknown = refused(post("/api/v1/" + std::string(600, 'o'), 0), &service);
  EXPECT_EQ(unknown.status, 431u);
  EXPECT_EQ(unknown.body, R"({"code":431,"message":"request headers too large"})");
}

TEST_F(TransportRefusalTest, AMalformedRequestIsA400) {
  Response r = refused("POST /api/v1/orders HTTP/1.1\r\nContent-Length: nope\r\n\r\n", &service);
  EXPECT_EQ(r.status, 400u);
  Response truncated = refused(post("/api/v1/orders", 10).substr(0, 60), &service);
  EXPECT_EQ(truncated.status, 400u);
  EXPECT_EQ(truncated.content_type, "application/problem+json");
  EXPECT_EQ(boost::json::parse(truncated.body).as_object()["code"], "malformed_request");
}

}  // namespace
}  // namespace orderd::http
