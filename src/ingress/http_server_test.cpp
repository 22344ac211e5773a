// The server over a real socket. Streamed answers (Response::stream): pieces go out as chunks
// as the stream delivers them and only when the previous one is written, the stream's end ends
// the body, and a client that closes, or stop(), ends it and closes the stream. Hang-ups: a
// client that closes while its request waits for an answer fires the request's Hangup and frees
// its connection at once. The per-address bound, the lingering close after a refusal, and the
// head's and body's deadlines (H1).
#include "ingress/http_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <deque>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/latch.hpp"

namespace orderd::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using orderd::testing::Latch;
constexpr auto kWait = std::chrono::seconds(10);

// A stream the test feeds: a piece asked for is delivered at once if one is ready, else when the
// test gives one. Lives on the server's thread.
class ScriptedStream final : public BodyStream {
 public:
  void next(Deliver deliver) override {
    ++asked;
    if (ready.empty()) {
      pending = std::move(deliver);
      return;
    }
    Piece piece = std::move(ready.front());
    ready.pop_front();
    deliver(std::move(piece));
  }
  void close() override {
    ++closes;
    closed.set();
  }
  void give(Piece piece) {
    if (!pending) return ready.push_back(std::move(piece));
    auto deliver = std::move(pending);
    deliver(std::move(piece));
  }

  std::deque<Piece> ready;
  Deliver pending;
  int asked = 0;
  int closes = 0;
  Latch closed;
};

// Answers every request with the stream, after a first piece in the body.
class StreamingHandler final : public RequestHandler {
 public:
  void handle(Request request, Responder respond) override {
    hangup = request.hangup;
    Response r{200, "first;", {{"cache-control", "no-cache"}}, "text/event-stream"};
    r.stream = stream;
    respond(std::move(r));
  }
  std::shared_ptr<ScriptedStream> stream = std::make_shared<ScriptedStream>();
  std::shared_ptr<Hangup> hangup;  // the last request's
};

// Answers `/now...` at once with its target as the body, and holds every other request for the
// test to answer, or never, as a route waiting on an invocation does. Lives on the server's
// thread.
class HoldingHandler final : public RequestHandler {
 public:
  struct Held {
    std::string target;
    std::shared_ptr<Hangup> hangup;
    Responder respond;
    int hangups = 0;  // calls of its subscriber
  };
  void handle(Request request, Responder respond) override {
    if (request.target.starts_with("/now")) return respond(Response{200, request.target});
    Held& held_one = held.emplace_back(Held{request.target, request.hangup, std::move(respond)});
    if (held_one.hangup) held_one.hangup->on_hangup([&held_one] { ++held_one.hangups; });
  }
  std::deque<Held> held;  // a deque: the subscribers point into it
};

// A server on its own thread, and blocking clients.
template <class Handler>
class ServerFixture : public ::testing::Test {
 protected:
  ServerFixture() {
    thread = std::thread([this] { io.run(); });
  }
  ~ServerFixture() override {
    on_server([this] {
      if (server) server->stop();
    });
    guard.reset();
    io.stop();
    thread.join();
  }

  void start(ServerLimits limits) {
    on_server([&] { server.emplace(io, "127.0.0.1", 0, handler, limits); });
  }

  // Runs `fn` on the server's thread and waits for it.
  template <class F>
  auto on_server(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    asio::post(io, [&task] { task(); });
    return done.get();
  }

  // Polls `condition` on the server's thread until it holds (true) or kWait has passed.
  template <class F>
  bool eventually(F condition) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!on_server(condition)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  std::size_t open_connections() {
    return on_server([this] { return server->open_connections(); });
  }

  // The clients read and write with recv() and send(): asio's blocking calls wait on with
  // poll() when SO_RCVTIMEO/SO_SNDTIMEO expire, so the timeouts would not hold.
  tcp::socket open() {
    tcp::socket socket(client_io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server->port()});
    // A server that never sends, or never reads, fails the test instead of hanging it.
    timeval timeout{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    return socket;
  }

