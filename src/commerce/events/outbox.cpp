#include "commerce/events/outbox.hpp"

#include <cstdio>

#include "common/durations.hpp"
#include "common/json_writer.hpp"
#include "store/store.hpp"

namespace orderd::commerce {

std::string Outbox::event_id(std::uint64_t sequence) {
  char id[32];
  std::snprintf(id, sizeof id, "evt_%020llu", static_cast<unsigned long long>(sequence));
  return id;
}

std::optional<std::uint64_t> Outbox::sequence_of(std::string_view id) {
  if (id.size() != 24 || id.substr(0, 4) != "evt_") return std::nullopt;
  std::uint64_t sequence = 0;
  for (char c : id.substr(4)) {
    if (c < '0' || c > '9') return std::nullopt;
    sequence = sequence * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return sequence;
}

std::optional<std::int64_t> Outbox::time_of(std::string_view event_json) {
  // emit() writes `"time":"<24 characters>"` before `data`, so the first match is the event's.
  constexpr std::string_view kMember = "\"time\":\"";
  const auto at = event_json.find(kMember);
  if (at == std::string_view::npos) return std::nullopt;
  return durations::parse_rfc3339(event_json.substr(at + kMember.size(), 24));
}

std::string_view Outbox::type_of(std::string_view event_json) {
  // emit() writes `"type":"…"` before `data`, so the first match is the event's own.
  constexpr std::string_view kMember = "\"type\":\"";
  const auto at = event_json.find(kMember);
  if (at == std::string_view::npos) return {};
  const auto from = at + kMember.size();
  return event_json.substr(from, event_json.find('"', from) - from);
}

void Outbox::load(store::Store& store) {
  next_ = 1;
  auto last = store.scan_rows({kTable, "", "", 1, true});
  if (!last.empty()) next_ = std::strtoull(last.front().key.c_str() + 4, nullptr, 10) + 1;
}

void Outbox::emit(WriteSet& writes, std::string_view type, const std::string& subject,
                  std::int64_t version, std::int64_t time_ms, const std::string& data_json) {
  std::string id = event_id(next_++);
  // Hand-built: the snapshot is JSON already, and this runs for every change.
  std::string event =
      "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"/orderd\",\"type\":";
  json::append_string(event, type);
  event += ",\"subject\":";
  json::append_string(event, subject);
  event += ",\"time\":\"" + durations::format_rfc3339(time_ms) +
           "\",\"datacontenttype\":\"application/json\",\"version\":" + std::to_string(version) +
           ",\"data\":" + data_json + "}";
  writes.put(kTable, std::move(id), std::move(event));
  if (listener_) listener_();
}

}  // namespace orderd::commerce
