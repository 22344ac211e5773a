#include "payments/mock_gateway_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "common/json_fields.hpp"

namespace orderd::payments {
namespace {

std::runtime_error file_error(const std::string& path, const std::string& what) {
  return std::runtime_error("mock gateway state file " + path + ": " + what);
}

std::string system_error_text() {
  return std::strerror(errno);
}

GatewayRecord parse_record(const std::string& line) {
  const boost::json::value v = boost::json::parse(line);  // throws on bad JSON
  const auto& o = json::as_object(v);
  const auto* op = o.if_contains("op");
  const auto* answer = o.if_contains("answer");
  if (!op || !answer) throw std::runtime_error("a record needs op and answer");
  return {json::require_string(o, "key"), boost::json::value_to<GatewayOperation>(*op),
          boost::json::value_to<GatewayReply>(*answer)};
}

// The records of `text`'s whole lines (G2); `whole_bytes` is where the last one ends.
std::vector<GatewayRecord> parse_records(const std::string& text, const std::string& path,
                                         std::uint64_t& whole_bytes) {
  std::vector<GatewayRecord> records;
  std::size_t begin = 0;
  for (std::size_t line_number = 1;; ++line_number) {
    const std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) break;  // no newline: torn by a kill mid-write, never answered
    try {
      records.push_back(parse_record(text.substr(begin, end - begin)));
    } catch (const std::exception& e) {
      throw file_error(
          path, "line " + std::to_string(line_number) + " is not a record (" + e.what() + ")");
    }
    begin = end + 1;
  }
  whole_bytes = begin;
  return records;
}

std::string read_all(int fd, const std::string& path) {
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw file_error(path, "cannot read it: " + system_error_text());
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string line_of(const GatewayRecord& record) {
  const boost::json::value v = {{"key", record.key},
                                {"op", boost::json::value_from(record.op)},
                                {"answer", boost::json::value_from(record.answer)}};
  return boost::json::serialize(v) + "\n";
}

}  // namespace

std::vector<GatewayRecord> read_gateway_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  std::uint64_t whole_bytes = 0;
  return parse_records(text.str(), path, whole_bytes);
}

std::map<std::string, MoneyCount> read_gateway_state(const std::string& path) {
  std::map<std::string, MoneyCount> owners;
  for (const auto& record : read_gateway_records(path)) {
    MoneyCount& count = owners[record.op.owner];
    if (!record.answer.succeeded()) continue;
    switch (record.op.type) {
      case PaymentOp::kAuthorize:
        ++count.authorized;
        break;
      case PaymentOp::kCapture:
        ++count.captured;
        break;
      case PaymentOp::kVoid:
        ++count.voided;
        break;
      case PaymentOp::kRefund:
        ++count.refunded;
        break;
    }
  }
  return owners;
}

GatewayStateFile::GatewayStateFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw file_error(path_, "cannot open it: " + system_error_text());
  try {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)  // G3
      throw file_error(path_, errno == EWOULDBLOCK ? "another gateway (orderd) is using it"
                                                   : "cannot lock it: " + system_error_text());
    loaded_ = parse_records(read_all(fd_, path_), path_, size_);
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0)  // G2: the torn line goes
      throw file_error(path_, "cannot cut off its torn last line: " + system_error_text());
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

GatewayStateFile::~GatewayStateFile() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

bool GatewayStateFile::append(const GatewayRecord& record) {
  const std::string line = line_of(record);
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Not written whole: cut the part back off, so the next line starts a line (G2).
      [[maybe_unused]] const int ignored = ::ftruncate(fd_, static_cast<off_t>(size_));
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  size_ += line.size();
  return true;
}

}  // namespace orderd::payments
