#include "common/ids.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace orderd::ids {
namespace {

// Crockford's base32 alphabet, lower-cased: ascending in ASCII, so ids compare as their bits do
// and sort by creation time.
constexpr char kBase32[] = "0123456789abcdefghjkmnpqrstvwxyz";

std::string encode_id(const unsigned char* bytes, std::size_t count) {
  std::string out = "inv_";
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < count && out.size() < 30; ++i) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 5 && out.size() < 30) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  return out;
}

}  // namespace

// Layout: "inv_" + 48 bits of millisecond time + 82 random bits, in 26 base32 characters. Ids sort
// by creation time, so the store's B-trees grow at their right edge instead of at random pages.
//
// Monotonic within a process (as ULIDs are): in the same millisecond, or when the clock steps
// back, the previous id's random part is incremented. So id order is arrival order, which the
// per-key queues of virtual objects rely on after a restart.
std::string new_invocation_id() {
  static std::mutex mutex;
  static std::array<unsigned char, 17> last{};
  std::array<unsigned char, 17> bytes{};
  auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(now_ms >> (8 * (5 - i)));
  std::lock_guard lock(mutex);
  if (std::memcmp(bytes.data(), last.data(), 6) <= 0) {
    // The id encodes 130 of the 136 bits: the lowest encoded bit is bit 6 of the last byte.
    bytes = last;
    unsigned carry = 0x40;
    for (int i = 16; i >= 6 && carry; --i) {
      unsigned sum = bytes[i] + carry;
      bytes[i] = static_cast<unsigned char>(sum);
      carry = sum >> 8;
    }
  } else if (RAND_bytes(bytes.data() + 6, 11) != 1) {
    throw std::runtime_error("no randomness for invocation id");
  }
  last = bytes;
  return encode_id(bytes.data(), bytes.size());
}

std::string invocation_id_from(std::int64_t ms_since_epoch, std::uint64_t seed,
                               std::uint32_t sequence) {
  std::array<unsigned char, 17> bytes{};
  auto t = static_cast<std::uint64_t>(ms_since_epoch);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * (5 - i)));
  // Sequence first, so ids of one millisecond sort in creation order; then the seed.
  for (int i = 0; i < 4; ++i) bytes[6 + i] = static_cast<unsigned char>(sequence >> (8 * (3 - i)));
  for (int i = 0; i < 7; ++i) bytes[10 + i] = static_cast<unsigned char>(seed >> (8 * i));
  return encode_id(bytes.data(), bytes.size());
}

// A child keeps its parent's first 14 characters (time and some randomness), so a parent and its
// children sit side by side in the store, and adds 12 characters (60 bits) of a hash of
// (parent, index).
std::string child_invocation_id(std::string_view parent, std::uint32_t index) {
  std::string material(parent);
  material.push_back('/');
  material += std::to_string(index);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
  std::string id(parent.substr(0, std::min<std::size_t>(parent.size(), 18)));
  id += encode_id(digest, sizeof digest).substr(4, 30 - id.size());
  return id;
}

std::string id_time_prefix(std::int64_t ms_since_epoch) {
  std::array<unsigned char, 6> bytes{};
  auto t = static_cast<std::uint64_t>(ms_since_epoch);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * (5 - i)));
  return encode_id(bytes.data(), bytes.size()).substr(0, 4 + 9);  // 45 whole bits of time
}

std::string awakeable_id(std::string_view invocation_id, std::uint32_t index) {
  std::string id = "awk_";
  id.append(invocation_id);
  id.push_back('_');
  id += std::to_string(index);
  return id;
}

bool parse_awakeable_id(std::string_view awakeable, std::string& invocation_id,
                        std::uint32_t& index) {
  if (awakeable.substr(0, 4) != "awk_") return false;
  awakeable.remove_prefix(4);
  auto sep = awakeable.rfind('_');
  if (sep == std::string_view::npos || sep + 1 == awakeable.size()) return false;
  auto digits = awakeable.substr(sep + 1);
  std::uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9' || n > 100'000'000) return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  invocation_id = std::string(awakeable.substr(0, sep));
  index = static_cast<std::uint32_t>(n);
  return invocation_id.rfind("inv_", 0) == 0;
}

std::uint64_t seed_from(std::string_view invocation_id) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(invocation_id.data()), invocation_id.size(),
         digest);
  std::uint64_t seed;
  std::memcpy(&seed, digest, sizeof seed);
  return seed;
}

std::uint64_t DeterministicRandom::next_u64() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double DeterministicRandom::next_double() {
  return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

std::string DeterministicRandom::next_uuid() {
  std::uint64_t hi = next_u64(), lo = next_u64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace orderd::ids
