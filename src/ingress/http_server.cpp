#include "ingress/http_server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/json_writer.hpp"
#include "ingress/api_error.hpp"
#include "ingress/http_parsing.hpp"

namespace orderd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// One wait of a session for its stream's next piece: answered once, by the stream or by stop().
struct PieceWait {
  UniqueFunction<void(BodyStream::Piece)> resume;  // posts the session's resumption
  void answer(BodyStream::Piece piece) {
    if (!resume) return;
    auto once = std::move(resume);
    once(std::move(piece));
  }
};

// A session sending a streamed body, as stop() and the client watch see it.
struct Streaming {
  beast::tcp_stream* stream = nullptr;
  std::shared_ptr<PieceWait> waiting;  // set while the session waits for a piece, not writing
  bool done = false;                   // the session has stopped streaming: `stream` may be gone
  bool gone = false;                   // the client closed its end
  std::shared_ptr<Hangup> hangup;      // the request's, fired when the client is gone
  char scratch[256];                   // what the client sends after its request, dropped
};

// One wait of a session for its handler's answer, during which the session reads the socket to
// notice a client that goes away. The session resumes once the answer is there or the client is
// gone, and no read is pending (the read writes into the session's buffer).
struct AnswerWait {
  tcp::socket* socket = nullptr;  // the session's: valid until `finished`
  std::shared_ptr<Hangup> hangup;
  std::optional<Response> answer;
  bool delivered = false;  // the handler answered (posted): later answers are dropped
  bool reading = false;    // a read of the socket is pending
  bool gone = false;       // the client closed or the socket failed before the answer
  bool finished = false;   // the session has resumed
  UniqueFunction<void(std::optional<Response>)> resume;  // posts the session's resumption

  void settle() {
    if (finished || reading || !(answer || gone)) return;
    finished = true;
    auto once = std::move(resume);
    once(gone ? std::nullopt : std::move(answer));
  }
};

}  // namespace

struct Server::State {
  State(asio::io_context& io, RequestHandler& h, ServerLimits l)
      : io(io), acceptor(io), handler(h), limits(l) {}
  asio::io_context& io;
  tcp::acceptor acceptor;
  RequestHandler& handler;
  ServerLimits limits;
  std::size_t connections = 0;
  // Open connections per client address, kept only when limits.max_connections_per_address is
  // set; an address leaves the map when its last connection closes.
  std::unordered_map<asio::ip::address, std::size_t> per_address;
  std::uint16_t port = 0;
  bool stopped = false;
  // Sessions waiting for their next request, or lingering after a refusal, which stop() closes
  // at once.
  std::unordered_set<beast::tcp_stream*> idle;
  // Sessions sending a streamed body, which stop() ends at once.
  std::unordered_set<Streaming*> streaming;
};

