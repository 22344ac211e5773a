#pragma once
// Domain rows: the tables a domain (stock, orders, payments, an outbox) keeps beside the journal.
//
// A domain table maps an ordered key to a value (JSON text). Keys compare as bytes, so a domain
// lays its keys out to serve the scans it needs: "100/" + an id that sorts by time gives one
// user's orders in time order, and a reversed scan gives them newest first. A secondary index is
// a second table the domain writes in the same write set.
//
// Row writes travel in the store's ordered batches (Write::Op::kRows) with the journal entry that
// decided them, so both commit in one transaction: every store keeps that (store.hpp, invariant
// 1). The engine never interprets a row.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace orderd::store {

struct RowWrite {
  std::string table;
  std::string key;
  std::optional<std::string> value;  // nullopt: delete the row
};

struct Row {
  std::string key;
  std::string value;
};

// Rows of one table with from <= key < to (an empty `to`: no upper bound), in key order, or in
// reverse order (the greatest keys first) when `reverse`.
struct RowRange {
  std::string table;
  std::string from;
  std::string to;
  std::size_t limit = 100;
  bool reverse = false;
};

// The range of every key that starts with `prefix`.
inline RowRange prefix_range(std::string table, const std::string& prefix, std::size_t limit,
                             bool reverse = false) {
  std::string to = prefix;
  // The first key past every key with the prefix: the prefix with its last byte below 0xff
  // incremented (and the 0xff bytes after it dropped).
  while (!to.empty() && static_cast<unsigned char>(to.back()) == 0xff) to.pop_back();
  if (!to.empty()) to.back() = static_cast<char>(static_cast<unsigned char>(to.back()) + 1);
  return RowRange{std::move(table), prefix, std::move(to), limit, reverse};
}

}  // namespace orderd::store
