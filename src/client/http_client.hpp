#pragma once
// A small blocking HTTP/1.1 client over one keep-alive connection: for orderctl and the tests.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace orderd::client {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string restate_id;                      // the x-restate-id header
  std::map<std::string, std::string> headers;  // names lower-cased
  std::chrono::milliseconds elapsed{0};

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpResult post(const std::string& path, const std::string& body, const Headers& headers = {});
  HttpResult get(const std::string& path);
  HttpResult request(const std::string& method, const std::string& path, const std::string& body,
                     const Headers& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::client
