// The outbox's live stream (GET /api/v1/events/stream, Server-Sent Events) and orderctl's
// `events ls` and `events tail`, against the real binary: events placed after a stream opened
// arrive as they become durable, a Last-Event-ID resumes exactly after it, filters hold, bad
// cursors are 400 problems, the stream limit is a 503, and a shutdown ends open streams at once.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.hpp"
#include "client/http_stream.hpp"
#include "client/sse_reader.hpp"
#include "support/fixtures.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::HttpClient;
using client::HttpStream;
using client::SseMessage;
using client::SseReader;
using namespace std::chrono_literals;

// Every read of a stream gives up after this: a stream that stalls fails its test.
constexpr auto kReadTimeout = 10s;

struct Event {
  std::string id;
  std::string type;
  std::string subject;
};

Event event_of(const boost::json::value& v) {
  const auto& o = v.as_object();
  return {std::string(o.at("id").as_string()), std::string(o.at("type").as_string()),
          std::string(o.at("subject").as_string())};
}

std::vector<std::string> ids(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.id);
  return out;
}

class EventsStreamTest : public ::testing::Test {
 protected:
  explicit EventsStreamTest(std::vector<std::string> flags = {})
      : orderd(dir.path().string(), with_defaults(std::move(flags))) {}

  static std::vector<std::string> with_defaults(std::vector<std::string> flags) {
    flags.insert(flags.end(), {"--latency-scale", "0", "--failure-scale", "0"});
    return flags;
  }

  // A confirmed order of one unit of product 1: its id.
  std::string place_order() {
    auto r = api.post("/api/v1/orders", R"({"user_id":7,"items":[{"product_id":1,"quantity":1}],)"
                                        R"("payment_method":"mock"})");
    EXPECT_EQ(r.status, 201u) << r.body;
    return std::string(parse_object(r.body)["id"].as_string());
  }

  // Every durable event after `after` the pull API serves, through all its pages.
  std::vector<Event> pulled(std::string after = "", const std::string& filter = "") {
    std::vector<Event> events;
    for (;;) {
      std::string path = "/api/v1/events?limit=1000" + filter;
      if (!after.empty()) path += "&after=" + after;
      auto r = api.get(path);
      EXPECT_EQ(r.status, 200u) << r.body;
      auto page = parse_object(r.body);
      for (const auto& e : page["data"].as_array()) events.push_back(event_of(e));
      if (!page["has_more"].as_bool()) return events;
      after = std::string(page["next_after"].as_string());
    }
  }

  std::unique_ptr<HttpStream> open(const std::string& query, client::Headers headers = {}) {
    return std::make_unique<HttpStream>(orderd.port(), "127.0.0.1", "/api/v1/events/stream" + query,
                                        headers, kReadTimeout);
  }

  // The next `n` events of a stream, checking each one's SSE fields against its JSON.
  static std::vector<Event> next_events(SseReader& reader, std::size_t n) {
    std::vector<Event> events;
    while (events.size() < n) {
      std::optional<SseMessage> m = reader.next();
      if (!m) {
        ADD_FAILURE() << "the stream ended after " << events.size() << " of " << n << " events";
        break;
      }
      if (m->data.empty()) continue;  // the retry, a heartbeat
      Event e = event_of(boost::json::parse(m->data));
      EXPECT_EQ(m->id, e.id);
      EXPECT_EQ(m->event, e.type);
      events.push_back(e);
    }
    return events;
  }

  TempDir dir;
  OrderdProcess orderd;
  HttpClient api{orderd.port()};
};

TEST_F(EventsStreamTest, EventsPlacedAfterTheStreamOpenedArriveAsTheyBecomeDurable) {
  const std::string earlier = place_order();
  auto stream = open("?after=now");
  ASSERT_EQ(stream->status(), 200u);
  EXPECT_EQ(stream->header("content-type"), "text/event-stream");
  EXPECT_EQ(stream->header("cache-control"), "no-cache");
  SseReader reader(*stream);
  auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->retry, "1000");  // said once, before any event

  const auto before = pulled();
  const std::string order = place_order();
  // The order's events and its stock's, in the order the pull API serves them, and none of the
  // earlier order's: the stream started at the end. The read would time out (10 s) long before
  // a poll or the heartbeat (15 s) could have carried them.
  const auto expected = pulled(before.back().id);
  ASSERT_GE(expected.size(), 4u);
  const auto streamed = next_events(reader, expected.size());
  EXPECT_EQ(ids(streamed), ids(expected));
  for (const auto& e : streamed) {
    EXPECT_NE(e.subject, earlier);
    EXPECT_TRUE(e.subject == order || e.type.rfind("stock.", 0) == 0) << e.type;
  }
  EXPECT_EQ(std::count_if(streamed.begin(), streamed.end(),
                          [&](const Event& e) { return e.type == "order.confirmed"; }),
            1);
}

