#pragma once
// What each kind of resource is, for people and for views: data, never needed to hold one. A
// resource of a kind the table does not describe is counted all the same.
#include <map>
#include <string>
#include <string_view>

namespace orderd::inventory {

struct KindInfo {
  std::string label;        // "Stock", "Seat", "Room-night"
  std::string description;  // "units of a product in one warehouse"
};

class KindTable {
 public:
  void describe(std::string kind, KindInfo info) { kinds_[std::move(kind)] = std::move(info); }
  const KindInfo* find(std::string_view kind) const {
    auto it = kinds_.find(kind);
    return it == kinds_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, KindInfo, std::less<>>& all() const { return kinds_; }

 private:
  std::map<std::string, KindInfo, std::less<>> kinds_;
};

}  // namespace orderd::inventory
