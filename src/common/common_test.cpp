#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>

#include "common/durations.hpp"
#include "common/ids.hpp"
#include "common/json_fields.hpp"
#include "common/json_writer.hpp"

namespace orderd {
namespace {

TEST(JsonWriter, PrintsDoublesInPlainDecimal) {
  boost::json::value v = {{"amount", 99.99}, {"cost", 9.625}, {"n", 3}, {"big", 1e21}};
  EXPECT_EQ(json::dump(v), R"({"amount":99.99,"cost":9.625,"n":3,"big":1000000000000000000000})");
}

TEST(JsonWriter, EscapesStrings) {
  boost::json::value v = {{"s", "a\"b\\c\n\x01"}};
  EXPECT_EQ(json::dump(v), R"({"s":"a\"b\\c\n\u0001"})");
  EXPECT_EQ(boost::json::parse(json::dump(v)), v);
}

// Found by the HTTP fuzzer: a path with raw bytes made a 404's message invalid JSON.
TEST(JsonWriter, ReplacesBytesThatAreNotUtf8) {
  std::string out;
  json::append_string(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6");  // é € 📦: kept
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6\"");
  out.clear();
  // A lone continuation byte, an overlong '/', a surrogate, a truncated sequence at the end.
  json::append_string(out,
                      "a\x80"
                      "b\xc0\xaf"
                      "c\xed\xa0\x80"
                      "d\xe2\x82");
  EXPECT_EQ(out, R"("a\ufffdb\ufffd\ufffdc\ufffd\ufffd\ufffdd\ufffd\ufffd")");
  boost::system::error_code ec;
  boost::json::parse(out, ec);
  EXPECT_FALSE(ec);
}

TEST(JsonFields, NameTheFieldThatIsWrong) {
  auto o = boost::json::parse(R"({"a":"x","n":1.5})").as_object();
  EXPECT_EQ(json::require_string(o, "a"), "x");
  try {
    json::require_integer(o, "n");
    FAIL();
  } catch (const json::InvalidField& e) {
    EXPECT_EQ(e.field(), "n");
    EXPECT_STREQ(e.what(), "field 'n' must be an integer");
  }
  EXPECT_THROW(json::require_string(o, "missing"), json::InvalidField);
  EXPECT_THROW(json::require_number(o, "a"), json::InvalidField);
}

TEST(Ids, ChildIdsAreDeterministicAndDistinct) {
  auto parent = ids::new_invocation_id();
  EXPECT_EQ(parent.size(), 30u);
  EXPECT_EQ(parent.rfind("inv_", 0), 0u);
  EXPECT_EQ(ids::child_invocation_id(parent, 3), ids::child_invocation_id(parent, 3));
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < 1000; ++i) seen.insert(ids::child_invocation_id(parent, i));
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_NE(ids::new_invocation_id(), parent);
}

TEST(Ids, SortByCreationTime) {
  std::string earlier = ids::id_time_prefix(1'795'403'471'000);
  std::string later = ids::id_time_prefix(1'795'403'471'000 + 3600'000);
  EXPECT_LT(earlier, later);
  EXPECT_LT(ids::id_time_prefix(0), earlier);
  std::string now = ids::new_invocation_id();
  EXPECT_LT(earlier, now);
  // Every id made now is above the prefix of a moment 8 ms ago.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  EXPECT_LT(ids::id_time_prefix(ms - 8), now);
}

TEST(Ids, NewIdsAreStrictlyIncreasing) {
  std::string previous = ids::new_invocation_id();
  for (int i = 0; i < 10000; ++i) {  // many land in the same millisecond
    std::string next = ids::new_invocation_id();
    ASSERT_LT(previous, next);
    previous = next;
  }
}

TEST(Ids, DeterministicRandomRepeatsPerSeed) {
  ids::DeterministicRandom a(ids::seed_from("inv_x")), b(ids::seed_from("inv_x"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.next_uuid(), b.next_uuid());
  double d = a.next_double();
  EXPECT_GE(d, 0.0);
  EXPECT_LT(d, 1.0);
  EXPECT_NE(ids::DeterministicRandom(ids::seed_from("inv_y")).next_uuid(),
            ids::DeterministicRandom(ids::seed_from("inv_x")).next_uuid());
}

}  // namespace
}  // namespace orderd

namespace orderd {
namespace {

TEST(Durations, ParsesRestateDelays) {
  EXPECT_EQ(durations::parse_ms("10s"), 10'000);
  EXPECT_EQ(durations::parse_ms("500ms"), 500);
  EXPECT_EQ(durations::parse_ms("1h30m"), 5'400'000);
  EXPECT_EQ(durations::parse_ms("PT10S"), 10'000);
  EXPECT_EQ(durations::parse_ms("PT1M30S"), 90'000);
  EXPECT_EQ(durations::parse_ms("PT0.5S"), 500);
  EXPECT_EQ(durations::parse_ms("P1DT1H"), 90'000'000);
  for (const char* bad : {"", "10", "ten s", "-5s", "PT", "P1H", "10x", "PT1S2"})
    EXPECT_FALSE(durations::parse_ms(bad)) << bad;
  // Past what milliseconds since the epoch hold: no duration (the cast was undefined, and a send
  // with ?delay=9999999999999999h was accepted).
  for (const char* huge : {"9999999999999999h", "99999999999999999999ms", "P99999999999999D"})
    EXPECT_FALSE(durations::parse_ms(huge)) << huge;
}

TEST(Durations, FormatsRfc3339InUtc) {
  EXPECT_EQ(durations::format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(durations::format_rfc3339(1'795'403'471'522), "2026-11-23T03:11:11.522Z");
}

}  // namespace
}  // namespace orderd

#include "common/url_redaction.hpp"

namespace orderd {
namespace {

// GET /health printed --nats-url as given, credentials included (issue 14).
TEST(UrlRedaction, DropsTheUserinfoOfEveryServer) {
  EXPECT_EQ(redact_url("nats://user:pass@host:4222"), "nats://host:4222");
  EXPECT_EQ(redact_url("nats://token@host"), "nats://host");
  EXPECT_EQ(redact_url("tls://user:p%40ss@10.0.0.1:4222/x"), "tls://10.0.0.1:4222/x");
  EXPECT_EQ(redact_url("nats://a:1@h1:4222,nats://h2:4222, nats://t@h3"),
            "nats://h1:4222,nats://h2:4222, nats://h3");
  EXPECT_EQ(redact_url("user:pass@host:4222"), "host:4222");  // no scheme
  // A password holding '@', '/' or '#' is dropped whole: the last '@' ends the userinfo.
  EXPECT_EQ(redact_url("nats://u:p@ss/w#rd@host:4222"), "nats://host:4222");
}

TEST(UrlRedaction, LeavesUrlsWithoutCredentialsUnchanged) {
  for (const char* url : {"nats://127.0.0.1:4222", "nats://h1:4222,nats://h2:4222",
                          "localhost:4222", "", "http://[::1]:8080/path?q=1", ","})
    EXPECT_EQ(redact_url(url), url);
}

}  // namespace
}  // namespace orderd
