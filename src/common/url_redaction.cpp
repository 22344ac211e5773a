#include "common/url_redaction.hpp"

namespace orderd {
namespace {

// One server's URL, scheme optional ("user:pass@host:4222" is what some clients accept too).
void append_redacted(std::string& out, std::string_view entry) {
  const std::size_t scheme = entry.find("://");
  const std::size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t at = entry.rfind('@');
  if (at == std::string_view::npos || at < authority) {
    out.append(entry);
    return;
  }
  out.append(entry.substr(0, authority));
  out.append(entry.substr(at + 1));
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  for (;;) {
    const std::size_t comma = url.find(',');
    append_redacted(out, url.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    out.push_back(',');
    url.remove_prefix(comma + 1);
  }
}

}  // namespace orderd