  tcp::socket connect(const std::string& request) {
    tcp::socket socket = open();
    const auto ec = send(socket, request);
    EXPECT_FALSE(ec) << ec.message();
    return socket;
  }

  // Writes all of `bytes`, or fails (the peer reset, or the send timeout).
  static boost::system::error_code send(tcp::socket& socket, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(socket.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return {errno, boost::system::system_category()};
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  // The bytes the server has not read yet on its end of `client`'s connection, from the
  // kernel's table of TCP sockets (Linux), or nullopt when the connection is not there.
  std::optional<unsigned long> unread_by_server(const tcp::socket& client) const {
    const unsigned server_port = server->port();
    const unsigned client_port = client.local_endpoint().port();
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);  // the column names
    while (std::getline(table, line)) {
      // "sl local_address rem_address st tx_queue:rx_queue ...", addresses as HEXIP:HEXPORT.
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues;
      fields >> slot >> local >> remote >> state >> queues;
      auto port_of = [](const std::string& address) {
        return std::stoul(address.substr(address.find(':') + 1), nullptr, 16);
      };
      if (port_of(local) != server_port || port_of(remote) != client_port) continue;
      return std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
    return std::nullopt;
  }

  // Reads until `needle` has arrived (true) or the connection ends (false).
  static bool read_until(tcp::socket& socket, std::string& got, std::string_view needle) {
    while (got.find(needle) == std::string::npos) {
      char buf[4096];
      const ssize_t n = ::recv(socket.native_handle(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // the end, a reset, or the receive timeout
      got.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  static std::string read_to_end(tcp::socket& socket, std::string got) {
    read_until(socket, got, std::string(1, '\0'));  // no NUL comes: reads until the end
    return got;
  }

  // The body of a whole chunked answer, decoded.
  static std::string decoded_body(const std::string& raw) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.eager(true);  // the body too, not only the head
    boost::system::error_code ec;
    parser.put(asio::buffer(raw), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(parser.is_done()) << raw;
    return parser.get().body();
  }

  static constexpr const char* kGet = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  Handler handler;
  std::optional<Server> server;  // built and used on the server's thread
  std::thread thread;
  asio::io_context client_io;
};

class HttpServerTest : public ServerFixture<StreamingHandler> {
 protected:
  HttpServerTest() { start(ServerLimits{}); }
};

TEST_F(HttpServerTest, PiecesGoOutAsChunksOneAtATimeUntilTheStreamEnds) {
  ScriptedStream& stream = *handler.stream;
  on_server([&] { stream.ready.push_back("ready;"); });
  auto socket = connect(kGet);
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "ready;")) << got;
  EXPECT_NE(got.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Type: text/event-stream\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("cache-control: no-cache\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
  EXPECT_LT(got.find("first;"), got.find("ready;"));

  // The stream is asked for a piece only once the previous one is written, never ahead: after
  // the client has the body and `i + 1` pieces, at most `i + 2` were asked for.
  for (int i = 0; i < 3; ++i) {
    EXPECT_LE(on_server([&] { return stream.asked; }), 2 + i);
    const std::string piece = "piece-" + std::to_string(i) + ";";
    on_server([&] { stream.give(piece); });
    ASSERT_TRUE(read_until(socket, got, piece)) << got;
  }
  on_server([&] { stream.give(std::nullopt); });
  const std::string raw = read_to_end(socket, got);
  EXPECT_EQ(raw.substr(raw.size() - 5), "0\r\n\r\n");  // the last chunk, then the close
  EXPECT_EQ(decoded_body(raw), "first;ready;piece-0;piece-1;piece-2;");
  ASSERT_TRUE(stream.closed.wait_for(kWait));
  EXPECT_EQ(on_server([&] { return stream.asked; }), 5);  // ready, three pieces, the end
  EXPECT_EQ(on_server([&] { return stream.closes; }), 1);
  EXPECT_EQ(on_server([&] { return server->open_connections(); }), 0u);
}

TEST_F(HttpServerTest, AClientThatClosesClosesTheStreamWithoutAWrite) {
  auto socket = connect(kGet);
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "first;")) << got;
  socket.close();
  // Noticed while the stream has nothing to send: nobody writes, the server still lets go.
  ASSERT_TRUE(handler.stream->closed.wait_for(kWait));
  EXPECT_EQ(on_server([&] { return server->open_connections(); }), 0u);
  // The request's hangup fired too, for a route that waits on something besides the stream.
  EXPECT_TRUE(on_server([&] { return handler.hangup && handler.hangup->fired(); }));
  // A piece the stream delivers late goes nowhere.
  on_server([&] { handler.stream->give("late;"); });
  EXPECT_EQ(on_server([&] { return handler.stream->closes; }), 1);
}

TEST_F(HttpServerTest, StopEndsAnOpenStreamWithItsLastChunk) {
  auto socket = connect(kGet);
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "first;")) << got;
  on_server([&] { server->stop(); });
  const std::string raw = read_to_end(socket, got);
  EXPECT_EQ(decoded_body(raw), "first;");
  ASSERT_TRUE(handler.stream->closed.wait_for(kWait));
  EXPECT_EQ(on_server([&] { return server->open_connections(); }), 0u);
}

TEST_F(HttpServerTest, AnHttp10ClientGetsTheBodyUntilTheConnectionCloses) {
  auto socket = connect("GET /events HTTP/1.0\r\n\r\n");
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "first;")) << got;
  on_server([&] { handler.stream->give("second;"); });
  on_server([&] { handler.stream->give(std::nullopt); });
  const std::string raw = read_to_end(socket, got);
  EXPECT_EQ(raw.find("Transfer-Encoding"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), "first;second;");
  ASSERT_TRUE(handler.stream->closed.wait_for(kWait));
}

