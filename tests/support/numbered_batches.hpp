#pragma once
// A run of numbered batches for the power-loss tests: batch b creates an invocation, appends
// three journal entries and writes rows and state, each naming b, so what survives a crash can be
// told apart batch by batch (whole, absent, or partial: a broken store).
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "support/store_writes.hpp"

namespace orderd::testing {

// n as at least three digits, so that numbers sort as their keys do.
inline std::string padded(std::size_t n) {
  std::string digits = std::to_string(n);
  return std::string(digits.size() < 3 ? 3 - digits.size() : 0, '0') + digits;
}

inline std::vector<store::Write> numbered_batch(std::size_t b) {
  using namespace writes;
  const std::string id = "inv_" + padded(b);
  auto record = invocation(id);
  record.input = std::to_string(b);
  std::vector<store::Write> batch{create(record)};
  for (std::uint32_t i = 0; i < 3; ++i)
    batch.push_back(append(id, i, std::to_string(b) + "/" + std::to_string(i)));
  batch.push_back(rows({put_row("ledger", padded(b), std::to_string(b)),
                        put_row("meta", "last", std::to_string(b))}));
  batch.push_back(put_state("Counter", "c", "last", std::to_string(b)));
  return batch;
}

inline std::vector<std::vector<store::Write>> numbered_batches(std::size_t n) {
  std::vector<std::vector<store::Write>> batches;
  for (std::size_t b = 0; b < n; ++b) batches.push_back(numbered_batch(b));
  return batches;
}

enum class BatchFound { kWhole, kAbsent, kPartial };

inline std::ostream& operator<<(std::ostream& out, BatchFound found) {
  return out << (found == BatchFound::kWhole    ? "whole"
                 : found == BatchFound::kAbsent ? "absent"
                                                : "partial");
}

inline BatchFound find_numbered_batch(store::Store& s, std::size_t b) {
  const std::string id = "inv_" + padded(b);
  auto record = s.find_invocation(id);
  auto journal = s.load_journal(id);
  auto row = s.read_row("ledger", padded(b));
  if (!record && journal.empty() && !row) return BatchFound::kAbsent;
  bool whole = record && record->input == std::to_string(b) && journal.size() == 3 && row &&
               *row == std::to_string(b);
  for (std::uint32_t i = 0; whole && i < 3; ++i)
    whole = journal[i].payload == std::to_string(b) + "/" + std::to_string(i);
  return whole ? BatchFound::kWhole : BatchFound::kPartial;
}

}  // namespace orderd::testing
