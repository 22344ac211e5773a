#pragma once
// How the commerce parts keep their rows: each value is its type's JSON (tag_invoke), and a
// part loads a table whole at start, a page at a time.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <string>
#include <vector>

#include "common/json_writer.hpp"
#include "store/rows.hpp"
#include "store/store.hpp"

namespace orderd::commerce {

template <class T>
std::string row_json(const T& value) {
  return json::dump(boost::json::value_from(value));
}

template <class T>
T from_row(const std::string& text) {
  return boost::json::value_to<T>(boost::json::parse(text));
}

// Every row of `table`, in key order, a page at a time.
template <class Visit>
void scan_all(store::Store& store, const std::string& table, Visit visit) {
  constexpr std::size_t kPage = 10'000;
  std::string from;
  for (;;) {
    std::vector<store::Row> rows = store.scan_rows({table, from, "", kPage, false});
    for (const auto& row : rows) visit(row);
    if (rows.size() < kPage) return;
    from = rows.back().key;
    from.push_back('\0');  // the first key after it
  }
}

}  // namespace orderd::commerce