class HangupTest : public ServerFixture<HoldingHandler> {
 protected:
  static std::string get(std::string_view target) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  // Answers the held request `i` on the server's thread.
  void answer(std::size_t i, std::string body) {
    on_server([&] { handler.held.at(i).respond(Response{200, std::move(body)}); });
  }
  std::size_t held() {
    return on_server([&] { return handler.held.size(); });
  }
  // A new client's request is answered.
  void expect_served(std::string_view target) {
    auto socket = connect(get(target));
    std::string got;
    EXPECT_TRUE(read_until(socket, got, target)) << got;
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  }
};

TEST_F(HangupTest, AClientThatClosesWhileItsRequestWaitsIsLetGoAtOnce) {
  start(ServerLimits{});
  auto socket = connect(get("/hold"));
  ASSERT_TRUE(eventually([&] { return handler.held.size() == 1; }));
  EXPECT_EQ(open_connections(), 1u);
  socket.close();
  // The route hears of it, and the connection is freed, while the handler never answered.
  ASSERT_TRUE(eventually([&] { return handler.held[0].hangups == 1; }));
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 0; }));
  EXPECT_TRUE(on_server([&] { return handler.held[0].hangup->fired(); }));
  // The answer the handler gives later goes nowhere, and the server goes on.
  answer(0, "late");
  expect_served("/now-after");
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
  EXPECT_EQ(on_server([&] { return handler.held[0].hangups; }), 1);
}

// The attack: callers that send a slow call and hang up, round after round. Each round takes
// every slot; without the watch the slots stayed taken until the calls ended, and the next
// round (or any new client) was refused at accept.
TEST_F(HangupTest, RoundsOfHungUpCallersLeaveTheSlotsFree) {
  ServerLimits limits;
  limits.max_connections = 4;
  start(limits);
  for (std::size_t round = 1; round <= 3; ++round) {
    std::vector<tcp::socket> callers;
    for (int i = 0; i < 4; ++i) callers.push_back(connect(get("/slow")));
    ASSERT_TRUE(eventually([&] { return handler.held.size() == 4 * round; })) << round;
    for (auto& caller : callers) caller.close();
    ASSERT_TRUE(eventually([&] { return server->open_connections() == 0; })) << round;
  }
  expect_served("/now-served");
  EXPECT_EQ(on_server([&] {
              int hangups = 0;
              for (const auto& h : handler.held) hangups += h.hangups;
              return hangups;
            }),
            12);
}

