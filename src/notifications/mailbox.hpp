#pragma once
// The mailbox: every notification orderd has sent, kept as rows (no memory: listings read them
// on demand), so GET /api/v1/notifications pages through them and a test sees what was sent.
//
// M1. A delivery writes its row (`notifications`, id -> the Notification's JSON) and all its
//     index rows (`notification_index`, key -> "") in one WriteSet, so in the transaction of
//     the step that delivered it: a listing never sees one without the other.
// M2. Every filtered listing is the reverse scan of one index prefix, and a confined one (a
//     customer's) scans a prefix that starts with its customer, so pages, `has_more` and
//     cursors are the scan's: nothing is filtered after paging.
// M3. Index keys are built of length-prefixed parts ("to/13:a@example.com/<id>"), so no value
//     (an address, a customer's `sub`) can reach into a prefix of another.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "engine/write_set.hpp"
#include "notifications/notification.hpp"

namespace orderd::notifications {

struct MailboxOptions {
  // For tests (--mailbox-fail-first): the first N deliveries throw std::runtime_error, a
  // transient failure the engine retries, as a flaky mail server would be.
  std::uint32_t fail_first = 0;
};

// What a listing is narrowed to: at most one of to, trip_id, order_id; `customer` (a confined
// caller's subject) narrows it further, or alone.
struct NotificationFilter {
  std::string to;
  std::string trip_id;
  std::string order_id;
  std::optional<std::string> customer;
};

class Mailbox {
 public:
  static constexpr const char* kTable = "notifications";
  static constexpr const char* kIndexTable = "notification_index";

  explicit Mailbox(MailboxOptions options = {}) : failures_left_(options.fail_first) {}

  // Writes the notification `id` (M1), sent at `now_ms`. An invalid request (N1) is an Error
  // and writes nothing; one of the first fail_first calls throws std::runtime_error instead.
  std::variant<Notification, Error> deliver(const SendEmail& request, std::string id,
                                            std::int64_t now_ms, WriteSet& writes);

  // The table and key prefix a listing scans (M2); the prefix is empty for the whole table
  // (whose keys are the ids), else it ends in '/' and the id follows it.
  struct Scan {
    std::string table;
    std::string prefix;
  };
  static Scan scan_for(const NotificationFilter& filter);
  // Every index key of `n` (M1, M3).
  static std::vector<std::string> index_keys(const Notification& n);
  static Notification decode(const std::string& stored);

  // The knob's failures still to come (for tests: that the failures did happen).
  std::uint32_t failures_left() const { return failures_left_.load(); }

 private:
  std::atomic<std::uint32_t> failures_left_;
};

}  // namespace orderd::notifications
