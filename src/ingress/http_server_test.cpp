// The server's streamed answers (Response::stream) over a real socket: pieces go out as chunks
// as the stream delivers them and only when the previous one is written, the stream's end ends
// the body, and a client that closes, or stop(), ends it and closes the stream.
#include "ingress/http_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <thread>

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
  void handle(Request, Responder respond) override {
    Response r{200, "first;", {{"cache-control", "no-cache"}}, "text/event-stream"};
    r.stream = stream;
    respond(std::move(r));
  }
  std::shared_ptr<ScriptedStream> stream = std::make_shared<ScriptedStream>();
};

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : server(io, "127.0.0.1", 0, handler, ServerLimits{}) {
    thread = std::thread([this] { io.run(); });
  }
  ~HttpServerTest() override {
    on_server([this] { server.stop(); });
    guard.reset();
    io.stop();
    thread.join();
  }

  // Runs `fn` on the server's thread and waits for it.
  template <class F>
  auto on_server(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    asio::post(io, [&task] { task(); });
    return done.get();
  }

  tcp::socket connect(const std::string& request) {
    tcp::socket socket(client_io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    // A server that never sends fails the test instead of hanging it.
    timeval timeout{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    asio::write(socket, asio::buffer(request));
    return socket;
  }

  // Reads until `needle` has arrived (true) or the connection ends (false).
  static bool read_until(tcp::socket& socket, std::string& got, std::string_view needle) {
    while (got.find(needle) == std::string::npos) {
      char buf[4096];
      boost::system::error_code ec;
      std::size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec) return false;
      got.append(buf, n);
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
  StreamingHandler handler;
  Server server;
  std::thread thread;
  asio::io_context client_io;
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
  EXPECT_EQ(on_server([&] { return server.open_connections(); }), 0u);
}

TEST_F(HttpServerTest, AClientThatClosesClosesTheStreamWithoutAWrite) {
  auto socket = connect(kGet);
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "first;")) << got;
  socket.close();
  // Noticed while the stream has nothing to send: nobody writes, the server still lets go.
  ASSERT_TRUE(handler.stream->closed.wait_for(kWait));
  EXPECT_EQ(on_server([&] { return server.open_connections(); }), 0u);
  // A piece the stream delivers late goes nowhere.
  on_server([&] { handler.stream->give("late;"); });
  EXPECT_EQ(on_server([&] { return handler.stream->closes; }), 1);
}

TEST_F(HttpServerTest, StopEndsAnOpenStreamWithItsLastChunk) {
  auto socket = connect(kGet);
  std::string got;
  ASSERT_TRUE(read_until(socket, got, "first;")) << got;
  on_server([&] { server.stop(); });
  const std::string raw = read_to_end(socket, got);
  EXPECT_EQ(decoded_body(raw), "first;");
  ASSERT_TRUE(handler.stream->closed.wait_for(kWait));
  EXPECT_EQ(on_server([&] { return server.open_connections(); }), 0u);
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

}  // namespace
}  // namespace orderd::http