TEST_F(HangupTest, APipelinedRequestSentDuringTheWaitIsAnsweredInOrder) {
  start(ServerLimits{});
  auto socket = connect(get("/hold"));
  ASSERT_TRUE(eventually([&] { return handler.held.size() == 1; }));
  ASSERT_FALSE(send(socket, get("/now-second")));
  // The server reads the second request while the first waits: its end of the connection has
  // nothing unread (the bytes are in the session's buffer).
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (unread_by_server(socket) != 0ul && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(unread_by_server(socket), 0ul);
  EXPECT_EQ(held(), 1u);  // the second is not parsed before the first is answered
  answer(0, "first-answer");
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "/now-second")) << got;
  EXPECT_LT(got.find("first-answer"), got.find("/now-second")) << got;
  EXPECT_EQ(on_server([&] { return handler.held[0].hangups; }), 0);
  // Still the same kept-alive connection, and it still notices a hang-up.
  ASSERT_FALSE(send(socket, get("/hold-third")));
  ASSERT_TRUE(eventually([&] { return handler.held.size() == 2; }));
  socket.close();
  ASSERT_TRUE(eventually([&] { return handler.held[1].hangups == 1; }));
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

TEST_F(HangupTest, OneAddressHoldsAtMostItsShareOfConnections) {
  ServerLimits limits;
  limits.max_connections_per_address = 2;
  start(limits);
  auto first = connect(get("/hold-1"));
  auto second = connect(get("/hold-2"));
  ASSERT_TRUE(eventually([&] { return handler.held.size() == 2; }));
  // A third from 127.0.0.1 is closed unanswered.
  auto third = open();
  send(third, get("/now-third"));  // may fail: the server closes at once
  std::string got = read_to_end(third, "");
  EXPECT_EQ(got, "");
  EXPECT_EQ(open_connections(), 2u);
  // Once one of the two goes, a new one is served.
  first.close();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 1; }));
  expect_served("/now-fourth");
  // And the count follows closes down to nothing: two at once again.
  second.close();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 0; }));
  auto again_1 = connect(get("/hold-3"));
  auto again_2 = connect(get("/hold-4"));
  EXPECT_TRUE(eventually([&] { return handler.held.size() == 4; }));
}

// Python's urllib and many SDKs write the whole body before they read. The server refuses the
// body from its Content-Length at once; closing then, with the body unread, reset the connection:
// the client's write failed and the 413 was lost.
TEST_F(HangupTest, AClientThatWritesItsWholeBodyBeforeReadingGetsThe413) {
  ServerLimits limits;
  limits.max_body_bytes = 1 << 20;
  start(limits);
  const std::size_t body = 2 << 20;
  std::string request =
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n" +
      std::string(body, 'a');
  auto socket = open();
  // As over a real link, only a window's worth is in flight: on loopback the kernel's buffers
  // would otherwise take the whole 2 MiB before the server closes, and hide the reset.
  const int send_buffer = 64 << 10;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
  const auto written = send(socket, request);
  EXPECT_FALSE(written) << written.message();
  const std::string raw = read_to_end(socket, "");
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(asio::buffer(raw), ec);
  ASSERT_FALSE(ec) << ec.message() << ": " << raw;
  ASSERT_TRUE(parser.is_done()) << raw;
  EXPECT_EQ(parser.get().result_int(), 413u);
  EXPECT_FALSE(parser.get().keep_alive());
  EXPECT_NE(parser.get().body().find("too large"), std::string::npos) << raw;
  socket.close();
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
  EXPECT_EQ(held(), 0u);
}

