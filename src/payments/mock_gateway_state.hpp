#pragma once
// The mock gateway's state file (--mock-gateway-state): what "the processor" carried out, kept
// outside orderd's process so that it outlives a kill -9 of orderd, as a real processor does,
// and so that a test of the real binary can count what the gateway really did.
//
// Format: one JSON object a line, appended in the order the operations were carried out:
//   {"key":"authorize/order:ord_…","op":{GatewayOperation},"answer":{GatewayReply}}
// Only operations under a new key are written (an answer given again under a known key is not
// an operation). Invariants:
//   G1 A line is written, whole, with one write(2) before its answer is handed back: an answer
//      orderd saw is in the file (the page cache keeps it across a kill -9 of orderd; there is
//      no fsync, so a power loss may lose the tail: this is a mock, not a processor).
//   G2 A last line without its newline (orderd killed mid-write) was never answered: readers
//      ignore it, and the writer cuts it off before appending.
//   G3 One writer at a time: the writer holds an flock on the file; a second one is refused.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "payments/payment_gateway.hpp"

namespace orderd::payments {

// What the gateway did for one owner: distinct keys that succeeded, per operation (a void of
// an authorization never made, "nothing to void", counts as a void).
struct MoneyCount {
  std::uint32_t authorized = 0;
  std::uint32_t captured = 0;
  std::uint32_t voided = 0;
  std::uint32_t refunded = 0;
  bool operator==(const MoneyCount&) const = default;
};

// One operation the gateway carried out: its key, what was asked, what it answered.
struct GatewayRecord {
  std::string key;
  GatewayOperation op;
  GatewayReply answer;
};

// The whole lines of the state file at `path`, in order (G2); none when it does not exist.
// Throws std::runtime_error naming the file and line when a whole line is not a record.
std::vector<GatewayRecord> read_gateway_records(const std::string& path);

// Per owner, the operations that succeeded in the state file at `path`, one per line: what a
// test of the real binary counts (every confirmed order authorized once and captured once...).
// A key carried out twice (a gateway that forgot it) counts twice.
std::map<std::string, MoneyCount> read_gateway_state(const std::string& path);

// The writer, for the one gateway that owns the file (G3).
class GatewayStateFile {
 public:
  // Opens (creates) `path`, locks it, reads its records back and cuts off a torn last line.
  // Throws std::runtime_error when it cannot, or when another gateway holds it.
  explicit GatewayStateFile(std::string path);
  ~GatewayStateFile();
  GatewayStateFile(const GatewayStateFile&) = delete;
  GatewayStateFile& operator=(const GatewayStateFile&) = delete;

  // The records found at opening, for the gateway to replay.
  const std::vector<GatewayRecord>& loaded() const { return loaded_; }
  // Appends `record` as one line with one write(2) (G1). False when the write failed (the
  // file is then cut back to its last whole line, and the operation must not be answered).
  bool append(const GatewayRecord& record);

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // bytes of whole lines
  std::vector<GatewayRecord> loaded_;
};

}  // namespace orderd::payments
