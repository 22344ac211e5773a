// What only SqliteStore has: its file's schema version, and a file that a killed writer leaves.
// Everything a store must do is in the store contract (store_contract_test.cpp).
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <stdexcept>
#include <string>

#include "support/numbered_batches.hpp"
#include "support/sqlite_store_fixture.hpp"
#include "support/store_writes.hpp"
#include "support/temp_dir.hpp"

namespace orderd::store {
namespace {

using namespace orderd::testing::writes;

// The file as an outside tool sees it, while no store has it open.
class RawFile {
 public:
  explicit RawFile(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open");
  }
  ~RawFile() { sqlite3_close(db_); }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  void execute(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error("prepare " + sql);
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      auto* p = sqlite3_column_text(stmt, 0);
      result = p ? reinterpret_cast<const char*>(p) : "";
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Writes one unfinished invocation with a journal entry and closes the store.
void write_one_invocation(const std::string& path) {
  auto store = open_sqlite_store({path, true});
  store->submit({create("inv_a"), append("inv_a", 0, "a0")}, nullptr);
  store->close();
}

TEST(SqliteStore, RefusesAFileOfAnotherSchemaVersionAndLeavesItAlone) {
  testing::TempDir dir;
  const auto path = (dir.path() / "orderd.db").string();
  write_one_invocation(path);
  for (int version : {6, 2}) {
    SCOPED_TRACE(version);
    RawFile(path).execute("PRAGMA user_version = " + std::to_string(version));
    try {
      open_sqlite_store({path, true});
      ADD_FAILURE() << "opened a file of schema version " << version;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("schema version " + std::to_string(version)),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(RawFile(path).text("PRAGMA user_version"), std::to_string(version));
    EXPECT_EQ(RawFile(path).text("SELECT count(*) FROM journal"), "1");
  }
}

// Version 4 added the promises table and version 5 the rows table, and nothing else changed:
// dropping them gives the older file, which opens with its data and gains the new tables.
TEST(SqliteStore, UpgradesVersion3And4FilesInPlace) {
  for (int version : {3, 4}) {
    SCOPED_TRACE(version);
    testing::TempDir dir;
    const auto path = (dir.path() / "orderd.db").string();
    write_one_invocation(path);
    {
      RawFile file(path);
      file.execute("DROP TABLE rows");
      if (version == 3) file.execute("DROP TABLE promises");
      file.execute("PRAGMA user_version = " + std::to_string(version));
    }
    {
      auto store = open_sqlite_store({path, true});
      auto unfinished = store->load_unfinished();
      ASSERT_EQ(unfinished.size(), 1u);
      ASSERT_EQ(unfinished[0].journal.size(), 1u);
      EXPECT_EQ(unfinished[0].journal[0].payload, "a0");
      store->submit({put_promise("Flow", "w1", "ok", outcome(0, "true")),
                     rows({put_row("stock", "apple", "3")})},
                    nullptr);
      store->close();
    }
    EXPECT_EQ(RawFile(path).text("PRAGMA user_version"), "5");
    auto store = open_sqlite_store({path, true});
    EXPECT_EQ(store->load_promises("Flow", "w1").size(), 1u);
    EXPECT_EQ(store->read_row("stock", "apple"), "3");
  }
}

// SIGKILL in the middle of group commits leaves a file that SQLite finds sound.
TEST(SqliteStore, AKilledWriterLeavesAnIntactFile) {
  const auto batches = testing::numbered_batches(50);
  for (std::size_t k : {0u, 7u, 25u, 50u}) {
    SCOPED_TRACE(k);
    testing::SqliteStoreFixture fixture;
    fixture.lose_power(batches, k);
    fixture.close_for_good();
    RawFile file(fixture.path());
    EXPECT_EQ(file.text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(file.text("PRAGMA user_version"), "5");
  }
}

}  // namespace
}  // namespace orderd::store
