#include "client/sse_reader.hpp"

namespace orderd::client {

std::optional<std::string> SseReader::line() {
  for (;;) {
    auto end = pending_.find('\n');
    if (end != std::string::npos) {
      std::string text = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      return text;
    }
    auto more = stream_.read();
    if (!more) return std::nullopt;  // an unfinished last line is dropped, as EventSource does
    pending_ += *more;
  }
}

std::optional<SseMessage> SseReader::next() {
  SseMessage message;
  bool any = false;
  while (auto text = line()) {
    if (text->empty()) {
      if (any) return message;
      continue;
    }
    any = true;
    auto colon = text->find(':');
    std::string name = text->substr(0, colon);
    std::string value = colon == std::string::npos ? "" : text->substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name.empty()) {
      if (!message.comment.empty()) message.comment += '\n';
      message.comment += value;
    } else if (name == "data") {
      if (!message.data.empty()) message.data += '\n';
      message.data += value;
    } else if (name == "id") {
      message.id = value;
    } else if (name == "event") {
      message.event = value;
    } else if (name == "retry") {
      message.retry = value;
    }
  }
  return std::nullopt;
}

}  // namespace orderd::client
