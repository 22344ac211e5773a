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
    case EntryKind::kCancel:
      return "cancel";
    case EntryKind::kAwakeable:
      return "awakeable";
    case EntryKind::kGetState:
      return "get";
    case EntryKind::kSetState:
      return "set";
    case EntryKind::kClearState:
      return "clear";
    case EntryKind::kGetPromise:
      return "promise";
    case EntryKind::kPeekPromise:
      return "peek";
    case EntryKind::kCompletePromise:
      return "complete-promise";
    case EntryKind::kTransact:
      return "transact";
    case EntryKind::kEffect:
      return "effect";
  }
  return "unknown";
}

const char* to_string(InvocationStatus status) noexcept {
  switch (status) {
    case InvocationStatus::kRunning:
      return "running";
    case InvocationStatus::kSucceeded:
      return "succeeded";
    case InvocationStatus::kFailed:
      return "failed";
    case InvocationStatus::kPaused:
      return "paused";
  }
  return "unknown";
}

}  // namespace orderd::store
