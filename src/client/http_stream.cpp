#include "client/http_stream.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace orderd::client {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpStream::Impl {
  boost::asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  bool ended = false;
};

HttpStream::HttpStream(std::uint16_t port, std::string host, const std::string& path,
                       const Headers& headers, std::chrono::milliseconds receive_timeout)
    : impl_(std::make_unique<Impl>()) {
  tcp::resolver resolver(impl_->io);
  boost::asio::connect(impl_->socket, resolver.resolve(host, std::to_string(port)));
  if (receive_timeout.count() > 0) {
    timeval timeout{static_cast<time_t>(receive_timeout.count() / 1000),
                    static_cast<suseconds_t>(receive_timeout.count() % 1000 * 1000)};
    ::setsockopt(impl_->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, host);
  for (const auto& [name, value] : headers) req.set(name, value);
  http::write(impl_->socket, req);
  impl_->parser.body_limit(boost::none);  // a stream has no end to limit
  http::read_header(impl_->socket, impl_->buffer, impl_->parser);
}

HttpStream::~HttpStream() = default;

unsigned HttpStream::status() const {
  return impl_->parser.get().result_int();
}

std::string HttpStream::header(const std::string& lower_case_name) const {
  const auto& head = impl_->parser.get();
  auto it = head.find(lower_case_name);
  return it == head.end() ? std::string() : std::string(it->value());
}

std::optional<std::string> HttpStream::read() {
  char bytes[16 << 10];
  for (;;) {
    if (impl_->ended || impl_->parser.is_done()) return std::nullopt;
    auto& body = impl_->parser.get().body();
    body.data = bytes;
    body.size = sizeof bytes;
    beast::error_code ec;
    http::read_some(impl_->socket, impl_->buffer, impl_->parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::end_of_stream)
      impl_->ended = true;  // closed where a body may end
    else if (ec)
      throw beast::system_error(ec);
    const std::size_t got = sizeof bytes - body.size;
    if (got > 0) return std::string(bytes, got);
  }
}

std::string HttpStream::read_all() {
  std::string all;
  while (auto more = read()) all += *more;
  return all;
}

}  // namespace orderd::client
