#pragma once
// The embedded default store: one SQLite file in WAL mode, written by one thread that commits
// whatever has queued up as a single transaction (group commit), so durability costs one fsync per
// batch, not per step.
#include <memory>
#include <string>

#include "store/store.hpp"

namespace orderd::store {

struct SqliteOptions {
  std::string path;  // the database file; created if missing
  bool synchronous_full =
      true;  // fsync every commit (power-loss safe); false = NORMAL (crash safe)
  std::size_t max_batch_writes = 8192;
};

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options);

}  // namespace orderd::store