TEST_F(EventsStreamTest, LastEventIdResumesExactlyAfterItAndWinsOverAfter) {
  place_order();
  place_order();
  const auto all = pulled();
  ASSERT_GE(all.size(), 8u);
  const std::size_t k = all.size() / 2;
  // As an EventSource reconnects: the last id it had, in the header; `after` says otherwise.
  auto stream = open("?after=" + all.front().id, {{"Last-Event-ID", all[k].id}});
  ASSERT_EQ(stream->status(), 200u);
  SseReader reader(*stream);
  const auto resumed = next_events(reader, all.size() - k - 1);
  std::vector<std::string> rest;
  for (std::size_t i = k + 1; i < all.size(); ++i) rest.push_back(all[i].id);
  EXPECT_EQ(ids(resumed), rest);  // no repeat, no gap

  // What comes next is the next event there is: nothing skipped at the seam to live events.
  place_order();
  const auto next = next_events(reader, 1);
  const auto after_last = pulled(all.back().id);
  ASSERT_FALSE(after_last.empty());
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id, after_last.front().id);
}

TEST_F(EventsStreamTest, TypeAndSubjectFiltersKeepOnlyTheirEvents) {
  const std::string a = place_order();
  place_order();
  auto by_type = open("?after=now&type=order.confirmed");
  ASSERT_EQ(by_type->status(), 200u);
  SseReader type_reader(*by_type);

  // From the beginning, only order a's events, though others follow them.
  auto by_subject = open("?subject=" + a);
  ASSERT_EQ(by_subject->status(), 200u);
  SseReader subject_reader(*by_subject);
  const auto expected = pulled("", "&subject=" + a);
  ASSERT_EQ(expected.size(), 4u);  // created, authorized, captured, confirmed
  EXPECT_EQ(ids(next_events(subject_reader, expected.size())), ids(expected));

  const std::string c = place_order();
  const auto confirmed = next_events(type_reader, 1);
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].type, "order.confirmed");
  EXPECT_EQ(confirmed[0].subject, c);
}

TEST_F(EventsStreamTest, BadCursorsAre400Problems) {
  struct Case {
    std::string query;
    client::Headers headers;
    std::string field;
  };
  for (const auto& [query, headers, field] :
       std::vector<Case>{{"?after=evt_12", {}, "after"},
                         {"?after=later", {}, "after"},
                         {"", {{"Last-Event-ID", "bogus"}}, "Last-Event-ID"},
                         {"?after=now", {{"Last-Event-ID", "evt_1"}}, "Last-Event-ID"}}) {
    auto stream = open(query, headers);
    EXPECT_EQ(stream->status(), 400u) << query;
    EXPECT_EQ(stream->header("content-type"), "application/problem+json");
    auto problem = parse_object(stream->read_all());
    EXPECT_EQ(problem["code"], "validation_failed");
    const auto& error = problem["errors"].as_array().at(0).as_object();
    EXPECT_EQ(error.at("field").as_string(), field) << query;
    EXPECT_EQ(error.at("code"), "invalid_cursor");
  }
  // `now` is the stream's: a page has a fixed place to start.
  auto page = api.get("/api/v1/events?after=now");
  EXPECT_EQ(page.status, 400u);
  EXPECT_EQ(page.header("content-type"), "application/problem+json");
}

TEST_F(EventsStreamTest, ShutdownEndsTheStreamAndOrderdExitsPromptly) {
  auto stream = open("?after=now");
  ASSERT_EQ(stream->status(), 200u);
  SseReader reader(*stream);
  ASSERT_TRUE(reader.next().has_value());  // the retry: the stream is open

  const auto start = std::chrono::steady_clock::now();
  auto exit_status = std::async(std::launch::async, [this] { return orderd.terminate(); });
  // The body ends cleanly (its last chunk), rather than being cut or hanging.
  std::optional<SseMessage> more;
  EXPECT_NO_THROW(more = reader.next());
  EXPECT_FALSE(more.has_value());
  EXPECT_EQ(exit_status.get(), 0);
  // A stream left open would hold the shutdown for the 10 s grace period and then 2 s more.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

class EventsHeartbeatTest : public EventsStreamTest {
 protected:
  EventsHeartbeatTest() : EventsStreamTest({"--sse-heartbeat", "200ms"}) {}
};

TEST_F(EventsHeartbeatTest, AQuietStreamSendsKeepAliveComments) {
  const std::string a = place_order();
  place_order();
  auto stream = open("?subject=" + a);
  SseReader reader(*stream);
  ASSERT_EQ(next_events(reader, 4).size(), 4u);
  // Nothing else matches: the stream says so with comments, again and again.
  for (int i = 0; i < 2; ++i) {
    auto m = reader.next();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->comment, "keep-alive");
    EXPECT_TRUE(m->data.empty()) << m->data;
  }
}

class EventsStreamLimitTest : public EventsStreamTest {
 protected:
  EventsStreamLimitTest() : EventsStreamTest({"--max-event-streams", "2"}) {}
};

