#pragma once
// Server-Sent Events (the WHATWG EventSource format) read from an HttpStream: the blocks a
// blank line ends, with their fields. orderctl's `events tail` and the tests use it.
#include <optional>
#include <string>

#include "client/http_stream.hpp"

namespace orderd::client {

struct SseMessage {
  std::string id;       // the `id` field; empty when the block has none
  std::string event;    // the `event` field
  std::string data;     // the `data` fields, joined by newlines
  std::string comment;  // the comment lines (": keep-alive"), without their colon
  std::string retry;    // the `retry` field, as sent
};

class SseReader {
 public:
  explicit SseReader(HttpStream& stream) : stream_(stream) {}
  // The next block, comments and `retry` alone included; nullopt once the stream has ended.
  std::optional<SseMessage> next();

 private:
  std::optional<std::string> line();

  HttpStream& stream_;
  std::string pending_;
};

}  // namespace orderd::client
