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
  for (int version : {7, 2}) {
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

// Gives a current file the shape of `version`: version 4 added the promises table, 5 the rows
// table, 6 the invocations' principal and traceparent columns, and nothing else changed.
void downgrade(const std::string& path, int version) {
  RawFile file(path);
  if (version < 6) {
    file.execute("ALTER TABLE invocations DROP COLUMN principal");
    file.execute("ALTER TABLE invocations DROP COLUMN traceparent");
  }
  if (version < 5) file.execute("DROP TABLE rows");
  if (version < 4) file.execute("DROP TABLE promises");
  file.execute("PRAGMA user_version = " + std::to_string(version));
}

// An older file opens with its data and gains the new tables and columns.
TEST(SqliteStore, UpgradesVersion3To5FilesInPlace) {
  for (int version : {3, 4, 5}) {
    SCOPED_TRACE(version);
    testing::TempDir dir;
    const auto path = (dir.path() / "orderd.db").string();
    write_one_invocation(path);
    downgrade(path, version);
    ASSERT_EQ(RawFile(path).text("SELECT count(*) FROM pragma_table_info('invocations') WHERE "
                                 "name IN ('principal', 'traceparent')"),
              "0");
    auto traced = invocation("inv_b");
    traced.principal = "user:alice";
    traced.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    {
      auto store = open_sqlite_store({path, true});
      auto unfinished = store->load_unfinished();
      ASSERT_EQ(unfinished.size(), 1u);
      EXPECT_EQ(unfinished[0].record.principal, "");  // written before there was a principal
      EXPECT_EQ(unfinished[0].record.traceparent, "");
      ASSERT_EQ(unfinished[0].journal.size(), 1u);
      EXPECT_EQ(unfinished[0].journal[0].payload, "a0");
      store->submit({put_promise("Flow", "w1", "ok", outcome(0, "true")),
                     rows({put_row("stock", "apple", "3")}), create(traced)},
                    nullptr);
      store->close();
    }
    EXPECT_EQ(RawFile(path).text("PRAGMA user_version"), "6");
    auto store = open_sqlite_store({path, true});
    EXPECT_EQ(store->load_promises("Flow", "w1").size(), 1u);
    EXPECT_EQ(store->read_row("stock", "apple"), "3");
    auto found = store->find_invocation("inv_b");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->principal, traced.principal);
    EXPECT_EQ(found->traceparent, traced.traceparent);
  }
}

// An upgrade that fails halfway (here: the second column it adds is already there) leaves the
// file as it was, at its old version, rather than half upgraded.
TEST(SqliteStore, AFailedUpgradeLeavesTheFileAsItWas) {
  testing::TempDir dir;
  const auto path = (dir.path() / "orderd.db").string();
  write_one_invocation(path);
  downgrade(path, 5);
  RawFile(path).execute("ALTER TABLE invocations ADD COLUMN traceparent TEXT");
  EXPECT_THROW(open_sqlite_store({path, true}), std::runtime_error);
  RawFile file(path);
  EXPECT_EQ(file.text("PRAGMA user_version"), "5");
  EXPECT_EQ(file.text("SELECT count(*) FROM pragma_table_info('invocations') WHERE "
                      "name = 'principal'"),
            "0");
  EXPECT_EQ(file.text("SELECT count(*) FROM journal"), "1");
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
    EXPECT_EQ(file.text("PRAGMA user_version"), "6");
  }
}

}  // namespace
}  // namespace orderd::store
