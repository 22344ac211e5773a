#pragma once
// A small blocking HTTP/1.1 client for tests, one keep-alive connection.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace orderd::testing {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string restate_id;  // the x-restate-id header
  std::chrono::milliseconds elapsed{0};
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);
  ~HttpClient();
  HttpResult post(const std::string& path, const std::string& body);
  HttpResult get(const std::string& path);
  HttpResult request(const std::string& method, const std::string& path, const std::string& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::testing
