#include "client/http_client.hpp"

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

struct HttpClient::Impl {
  Impl(std::uint16_t p, std::string h) : port(p), host(std::move(h)), socket(io) { connect(); }
  void connect() {
    beast::error_code ignored;
    socket.close(ignored);
    tcp::resolver resolver(io);
    boost::asio::connect(socket, resolver.resolve(host, std::to_string(port)));
    // A server that never answers fails the request instead of hanging its caller forever.
    timeval timeout{120, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  std::uint16_t port;
  std::string host;
  boost::asio::io_context io;
  tcp::socket socket;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::uint16_t port, std::string host)
    : impl_(std::make_unique<Impl>(port, std::move(host))) {}
HttpClient::~HttpClient() = default;

HttpResult HttpClient::post(const std::string& path, const std::string& body,
                            const Headers& headers) {
  return request("POST", path, body, headers);
}

HttpResult HttpClient::get(const std::string& path) {
  return request("GET", path, "");
}

HttpResult HttpClient::request(const std::string& method, const std::string& path,
                               const std::string& body, const Headers& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::content_type, "application/json");
  req.keep_alive(true);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  auto start = std::chrono::steady_clock::now();
  http::response<http::string_body> res;
  for (int attempt = 0;; ++attempt) {
    try {
      http::write(impl_->socket, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(16 << 20);
      http::read(impl_->socket, impl_->buffer, parser);
      res = parser.release();
      break;
    } catch (const boost::system::system_error&) {
      // The server closed a kept-alive connection: reconnect once.
      if (attempt > 0) throw;
      impl_->buffer.clear();
      impl_->connect();
    }
  }
  if (!res.keep_alive()) impl_->connect();
  HttpResult result;
  result.status = res.result_int();
  result.body = res.body();
  if (auto it = res.find("x-restate-id"); it != res.end()) result.restate_id = it->value();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace orderd::client
