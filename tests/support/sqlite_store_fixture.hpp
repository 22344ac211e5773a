#pragma once
// The store contract's fixture for SqliteStore (support/store_contract.hpp): a file in a fresh
// temporary directory. A restart closes the store and opens the file again; refused batches and
// power loss run the writer in a forked child process, because SQLite's writer stops its process
// on a failed write, and a killed process is the real way to lose what was not yet committed:
// the child SIGKILLs itself after the k-th on_durable, between batches or at one of its next
// writes (support/killing_vfs.hpp).
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_store.hpp"
#include "support/latch.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {

class SqliteStoreFixture {
 public:
  SqliteStoreFixture();
  ~SqliteStoreFixture();

  store::Store& store() { return *store_; }
  bool await(Latch& latch);
  void restart();
  bool submit_refused(std::vector<store::Write> batch);
  std::size_t lose_power(const std::vector<std::vector<store::Write>>& batches, std::size_t k);

  // For the SQLite-specific tests, which read the file directly.
  const std::string& path() const { return path_; }
  void close_for_good() { store_.reset(); }

 private:
  void open();

  TempDir dir_;
  std::string path_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace orderd::testing
