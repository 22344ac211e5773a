#include "support/shop_http.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <thread>

#include "support/json_fields.hpp"

namespace orderd::testing {

std::string describe(const std::optional<client::HttpResult>& r) {
  if (!r) return "(no answer before the deadline)";
  return std::to_string(r->status) + " " + r->body;
}

std::optional<client::HttpResult> Conn::exchange(const std::string& method, const std::string& path,
                                                 const std::string& body,
                                                 const client::Headers& headers) {
  lost_ = 0;
  while (Clock::now() < deadline_ && !endpoint_.abandoned) {
    const std::uint16_t port = endpoint_.port.load();
    if (port == 0) {
      std::this_thread::sleep_for(pause_ / 2);
      continue;
    }
    try {
      if (!client_ || port_ != port) {
        client_.reset();
        client_ = std::make_unique<client::HttpClient>(port);
        port_ = port;
      }
      if (counters_) ++counters_->in_flight;
      client::HttpResult r = client_->request(method, path, body, headers);
      if (counters_) --counters_->in_flight;
      return r;
    } catch (const std::exception&) {
      // in_flight was counted only if the client was made (the request threw, not the connect).
      if (counters_ && client_) --counters_->in_flight;
      client_.reset();
      if (counters_) ++counters_->connection_errors;
      ++lost_;
      std::this_thread::sleep_for(pause_);
    }
  }
  return std::nullopt;
}

std::optional<boost::json::object> Conn::get_object(const std::string& path) {
  auto r = exchange("GET", path);
  if (!r || r->status != 200) {
    ADD_FAILURE() << "GET " << path << ": " << describe(r);
    return std::nullopt;
  }
  auto o = object_of(r->body);
  if (!o) ADD_FAILURE() << "GET " << path << ": not JSON: " << r->body;
  return o;
}

}  // namespace orderd::testing