// The linger is bounded in bytes: a client that never stops sending is cut off (reset).
TEST_F(HangupTest, TheLingerEndsAfterItsBytes) {
  ServerLimits limits;
  limits.max_body_bytes = 1024;
  limits.linger_max_bytes = 256 << 10;
  limits.linger_timeout = std::chrono::minutes(10);  // so that only the bytes can end it
  start(limits);
  auto socket = connect("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n");
  const std::string chunk(64 << 10, 'a');
  const std::size_t most = 64 << 20;  // far past the bound and any socket buffers
  std::size_t sent = 0;
  boost::system::error_code ec;
  while (!ec && sent < most) {
    ec = send(socket, chunk);
    if (!ec) sent += chunk.size();
  }
  EXPECT_TRUE(ec) << "the server read all " << sent << " bytes";
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

// The linger is bounded in time, as a whole: a client that reads the 413 and trickles bytes
// without ever closing is let go.
TEST_F(HangupTest, TheLingerEndsAfterItsTime) {
  ServerLimits limits;
  limits.max_body_bytes = 1024;
  limits.linger_timeout = std::chrono::milliseconds(300);
  start(limits);
  auto socket = connect("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n" +
                        std::string(4096, 'a'));
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "}")) << got;  // the 413 and its body
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (open_connections() != 0 && std::chrono::steady_clock::now() < deadline) {
    send(socket, "more");  // fails once the server has let go
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(open_connections(), 0u);
}

// Slowloris (H1): a client that writes its request's head a byte at a time, each byte well
// within every other deadline, is cut off once the head's deadline has passed.
TEST_F(HangupTest, AHeadTrickledByteByByteIsCutOffAtTheHeaderDeadline) {
  ServerLimits limits;
  limits.header_timeout = std::chrono::milliseconds(300);
  limits.read_timeout = std::chrono::minutes(10);  // so that only the head's deadline can end it
  start(limits);
  auto socket = open();
  const std::string head =
      "GET /now-slow HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(400, 'a') + "\r\n\r\n";
  const auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 1; }));
  std::size_t sent = 0;
  while (open_connections() != 0 && sent < head.size()) {
    send(socket, head.substr(sent++, 1));  // fails once the server has let go
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto held_for = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(open_connections(), 0u) << "the whole head went out, byte by byte";
  EXPECT_LT(sent, head.size());
  EXPECT_GE(held_for, std::chrono::milliseconds(250));
  EXPECT_EQ(read_to_end(socket, ""), "");  // closed unanswered
  EXPECT_EQ(held(), 0u);
  expect_served("/now-after");
}

// H1: the body has its own deadline, from the end of the head.
TEST_F(HangupTest, ABodyTrickledAfterAFastHeadIsCutOffAtTheReadDeadline) {
  ServerLimits limits;
  limits.header_timeout = std::chrono::minutes(10);
  limits.read_timeout = std::chrono::milliseconds(300);
  start(limits);
  auto socket = connect("POST /now-body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
  const auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 1; }));
  int sent = 0;
  while (open_connections() != 0 && sent < 1000) {
    send(socket, "b");
    ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(open_connections(), 0u);
  EXPECT_LT(sent, 1000);
  EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(250));
  EXPECT_EQ(held(), 0u);
}

// H1: the head's deadline starts at its first byte, not when the connection went idle: a kept-
// alive client may wait longer than header_timeout (up to idle_timeout) before its next request.
TEST_F(HangupTest, TheHeadDeadlineStartsAtTheNextRequestsFirstByte) {
  ServerLimits limits;
  limits.header_timeout = std::chrono::milliseconds(200);
  limits.idle_timeout = std::chrono::minutes(10);
  start(limits);
  auto socket = connect(get("/now-first"));
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "/now-first")) << got;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // idle past the head's deadline
  ASSERT_FALSE(send(socket, get("/now-second")));
  ASSERT_TRUE(read_until(socket, got, "/now-second")) << got;
  // The first request of a connection gets its deadline at accept: a silent one is let go.
  auto silent = open();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 2; }));
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 1; }));
  EXPECT_EQ(read_to_end(silent, ""), "");
}

TEST_F(HangupTest, StopStillAnswersARequestInProgress) {
  start(ServerLimits{});
  auto socket = connect(get("/hold"));
  ASSERT_TRUE(eventually([&] { return handler.held.size() == 1; }));
  on_server([&] { server->stop(); });
  EXPECT_EQ(open_connections(), 1u);
  answer(0, "answered-after-stop");
  const std::string raw = read_to_end(socket, "");
  EXPECT_NE(raw.find("answered-after-stop"), std::string::npos) << raw;
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

}  // namespace
}  // namespace orderd::http
