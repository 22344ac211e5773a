#include "store/records.hpp"

namespace orderd::store {

const char* to_string(EntryKind kind) noexcept {
  switch (kind) {
    case EntryKind::kCall:
      return "call";
    case EntryKind::kRun:
      return "run";
    case EntryKind::kSleep:
      return "sleep";
    case EntryKind::kWait:
      return "wait";
  }
  return "unknown";
}

}  // namespace orderd::store
