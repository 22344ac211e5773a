#pragma once
// The inventory: countable resources (resource_key.hpp) and the holds on them. Pure logic, no
// engine, no I/O, no JSON: one thread owns an Inventory and decides on it (see decide()); the
// caller writes the rows that make a decision durable. The shop's stock is one user
// (commerce/stock/stock_ledger.hpp, kind "stock"); a flight's seats and a hotel's room-nights
// are the next.
//
// Invariants, kept by every operation (each applies whole or changes nothing, I3), asserted
// after every operation in debug builds on what it touched, and whole by check_all():
//  I1. 0 <= reserved <= on_hand and 0 <= sold, per resource.
//  I2. Conservation, per resource: available + reserved + sold == supplied, where supplied is
//      the on_hand and sold loaded, plus every restock, plus what set_on_hand added, minus what
//      it took away. A commit moves units from on_hand (reserved) to sold, a return from sold
//      back to on_hand; neither changes supplied. (Kept as a 128-bit count: on_hand and sold
//      may each come near 2^63.)
//  I3. All or nothing: an operation that returns an error changed nothing; a hold holds every
//      line or none.
//  I4. A hold ends once: committed (its units sold) or released (available again), never both;
//      after that its id names nothing (a new hold may reuse it).
//  I5. A return gives back at most what the resource has sold, and is refused whole if on_hand
//      would pass 2^63 - 1.
//  I6. The expiry index holds exactly (expires_at, id) of every open hold with expires_at > 0.
//  I7. reserved == the sum of the open holds' quantities on the resource (so a reservation can
//      never outlive, or lack, its hold: loading takes reserved from the holds, not from a row).
//  I8. The owner index lists exactly the open holds of each owner.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "inventory/expiry_queue.hpp"
#include "inventory/hold.hpp"
#include "inventory/kind_table.hpp"
#include "inventory/requests.hpp"
#include "inventory/resource_key.hpp"

namespace orderd::inventory {

class Inventory {
 public:
  // ---- Resources. Errors: invalid_argument/invalid_resource (the empty key),
  // invalid_argument/invalid_quantity (negative, < 1 for a restock, or past 2^63 - 1).
  // set_on_hand refuses to go below what is reserved there: conflict/stock_reserved, details
  // {resource, reserved}. Both create the resource if it is new.
  std::optional<Error> set_on_hand(const ResourceKey& resource, std::int64_t on_hand);
  std::optional<Error> restock(const ResourceKey& resource, std::int64_t units);
  const Levels* levels(const ResourceKey& resource) const;
  std::size_t resource_count() const { return resources_.size(); }

  // ---- Holds. hold() takes every line or none (I3). Errors, in this order:
  // invalid_argument/invalid_hold (empty id, no lines), invalid_argument/invalid_expiry (< 0),
  // invalid_argument/invalid_quantity (a line < 1), invalid_argument/duplicate_resource (a
  // resource on two lines), conflict/hold_exists (an open hold has the id),
  // not_found/unknown_resource (details {resource}), conflict/out_of_stock (details
  // {resource, requested, available}; the first line short).
  std::optional<Error> hold(Hold hold);
  // End a hold (I4): its units sold, or available again. not_found/hold_not_found for an id no
  // open hold has; commit refuses invalid_argument/invalid_quantity if sold would overflow.
  std::variant<Hold, Error> commit(const std::string& hold_id);
  std::variant<Hold, Error> release(const std::string& hold_id);
  // Sold units back on hand (a refunded sale), whole or not at all (I5). Errors:
  // invalid_argument/invalid_quantity (a line < 1, or a sum or on_hand past 2^63 - 1),
  // not_found/unknown_resource, conflict/not_sold (details {resource, returned, sold}).
  std::optional<Error> return_sold(const std::vector<HoldLine>& lines);
  // When the hold expires; 0: never (an order took it over). not_found/hold_not_found,
  // invalid_argument/invalid_expiry.
  std::optional<Error> set_expiry(const std::string& hold_id, std::int64_t expires_at_ms);

  const Hold* find_hold(const std::string& hold_id) const;
  // The owner's open holds, in id order (the reclaim asks each owner's recorded state).
  std::vector<const Hold*> holds_of(const std::string& owner) const;
  const std::unordered_map<std::string, Hold>& holds() const { return holds_; }

  // ---- Expiry (I6): the earliest expires_at of an open hold, and the holds due at now_ms
  // (expires_at <= now_ms), oldest first, at most `limit`. O(log n) (+ the ids returned).
  std::optional<std::int64_t> next_expiry() const { return expiry_.next(); }
  std::vector<std::string> expired(std::int64_t now_ms, std::size_t limit) const {
    return expiry_.due(now_ms, limit);
  }

  // ---- Batches: each request applied in order, one Decision each. This is the unit a
  // partition's owner thread runs for the requests other threads queued to it; a refused request
  // changes nothing and does not stop the ones after it.
  std::vector<Decision> decide(const std::vector<Request>& requests);
  Decision decide(const Request& request);

  // ---- Loading what the rows say, at start: every resource's on_hand and sold, then every
  // open hold (which checks as hold() does, and makes `reserved`: I7). Loading a resource that
  // exists replaces its on_hand and sold.
  std::optional<Error> load_level(const ResourceKey& resource, std::int64_t on_hand,
                                  std::int64_t sold);
  std::optional<Error> load_hold(Hold hold) { return this->hold(std::move(hold)); }

  KindTable& kinds() { return kinds_; }
  const KindTable& kinds() const { return kinds_; }

  // I1-I8 over everything: the first one broken, described; nullopt when all hold. For tests
  // and for a check after loading; O(resources + hold lines).
  std::optional<std::string> check_all() const;

 private:
  struct Resource {
    Levels levels;
    __int128 supplied = 0;  // I2
  };
  Resource* find(const ResourceKey& resource);
  void index(const Hold& hold);
  void unindex(const Hold& hold);
  std::variant<Hold, Error> end(const std::string& hold_id, bool sold);
  // Debug builds: I1, I2 on the resources touched, I6, I8 on the hold touched.
  void check_touched(const std::vector<HoldLine>& lines, const std::string& hold_id) const;
  void check_touched(const ResourceKey& resource) const;

  std::unordered_map<ResourceKey, Resource, ResourceKeyHash> resources_;
  std::unordered_map<std::string, Hold> holds_;
  std::unordered_map<std::string, std::set<std::string>> owners_;  // I8
  ExpiryQueue expiry_;                                             // I6
  KindTable kinds_;
};

}  // namespace orderd::inventory
