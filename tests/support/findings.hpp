#pragma once
// What an end-to-end test's checks found, by kind: the first few of each kind in full, the rest
// only counted, so that one broken invariant over hundreds of orders stays readable.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace orderd::testing {

class Findings {
 public:
  enum class Mode {
    // Kept until report(): a test of the checks themselves looks at them (has, kinds) instead.
    kCollect,
    // Each shown finding is a test failure at once, so none is lost if an ASSERT ends the test
    // before report(), which then adds only the counts.
    kFailAtOnce,
  };
  static constexpr std::size_t kShown = 6;

  explicit Findings(Mode mode = Mode::kCollect) : mode_(mode) {}

  void add(const std::string& kind, const std::string& message);
  bool empty() const { return counts_.empty(); }
  bool has(const std::string& kind) const { return counts_.count(kind) > 0; }
  // "\n  kind (n)" for each kind, or " none".
  std::string kinds() const;
  // As test failures, each prefixed "where: " when `where` is given.
  void report(const std::string& where = "") const;

 private:
  Mode mode_;
  std::map<std::string, std::vector<std::string>> by_kind_;  // the shown ones (kCollect)
  std::map<std::string, std::size_t> counts_;
};

}  // namespace orderd::testing
