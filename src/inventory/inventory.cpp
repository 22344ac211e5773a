#include "inventory/inventory.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

#include "inventory/inventory_errors.hpp"

namespace orderd::inventory {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

std::string to_string(__int128 n) {
  if (n == 0) return "0";
  const bool negative = n < 0;
  std::string digits;
  while (n != 0) {
    const int d = static_cast<int>(n % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -d : d)));
    n /= 10;
  }
  return negative ? "-" + digits : digits;
}

// I1 and I2 for one resource: what is wrong, or empty.
std::string broken(const ResourceKey& key, const Levels& l, __int128 supplied) {
  if (l.reserved < 0 || l.reserved > l.on_hand || l.sold < 0)
    return "I1 at " + key.text() + ": on_hand " + std::to_string(l.on_hand) + ", reserved " +
           std::to_string(l.reserved) + ", sold " + std::to_string(l.sold);
  const __int128 counted = static_cast<__int128>(l.available()) + l.reserved + l.sold;
  if (counted != supplied)
    return "I2 at " + key.text() + ": available + reserved + sold = " + to_string(counted) +
           ", supplied " + to_string(supplied);
  return {};
}

[[maybe_unused]] void invariant_broken(const std::string& what) {
  std::fprintf(stderr, "inventory invariant broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace

Inventory::Resource* Inventory::find(const ResourceKey& resource) {
  auto it = resources_.find(resource);
  return it == resources_.end() ? nullptr : &it->second;
}

const Levels* Inventory::levels(const ResourceKey& resource) const {
  auto it = resources_.find(resource);
  return it == resources_.end() ? nullptr : &it->second.levels;
}

const Hold* Inventory::find_hold(const std::string& hold_id) const {
  auto it = holds_.find(hold_id);
  return it == holds_.end() ? nullptr : &it->second;
}

std::vector<const Hold*> Inventory::holds_of(const std::string& owner) const {
  std::vector<const Hold*> found;
  auto it = owners_.find(owner);
  if (it == owners_.end()) return found;
  found.reserve(it->second.size());
  for (const auto& id : it->second) found.push_back(&holds_.at(id));
  return found;
}

std::optional<Error> Inventory::set_on_hand(const ResourceKey& resource, std::int64_t on_hand) {
  if (resource.empty()) return errors::invalid_resource();
  if (on_hand < 0) return errors::invalid_quantity("on_hand must not be negative");
  Resource* r = find(resource);
  if (r && on_hand < r->levels.reserved)  // I1
    return errors::stock_reserved(resource, r->levels.reserved);
  if (!r) r = &resources_[resource];
  r->supplied += static_cast<__int128>(on_hand) - r->levels.on_hand;  // I2
  r->levels.on_hand = on_hand;
  check_touched(resource);
  return std::nullopt;
}

std::optional<Error> Inventory::restock(const ResourceKey& resource, std::int64_t units) {
  if (resource.empty()) return errors::invalid_resource();
  if (units < 1) return errors::invalid_quantity("a restock must be at least 1");
  Resource* r = find(resource);
  std::int64_t on_hand = 0;
  // Checked before the resource is created: a refused restock leaves nothing behind (I3).
  if (__builtin_add_overflow(r ? r->levels.on_hand : 0, units, &on_hand))
    return errors::overflow(resource);
  if (!r) r = &resources_[resource];
  r->levels.on_hand = on_hand;
  r->supplied += units;  // I2
  check_touched(resource);
  return std::nullopt;
}

std::optional<Error> Inventory::hold(Hold hold) {
  if (hold.id.empty()) return errors::invalid_hold("a hold needs an id");
  if (hold.lines.empty()) return errors::invalid_hold("hold " + hold.id + " has no lines");
  if (hold.expires_at_ms < 0) return errors::invalid_expiry(hold.expires_at_ms);
  std::unordered_set<std::string_view> named;
  named.reserve(hold.lines.size());
  for (const auto& line : hold.lines) {
    if (line.resource.empty()) return errors::invalid_resource();
    if (line.quantity < 1)
      return errors::invalid_quantity("the quantity of " + line.resource.text() +
                                      " must be at least 1");
    if (!named.insert(line.resource.text()).second)
      return errors::duplicate_resource(line.resource);
  }
  if (holds_.count(hold.id)) return errors::hold_exists(hold.id);
  // Every line decided before any is held (I3).
  std::vector<Resource*> at;
  at.reserve(hold.lines.size());
  for (const auto& line : hold.lines) {
    Resource* r = find(line.resource);
    if (!r) return errors::unknown_resource(line.resource);
    if (r->levels.available() < line.quantity)
      return errors::out_of_stock(line.resource, line.quantity, r->levels.available());
    at.push_back(r);
  }
  // reserved + quantity <= on_hand: no overflow (I1).
  for (std::size_t i = 0; i < at.size(); ++i) at[i]->levels.reserved += hold.lines[i].quantity;
  std::string id = hold.id;
  auto [it, inserted] = holds_.emplace(std::move(id), std::move(hold));
  index(it->second);
  check_touched(it->second.lines, it->first);
  return std::nullopt;
}

std::variant<Hold, Error> Inventory::commit(const std::string& hold_id) {
  return end(hold_id, /*sold=*/true);
}

std::variant<Hold, Error> Inventory::release(const std::string& hold_id) {
  return end(hold_id, /*sold=*/false);
}

std::variant<Hold, Error> Inventory::end(const std::string& hold_id, bool sold) {
  auto it = holds_.find(hold_id);
  if (it == holds_.end()) return errors::hold_not_found(hold_id);  // I4
  std::vector<Resource*> at;
  at.reserve(it->second.lines.size());
  for (const auto& line : it->second.lines) {
    Resource* r = find(line.resource);  // exists: it holds the line (I7)
    std::int64_t unused = 0;
    if (sold && __builtin_add_overflow(r->levels.sold, line.quantity, &unused))
      return errors::overflow(line.resource);  // checked whole before anything moves (I3)
    at.push_back(r);
  }
  Hold ended = std::move(it->second);
  for (std::size_t i = 0; i < at.size(); ++i) {
    const std::int64_t q = ended.lines[i].quantity;
    at[i]->levels.reserved -= q;
    if (sold) {
      at[i]->levels.on_hand -= q;
      at[i]->levels.sold += q;
    }
  }
  holds_.erase(it);
  unindex(ended);
  check_touched(ended.lines, ended.id);
  return ended;
}

std::optional<Error> Inventory::return_sold(const std::vector<HoldLine>& lines) {
  // Summed per resource, and checked whole before anything changes (I3, I5).
  std::unordered_map<ResourceKey, std::int64_t, ResourceKeyHash> returned;
  for (const auto& line : lines) {
    if (line.resource.empty()) return errors::invalid_resource();
    if (line.quantity < 1)
      return errors::invalid_quantity("a returned quantity must be at least 1");
    std::int64_t& units = returned[line.resource];
    if (__builtin_add_overflow(units, line.quantity, &units))
      return errors::overflow(line.resource);
  }
  for (const auto& line : lines) {
    const std::int64_t units = returned.at(line.resource);
    const Resource* r = find(line.resource);
    if (!r) return errors::unknown_resource(line.resource);
    if (r->levels.sold < units) return errors::not_sold(line.resource, units, r->levels.sold);
    std::int64_t unused = 0;
    if (__builtin_add_overflow(r->levels.on_hand, units, &unused))
      return errors::overflow(line.resource);
  }
  for (const auto& line : lines) {
    Resource* r = find(line.resource);
    r->levels.on_hand += line.quantity;
    r->levels.sold -= line.quantity;
  }
  for (const auto& [resource, units] : returned) check_touched(resource);
  return std::nullopt;
}

std::optional<Error> Inventory::set_expiry(const std::string& hold_id, std::int64_t expires_at_ms) {
  if (expires_at_ms < 0) return errors::invalid_expiry(expires_at_ms);
  auto it = holds_.find(hold_id);
  if (it == holds_.end()) return errors::hold_not_found(hold_id);
  Hold& h = it->second;
  if (h.expires_at_ms > 0) expiry_.remove(h.expires_at_ms, h.id);  // I6
  h.expires_at_ms = expires_at_ms;
  if (h.expires_at_ms > 0) expiry_.add(h.expires_at_ms, h.id);
  check_touched({}, hold_id);
  return std::nullopt;
}

std::optional<Error> Inventory::load_level(const ResourceKey& resource, std::int64_t on_hand,
                                           std::int64_t sold) {
  if (resource.empty()) return errors::invalid_resource();
  if (on_hand < 0 || sold < 0) return errors::invalid_quantity("a loaded level is negative");
  Resource* r = find(resource);
  if (r && on_hand < r->levels.reserved)
    return errors::stock_reserved(resource, r->levels.reserved);
  if (!r) r = &resources_[resource];
  r->levels.on_hand = on_hand;
  r->levels.sold = sold;
  r->supplied = static_cast<__int128>(on_hand) + sold;  // I2: what was loaded is the base
  check_touched(resource);
  return std::nullopt;
}

void Inventory::index(const Hold& hold) {
  owners_[hold.owner].insert(hold.id);                                   // I8
  if (hold.expires_at_ms > 0) expiry_.add(hold.expires_at_ms, hold.id);  // I6
}

void Inventory::unindex(const Hold& hold) {
  auto it = owners_.find(hold.owner);
  if (it != owners_.end()) {
    it->second.erase(hold.id);
    if (it->second.empty()) owners_.erase(it);
  }
  if (hold.expires_at_ms > 0) expiry_.remove(hold.expires_at_ms, hold.id);
}

Decision Inventory::decide(const Request& request) {
  const auto done = [](std::optional<Error> error) { return Decision{std::move(error), {}}; };
  const auto ended = [](std::variant<Hold, Error> r) {
    if (auto* e = std::get_if<Error>(&r)) return Decision{std::move(*e), {}};
    return Decision{std::nullopt, std::move(std::get<Hold>(r))};
  };
  return std::visit(
      Overloaded{
          [&](const HoldRequest& r) { return done(hold(r.hold)); },
          [&](const CommitRequest& r) { return ended(commit(r.hold_id)); },
          [&](const ReleaseRequest& r) { return ended(release(r.hold_id)); },
          [&](const ReturnSoldRequest& r) { return done(return_sold(r.lines)); },
          [&](const SetOnHandRequest& r) { return done(set_on_hand(r.resource, r.on_hand)); },
          [&](const RestockRequest& r) { return done(restock(r.resource, r.units)); },
          [&](const SetExpiryRequest& r) { return done(set_expiry(r.hold_id, r.expires_at_ms)); },
      },
      request);
}

std::vector<Decision> Inventory::decide(const std::vector<Request>& requests) {
  std::vector<Decision> decisions;
  decisions.reserve(requests.size());
  for (const auto& request : requests) decisions.push_back(decide(request));
  return decisions;
}

void Inventory::check_touched(const ResourceKey& resource) const {
#ifndef NDEBUG
  auto it = resources_.find(resource);
  if (it == resources_.end()) return;
  if (auto what = broken(it->first, it->second.levels, it->second.supplied); !what.empty())
    invariant_broken(what);
#endif
}

void Inventory::check_touched(const std::vector<HoldLine>& lines,
                              const std::string& hold_id) const {
#ifndef NDEBUG
  for (const auto& line : lines) check_touched(line.resource);
  if (expiry_.size() > holds_.size()) invariant_broken("I6: more expiries than holds");
  const Hold* h = find_hold(hold_id);
  if (!h) return;
  if ((h->expires_at_ms > 0) != expiry_.contains(h->expires_at_ms, h->id))
    invariant_broken("I6 at hold " + hold_id);
  auto owner = owners_.find(h->owner);
  if (owner == owners_.end() || !owner->second.count(h->id))
    invariant_broken("I8 at hold " + hold_id);
#endif
}

std::optional<std::string> Inventory::check_all() const {
  std::unordered_map<ResourceKey, __int128, ResourceKeyHash> held;
  std::size_t expiring = 0;
  for (const auto& [id, h] : holds_) {
    if (id != h.id) return "hold " + id + " is filed under another id";
    for (const auto& line : h.lines) {
      if (line.quantity < 1) return "hold " + id + " has a line < 1";
      if (!resources_.count(line.resource))
        return "hold " + id + " holds unknown " + line.resource.text();
      held[line.resource] += line.quantity;
    }
    if (h.expires_at_ms > 0) {
      ++expiring;
      if (!expiry_.contains(h.expires_at_ms, id)) return "I6: hold " + id + " is not indexed";
    }
    auto owner = owners_.find(h.owner);
    if (owner == owners_.end() || !owner->second.count(id))
      return "I8: hold " + id + " is not under its owner";
  }
  if (expiring != expiry_.size()) return std::string("I6: the index has ended holds");
  std::size_t owned = 0;
  for (const auto& [owner, ids] : owners_) owned += ids.size();
  if (owned != holds_.size()) return std::string("I8: the owner index has ended holds");
  for (const auto& [key, r] : resources_) {
    if (auto what = broken(key, r.levels, r.supplied); !what.empty()) return what;
    auto it = held.find(key);
    const __int128 sum = it == held.end() ? 0 : it->second;
    if (sum != r.levels.reserved)
      return "I7 at " + key.text() + ": reserved " + std::to_string(r.levels.reserved) +
             ", holds " + to_string(sum);
  }
  return std::nullopt;
}

}  // namespace orderd::inventory