TEST_F(EventsStreamLimitTest, PastTheLimitA503UntilAStreamCloses) {
  auto one = open("?after=now");
  auto two = open("");
  ASSERT_EQ(one->status(), 200u);
  ASSERT_EQ(two->status(), 200u);
  auto three = open("");
  EXPECT_EQ(three->status(), 503u);
  EXPECT_EQ(three->header("content-type"), "application/problem+json");
  EXPECT_EQ(three->header("retry-after"), "1");
  EXPECT_EQ(parse_object(three->read_all())["code"], "too_many_event_streams");

  // A client that goes away gives its stream back: the server notices the closed connection
  // without writing to it (this stream has nothing to send, and its heartbeat is 15 s away).
  // Seen from outside only by asking again, so ask, for at most 5 s.
  SseReader quiet(*one);
  ASSERT_TRUE(quiet.next().has_value());  // the retry: all it had to say, read
  one.reset();
  unsigned status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       status != 200 && std::chrono::steady_clock::now() < deadline;) {
    status = open("")->status();
    if (status != 200) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(status, 200u);
}

// Runs orderctl against the ingress; its stdout, its stderr in `err`, its exit code in `status`.
std::string orderctl(std::uint16_t port, const std::string& args, std::string& err, int& status) {
  TempDir tmp;
  const auto err_path = tmp.path() / "stderr";
  std::string command = std::string(ORDERCTL_BINARY) +
                        " --ingress http://127.0.0.1:" + std::to_string(port) + " " + args + " 2>" +
                        err_path.string();
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  status = WEXITSTATUS(::pclose(pipe));
  std::ifstream file(err_path);
  err.assign(std::istreambuf_iterator<char>(file), {});
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_F(EventsStreamTest, OrderctlListsPagesOfEvents) {
  const std::string order = place_order();
  std::string err;
  int status = -1;
  auto out = orderctl(orderd.port(), "events ls --subject " + order + " --limit 2", err, status);
  ASSERT_EQ(status, 0) << err;
  auto first = lines(out);
  ASSERT_EQ(first.size(), 2u) << out;
  EXPECT_EQ(event_of(boost::json::parse(first[0])).type, "order.created");
  EXPECT_EQ(event_of(boost::json::parse(first[1])).type, "order.authorized");
  const std::string cursor = event_of(boost::json::parse(first[1])).id;
  EXPECT_EQ(err, "next: --after " + cursor + " (more)\n");

  out = orderctl(orderd.port(), "events ls --subject " + order + " --after " + cursor, err, status);
  ASSERT_EQ(status, 0) << err;
  auto second = lines(out);
  ASSERT_EQ(second.size(), 2u) << out;
  EXPECT_EQ(event_of(boost::json::parse(second[0])).type, "order.captured");
  EXPECT_EQ(event_of(boost::json::parse(second[1])).type, "order.confirmed");

  out = orderctl(orderd.port(), "events ls --after bogus", err, status);
  EXPECT_EQ(status, 1);
  EXPECT_EQ(err, "orderctl: 400: validation_failed: after is an event id (evt_...)\n");
}

// A line of `pipe`'s output, or nullopt when none comes within the timeout or the pipe ends.
std::optional<std::string> read_line(FILE* pipe) {
  pollfd fd{::fileno(pipe), POLLIN, 0};
  std::string line;
  for (;;) {
    if (::poll(&fd, 1, static_cast<int>(kReadTimeout / 1ms)) <= 0) return std::nullopt;
    char c;
    if (::read(fd.fd, &c, 1) != 1) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

TEST_F(EventsStreamTest, OrderctlTailFollowsTheStreamUntilOrderdStops) {
  place_order();
  const std::string last = pulled().back().id;
  TempDir tmp;
  const auto err_path = tmp.path() / "stderr";
  std::string command = std::string(ORDERCTL_BINARY) +
                        " --ingress http://127.0.0.1:" + std::to_string(orderd.port()) +
                        " events tail --after " + last + " --type order.confirmed 2>" +
                        err_path.string();
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  const std::string a = place_order();
  const std::string b = place_order();
  for (const auto& order : {a, b}) {
    auto line = read_line(pipe);
    ASSERT_TRUE(line.has_value()) << "no event from orderctl events tail";
    Event e = event_of(boost::json::parse(*line));
    EXPECT_EQ(e.type, "order.confirmed");
    EXPECT_EQ(e.subject, order);
  }
  // orderd's shutdown ends the stream; orderctl says where to go on and exits.
  EXPECT_EQ(orderd.terminate(), 0);
  EXPECT_FALSE(read_line(pipe).has_value());
  EXPECT_EQ(WEXITSTATUS(::pclose(pipe)), 0);
  std::ifstream file(err_path);
  std::string err(std::istreambuf_iterator<char>(file), {});
  EXPECT_NE(err.find("orderd ended the event stream; go on with --after evt_"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace orderd::testing
