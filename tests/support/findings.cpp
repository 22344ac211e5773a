#include "support/findings.hpp"

#include <gtest/gtest.h>

namespace orderd::testing {

namespace {

std::string prefix(const std::string& where) {
  return where.empty() ? std::string() : where + ": ";
}

}  // namespace

void Findings::add(const std::string& kind, const std::string& message) {
  if (++counts_[kind] > kShown) return;
  if (mode_ == Mode::kFailAtOnce)
    ADD_FAILURE() << kind << ": " << message;
  else
    by_kind_[kind].push_back(message);
}

std::string Findings::kinds() const {
  std::string all;
  for (const auto& [kind, n] : counts_) all += "\n  " + kind + " (" + std::to_string(n) + ")";
  return all.empty() ? " none" : all;
}

void Findings::report(const std::string& where) const {
  for (const auto& [kind, n] : counts_) {
    if (auto list = by_kind_.find(kind); list != by_kind_.end())
      for (const auto& message : list->second)
        ADD_FAILURE() << prefix(where) << kind << ": " << message;
    if (n > kShown)
      ADD_FAILURE() << prefix(where) << kind << ": " << n << " cases in all (" << kShown
                    << " shown)";
  }
}

}  // namespace orderd::testing
