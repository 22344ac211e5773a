#include "inventory/resource_key.hpp"

namespace orderd::inventory {
namespace {

bool kind_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool control_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

}  // namespace

std::optional<ResourceKey> ResourceKey::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return of(text.substr(0, slash), text.substr(slash + 1));
}

std::optional<ResourceKey> ResourceKey::of(std::string_view kind, std::string_view id) {
  if (kind.empty() || kind[0] < 'a' || kind[0] > 'z' || id.empty()) return std::nullopt;
  for (char c : kind)
    if (!kind_char(c)) return std::nullopt;
  for (char c : id)
    if (control_char(c)) return std::nullopt;
  std::string text;
  text.reserve(kind.size() + 1 + id.size());
  text.append(kind).append("/").append(id);
  return ResourceKey(std::move(text));
}

std::string_view ResourceKey::kind() const {
  const std::string_view t = text_;
  return t.substr(0, t.find('/'));  // the empty key: ""
}

std::string_view ResourceKey::id() const {
  const std::size_t slash = text_.find('/');
  return slash == std::string::npos ? std::string_view()
                                    : std::string_view(text_).substr(slash + 1);
}

}  // namespace orderd::inventory