namespace {

// Reads the socket while the session waits for its answer. EOF or an error before the answer is
// the client going away: the request's hangup fires and the wait ends. That includes a client
// that only half-closes (shutdown(SHUT_WR)) after its request: HTTP/1.1 has no way to tell it
// from one that left, and holding a slot for it is what a hang-up attack wants. Bytes that
// arrive (the next, pipelined request) go into the session's buffer for its next parse, and the
// watch stops there: one read, of at most what the header limit leaves in the buffer. (A client
// that hangs up after pipelining is then noticed only once its answer is written.)
void watch_for_hangup(std::shared_ptr<AnswerWait> wait, beast::flat_buffer& buffer,
                      std::size_t budget) {
  wait->reading = true;
  auto space = buffer.prepare(beast::read_size(buffer, budget));
  wait->socket->async_read_some(space, [wait, &buffer](const beast::error_code& ec, std::size_t n) {
    wait->reading = false;
    buffer.commit(n);
    // An answer already on its way wins over the close: it is written, the next read ends it.
    if (ec && ec != asio::error::operation_aborted && !wait->delivered) {
      wait->gone = true;
      wait->hangup->fire();
    }
    wait->settle();
  });
}

// Hands a request to the handler and suspends until it answers (the answer), or the client goes
// away first (nullopt). The answer is posted rather than resumed inline, so a handler answering
// from deep inside the engine never runs session code there.
asio::awaitable<std::optional<Response>> respond_to(std::shared_ptr<Server::State> state,
                                                    tcp::socket& socket, beast::flat_buffer& buffer,
                                                    Request request) {
  auto initiation = [state, &socket, &buffer, &request](auto completion) mutable {
    auto executor = asio::get_associated_executor(completion, state->io.get_executor());
    auto wait = std::make_shared<AnswerWait>();
    wait->socket = &socket;
    wait->hangup = request.hangup;
    wait->resume = [executor,
                    completion = std::move(completion)](std::optional<Response> answer) mutable {
      auto resume = [completion = std::move(completion), answer = std::move(answer)]() mutable {
        completion(std::move(answer));
      };
      asio::post(executor, std::move(resume));
    };
    auto deliver = [executor, wait](Response response) {
      // One answer per request, and none once the client is gone.
      if (wait->gone || std::exchange(wait->delivered, true)) return;
      auto arrive = [wait, response = std::move(response)]() mutable {
        wait->answer = std::move(response);
        beast::error_code ignored;
        if (wait->reading) wait->socket->cancel(ignored);  // settles when the read completes
        wait->settle();
      };
      asio::post(executor, std::move(arrive));
    };
    Responder responder = deliver;
    // What a 500 is rendered for, should handle() throw: the request itself has moved by then.
    Request head{request.method, request.target, {}, {}};
    try {
      state->handler.handle(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      // A handler that throws still gets its client an answer, and the session goes on.
      // The answer carries no internal text, only the request id the log line names.
      ApiError error{ErrorCode::kInternal, "internal error; the log has its details", "internal"};
      Response answer = state->handler.refusal(error, &head);
      std::string_view id = "-";
      for (const auto& [name, value] : answer.headers)
        if (name == "x-request-id") id = value;
      spdlog::error("request handler failed: {} (request {})", e.what(), id);
      deliver(std::move(answer));
    }
    // A handler that answered at once needs no watch. Neither does a client whose next
    // request's head already fills the buffer: that head is answered next anyway.
    const std::size_t limit = state->limits.max_header_bytes;
    if (!wait->delivered && buffer.size() < limit && wait->hangup)
      watch_for_hangup(wait, buffer, limit - buffer.size());
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(std::optional<Response>)>(initiation,
                                                                         asio::use_awaitable);
}

bhttp::response<bhttp::string_body> to_beast(Response&& in, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out;
  out.version(version);
  out.result(in.status);
  if (in.status == 470) out.reason("Not Ready");
  out.set(bhttp::field::server, "orderd");
  out.set(bhttp::field::content_type, in.content_type);
  for (auto& [name, value] : in.headers) out.set(name, value);
  out.body() = std::move(in.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// Suspends until the stream delivers its next piece, or stop() or the client's going away ends it
// (nullopt). Posted, like respond_to's answer, so a stream delivering from deep inside the engine
// never runs session code.
asio::awaitable<BodyStream::Piece> next_piece(std::shared_ptr<Server::State> state,
                                              BodyStream& body, Streaming& streaming) {
  auto initiation = [state, &body, &streaming](auto completion) mutable {
    auto executor = asio::get_associated_executor(completion, state->io.get_executor());
    auto wait = std::make_shared<PieceWait>();
    wait->resume = [executor, completion = std::move(completion)](BodyStream::Piece piece) mutable {
      auto resume = [completion = std::move(completion), piece = std::move(piece)]() mutable {
        completion(std::move(piece));
      };
      asio::post(executor, std::move(resume));
    };
    streaming.waiting = wait;
    body.next([wait](BodyStream::Piece piece) { wait->answer(std::move(piece)); });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(BodyStream::Piece)>(
      initiation, asio::use_awaitable);
}

// Reads the socket while the session streams, so a client that closes is noticed at once rather
// than at the next failed write (which, past the first write into a dead connection, is the
// backstop: the stream's heartbeats make sure one comes).
void watch_client(std::shared_ptr<Streaming> streaming) {
  auto& socket = streaming->stream->socket();
  auto buffer = asio::buffer(streaming->scratch);
  socket.async_read_some(buffer, [streaming](const beast::error_code& ec, std::size_t) {
    if (streaming->done || ec == asio::error::operation_aborted) return;
    if (!ec) return watch_client(streaming);  // bytes after the request: not ours to answer
    streaming->gone = true;
    if (streaming->hangup) streaming->hangup->fire();
    if (streaming->waiting) streaming->waiting->answer(std::nullopt);
  });
}

// Registers a streaming session with the server for as long as it streams.
struct StreamingSlot {
  std::shared_ptr<Server::State> state;
  std::shared_ptr<Streaming> streaming;
  ~StreamingSlot() {
    streaming->done = true;
    state->streaming.erase(streaming.get());
  }
};

// Sends a streamed answer: the head, `body`, then the stream's pieces as they come, each write
// bounded by the write timeout, then the last chunk. Ends without the last chunk when a write
// fails or the client closed. Closes the stream however it ends, unless the loop is torn down
// under it.
asio::awaitable<void> send_stream(beast::tcp_stream& stream, std::shared_ptr<Server::State> state,
                                  Response answer, unsigned version,
                                  std::shared_ptr<Hangup> hangup) {
  std::shared_ptr<BodyStream> body = std::move(answer.stream);
  const bool chunked = version >= 11;  // HTTP/1.0 has no chunks: the body ends when we close
  bhttp::response<bhttp::empty_body> head;
  head.version(version);
  head.result(answer.status);
  head.set(bhttp::field::server, "orderd");
  head.set(bhttp::field::content_type, answer.content_type);
  for (auto& [name, value] : answer.headers) head.set(name, value);
  head.keep_alive(false);
  head.chunked(chunked);
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  const auto write_timeout = state->limits.write_timeout;
  auto streaming = std::make_shared<Streaming>();
  streaming->stream = &stream;
  streaming->hangup = std::move(hangup);
  state->streaming.insert(streaming.get());
  StreamingSlot slot{state, streaming};

  stream.expires_after(write_timeout);
  auto [hec, head_written] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
  bool ok = !hec;
  if (ok) watch_client(streaming);
  BodyStream::Piece piece = std::move(answer.body);
  while (ok) {
    if (!piece->empty()) {
      stream.expires_after(write_timeout);
      if (chunked) {
        auto chunk = bhttp::make_chunk(asio::buffer(*piece));
        auto [ec, n] = co_await asio::async_write(stream, chunk, use_tuple);
        ok = !ec;
      } else {
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(*piece), use_tuple);
        ok = !ec;
      }
    }
    if (!ok || streaming->gone || state->stopped) break;
    auto waiting = next_piece(state, *body, *streaming);
    piece = co_await std::move(waiting);
    streaming->waiting.reset();
    if (!piece) break;
  }
  if (ok && chunked && !streaming->gone) {
    stream.expires_after(write_timeout);
    auto last = bhttp::make_chunk_last();
    co_await asio::async_write(stream, last, use_tuple);
  }
  body->close();
}

// Frees the connection's slot however its session ends.
struct ConnectionSlot {
  std::shared_ptr<Server::State> state;
  beast::tcp_stream* stream = nullptr;
  std::optional<asio::ip::address> address;  // counted in per_address
  ~ConnectionSlot() {
    --state->connections;
    state->idle.erase(stream);
    if (!address) return;
    auto it = state->per_address.find(*address);
    if (it != state->per_address.end() && --it->second == 0) state->per_address.erase(it);
  }
};

// After an early refusal (413, 431, 400) the client may still be writing the request we
// refused. Closing with its bytes unread resets the connection: the client's write fails (broken
// pipe, reset) before it reads our answer, and most clients give up there. So, as nginx's
// lingering close does: stop sending, then read and drop what comes until the client closes, or
// linger_max_bytes have come, or linger_timeout has passed. stop() ends it at once.
asio::awaitable<void> linger(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                             std::shared_ptr<Server::State> state) {
  const auto& limits = state->limits;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::size_t drained = buffer.size();
  buffer.consume(buffer.size());
  stream.expires_after(limits.linger_timeout);  // one deadline for the whole linger
  state->idle.insert(&stream);
  while (!state->stopped && drained < limits.linger_max_bytes) {
    const std::size_t most = std::min<std::size_t>(limits.linger_max_bytes - drained, 64 << 10);
    auto space = buffer.prepare(beast::read_size(buffer, most));
    auto [ec, n] = co_await stream.async_read_some(space, use_tuple);
    if (ec) break;  // the client's EOF, the deadline, or stop()
    drained += n;   // never committed: dropped
  }
  state->idle.erase(&stream);
}

asio::awaitable<void> session(tcp::socket socket, std::shared_ptr<Server::State> state,
                              std::optional<asio::ip::address> address) {
  beast::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec);
  const std::string remote_address = peer_ec ? std::string() : peer.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  ConnectionSlot slot{state, &stream, std::move(address)};
  beast::flat_buffer buffer;
  const auto& limits = state->limits;
  bool first = true;
  for (;;) {
    RequestParser parser;
    apply_limits(parser, limits);
    if (state->stopped) break;
    // Between requests on a kept-alive connection: the next one may take idle_timeout to start.
    // The wait ends at its first byte, which starts the head's deadline (H1).
    if (!first && buffer.size() == 0) {
      stream.expires_after(limits.idle_timeout);
      state->idle.insert(&stream);
      auto space = buffer.prepare(beast::read_size(buffer, limits.max_header_bytes));
      auto [iec, n] = co_await stream.async_read_some(space, use_tuple);
      state->idle.erase(&stream);
      if (iec) break;  // the client closed between requests, the idle deadline, or stop()
      buffer.commit(n);
    }
    first = false;
    // H1: the head, then the body, each under its own deadline. A session reading a request is
    // in `idle` too: stop() cuts a request that has not fully come.
    beast::error_code ec;
    stream.expires_after(limits.header_timeout);
    state->idle.insert(&stream);
    {
      auto [hec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      ec = hec;
    }
    if (!ec && !parser.is_done() && !state->stopped) {
      stream.expires_after(limits.read_timeout);
      auto [bec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      ec = bec;
    }
    state->idle.erase(&stream);
    if (ec == bhttp::error::end_of_stream) break;  // the client closed between requests
    if (!ec && !parser.is_done()) break;           // stop() came between the head and the body
    if (ec) {
      if (auto answer = refusal(ec, parser, &state->handler)) {
        auto out = to_beast(std::move(*answer), 11, false);  // with Connection: close
        stream.expires_after(limits.write_timeout);
        auto [wec, written] = co_await bhttp::async_write(stream, out, use_tuple);
        if (!wec) {
          auto lingering = linger(stream, buffer, state);
          co_await std::move(lingering);
        }
      }
      break;
    }
    auto in = parser.release();
    const bool keep_alive = in.keep_alive() && !state->stopped;
    const unsigned version = in.version();
    Request request = to_request(std::move(in));
    request.hangup = std::make_shared<Hangup>();
    request.remote_address = remote_address;
    auto hangup = request.hangup;
    auto answering = respond_to(state, stream.socket(), buffer, std::move(request));
    std::optional<Response> answer = co_await std::move(answering);
    // The client went away: its slot is freed now, and the invocation goes on without it.
    if (!answer) break;
    if (answer->stream) {
      auto streamed = send_stream(stream, state, std::move(*answer), version, std::move(hangup));
      co_await std::move(streamed);
      break;  // a streamed body ends its connection
    }
    auto out = to_beast(std::move(*answer), version, keep_alive);
    stream.expires_after(limits.write_timeout);
    auto [wec, written] = co_await bhttp::async_write(stream, out, use_tuple);
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::State> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(use_tuple);
    if (state->stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors (EMFILE) fails every accept at once: pause instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(state->io, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (state->connections >= state->limits.max_connections) {
      // Past the bound a connection is refused outright: cheaper than parsing what we won't serve.
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    std::optional<asio::ip::address> address;
    if (const std::size_t cap = state->limits.max_connections_per_address; cap > 0) {
      beast::error_code rec;
      auto remote = socket.remote_endpoint(rec);
      // Gone already, or one client holding its share: refused like past the global bound (an
      // address at its cap has an entry already, so none is left behind).
      std::size_t* count = rec ? nullptr : &state->per_address[remote.address()];
      if (!count || *count >= cap) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++*count;
      address = remote.address();
    }
    socket.set_option(tcp::no_delay(true));
    ++state->connections;
    asio::co_spawn(state->io, session(std::move(socket), state, std::move(address)),
                   asio::detached);
  }
}

}  // namespace

Response error_response(unsigned status, std::string_view message) {
  std::string body = "{\"code\":" + std::to_string(status) + ",\"message\":";
  json::append_string(body, message);
  body += "}";
  return Response{status, std::move(body), {}, "application/json"};
}

Server::Server(asio::io_context& io, const std::string& host, std::uint16_t port,
               RequestHandler& handler, ServerLimits limits)
    : state_(std::make_shared<State>(io, handler, limits)) {
  tcp::endpoint endpoint(asio::ip::make_address(host), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen(asio::socket_base::max_listen_connections);
  state_->port = state_->acceptor.local_endpoint().port();
  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

Server::~Server() {
  stop();
}

std::uint16_t Server::port() const {
  return state_->port;
}

void Server::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  // Cancelling the read ends the session; it is erased from `idle` as it unwinds.
  for (beast::tcp_stream* stream : std::vector(state_->idle.begin(), state_->idle.end()))
    stream->socket().cancel(ignored);
  // A stream waiting for its next piece ends now, with its last chunk; one in the middle of a
  // write (a slow client) is cut off, so no client holds the shutdown for a write timeout.
  for (Streaming* streaming : state_->streaming) {
    if (streaming->waiting)
      streaming->waiting->answer(std::nullopt);
    else
      streaming->stream->socket().cancel(ignored);
  }
}

std::size_t Server::open_connections() const {
  return state_->connections;
}

}  // namespace orderd::http
