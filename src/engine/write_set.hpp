#pragma once
// The rows a journaled step writes to its domain's tables, and typed tables over them.
//
// A domain declares its tables once (registry.add_table("stock")) and writes rows of its own
// types through Table<Row>; the engine commits them in the same transaction as the journal entry
// of the step that decided them (Context::transact), so no store ever holds one without the
// other. Adding a table or a kind of row never touches the engine's or the store's code.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.hpp"
#include "store/rows.hpp"

namespace orderd {

class WriteSet {
 public:
  void put(std::string table, std::string key, std::string value) {
    rows_.push_back({std::move(table), std::move(key), std::move(value)});
  }
  void erase(std::string table, std::string key) {
    rows_.push_back({std::move(table), std::move(key), std::nullopt});
  }
  bool empty() const { return rows_.empty(); }
  const std::vector<store::RowWrite>& rows() const { return rows_; }
  std::vector<store::RowWrite> take() { return std::exchange(rows_, {}); }

 private:
  std::vector<store::RowWrite> rows_;
};

// A domain table whose rows are `Row`s, stored as JSON through Boost.JSON's value_from /
// value_to customisations.
template <class Row>
class Table {
 public:
  explicit Table(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  void put(WriteSet& writes, std::string key, const Row& row) const {
    writes.put(name_, std::move(key), json::dump(boost::json::value_from(row)));
  }
  void erase(WriteSet& writes, std::string key) const { writes.erase(name_, std::move(key)); }
  Row decode(const std::string& stored) const {
    return boost::json::value_to<Row>(boost::json::parse(stored));
  }

 private:
  std::string name_;
};

}  // namespace orderd
