#pragma once
// The name of a countable resource: "<kind>/<id>" ("stock/42@east", "seat/UA100/2024-12-15",
// "room/hilton-nyc/2024-12-15"). The kind is the text before the first '/': data, not code, so a
// new kind of resource needs no new type (kind_table.hpp may describe it).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace orderd::inventory {

class ResourceKey {
 public:
  // The empty key: names no resource (every operation refuses it).
  ResourceKey() = default;

  // A key from its text, or nullopt when it is not "<kind>/<id>" with a kind of [a-z0-9_-]
  // starting with a letter and an id of at least one byte, none of them a control character.
  static std::optional<ResourceKey> parse(std::string_view text);
  static std::optional<ResourceKey> of(std::string_view kind, std::string_view id);

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  std::string_view kind() const;
  std::string_view id() const;

  auto operator<=>(const ResourceKey&) const = default;
  bool operator==(const ResourceKey&) const = default;

 private:
  explicit ResourceKey(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

struct ResourceKeyHash {
  std::size_t operator()(const ResourceKey& key) const noexcept {
    return std::hash<std::string>{}(key.text());
  }
};

}  // namespace orderd::inventory
