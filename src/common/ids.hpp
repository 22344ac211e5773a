#pragma once
// Invocation ids and the deterministic randomness derived from them.
#include <cstdint>
#include <string>
#include <string_view>

namespace orderd::ids {

// A fresh id for an invocation a client starts: "inv_" + 26 base32 characters (130 random bits).
std::string new_invocation_id();
// An id with the same layout from given parts: for simulations that replay from a seed. Ids from
// one source stay monotonic when `sequence` grows with every id.
std::string invocation_id_from(std::int64_t ms_since_epoch, std::uint64_t seed,
                               std::uint32_t sequence);

// The id of the child started by journal step `index` of `parent`. Deterministic, so a replayed
// call step names the same child and can never start a second one.
std::string child_invocation_id(std::string_view parent, std::uint32_t index);

// "inv_" + the first 9 characters every id created at `ms_since_epoch` starts with. Ids created
// at least 8 ms earlier compare less: a key range for sweeps by age.
std::string id_time_prefix(std::int64_t ms_since_epoch);

// An awakeable's id names its invocation and journal step: "awk_" + invocation id + "_" + index.
std::string awakeable_id(std::string_view invocation_id, std::uint32_t index);
// The (invocation id, index) an awakeable id names; false when it is not one.
bool parse_awakeable_id(std::string_view awakeable, std::string& invocation_id,
                        std::uint32_t& index);

// A 64-bit seed from an invocation id: replays of the same invocation draw the same numbers.
std::uint64_t seed_from(std::string_view invocation_id);

// splitmix64: tiny, fast, and good enough for simulated decisions and uuids.
class DeterministicRandom {
 public:
  explicit DeterministicRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next_u64();
  double next_double();     // [0, 1)
  std::string next_uuid();  // RFC 4122 version 4 layout

 private:
  std::uint64_t state_;
};

}  // namespace orderd::ids
