#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace orderd::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS invocations (
  id              TEXT PRIMARY KEY,
  service         TEXT NOT NULL,
  handler         TEXT NOT NULL,
  input           BLOB NOT NULL,
  parent_id       TEXT,
  parent_index    INTEGER NOT NULL DEFAULT 0,
  created_at_ms   INTEGER NOT NULL,
  execute_at_ms   INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  object_key      TEXT,
  principal       TEXT,
  traceparent     TEXT,
  status          INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  output          BLOB,
  error_code      INTEGER NOT NULL DEFAULT 0,
  completed_at_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- Recovery reads only unfinished (running, paused) invocations; the partial index keeps that scan
-- proportional to them.
CREATE INDEX IF NOT EXISTS invocations_unfinished ON invocations(id) WHERE status IN (1, 4);
CREATE TABLE IF NOT EXISTS journal (
  invocation_id  TEXT NOT NULL,
  idx            INTEGER NOT NULL,
  kind           INTEGER NOT NULL,
  name           TEXT NOT NULL,
  payload        BLOB NOT NULL,
  failed         INTEGER NOT NULL DEFAULT 0,
  error_code     INTEGER NOT NULL DEFAULT 0,
  recorded_at_ms INTEGER NOT NULL,
  PRIMARY KEY (invocation_id, idx)
) WITHOUT ROWID;
-- Outcomes of steps completed from outside (awakeables), by invocation and journal index.
CREATE TABLE IF NOT EXISTS completions (
  invocation_id TEXT NOT NULL,
  idx           INTEGER NOT NULL,
  failed        INTEGER NOT NULL,
  error_code    INTEGER NOT NULL,
  value         BLOB NOT NULL,
  PRIMARY KEY (invocation_id, idx)
) WITHOUT ROWID;
-- Virtual objects' durable state, written in the same batch as the journal's set/clear entry.
CREATE TABLE IF NOT EXISTS state (
  service    TEXT NOT NULL,
  object_key TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      BLOB NOT NULL,
  PRIMARY KEY (service, object_key, name)
) WITHOUT ROWID;
-- Workflows' durable promises, by workflow key and name. The first completion wins.
CREATE TABLE IF NOT EXISTS promises (
  service      TEXT NOT NULL,
  workflow_key TEXT NOT NULL,
  name         TEXT NOT NULL,
  failed       INTEGER NOT NULL,
  error_code   INTEGER NOT NULL,
  value        BLOB NOT NULL,
  PRIMARY KEY (service, workflow_key, name)
) WITHOUT ROWID;
-- (target, key) -> the invocation started under that idempotency key. Replaced when a key is
-- reused after its retention ran out.
CREATE TABLE IF NOT EXISTS idempotency (
  target        TEXT NOT NULL,
  key           TEXT NOT NULL,
  invocation_id TEXT NOT NULL,
  PRIMARY KEY (target, key)
) WITHOUT ROWID;
-- Domain tables (rows.hpp): (table, key) -> value, keys compared as bytes. Written in the same
-- transaction as the journal entry that decided them.
CREATE TABLE IF NOT EXISTS rows (
  tbl   TEXT NOT NULL,
  key   BLOB NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
)sql";

// Bumped whenever the schema changes; an older file is upgraded in place when the change only adds
// tables (kSchema creates them) or nullable columns (kAddedColumns), and refused otherwise rather
// than misread. Version 4 added the promises table, 5 the rows table, 6 the invocations'
// principal and traceparent columns.
constexpr int kSchemaVersion = 6;
constexpr int kOldestUpgradable = 3;

// Columns added after kOldestUpgradable, with the version that added them. kSchema's CREATE TABLE
// IF NOT EXISTS leaves an existing table as it is, so an older file gains them by ALTER TABLE.
struct AddedColumn {
  int version;
  const char* table;
  const char* definition;
};
constexpr AddedColumn kAddedColumns[] = {
    {6, "invocations", "principal TEXT"},
    {6, "invocations", "traceparent TEXT"},
};

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error("sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
      fail(db, std::string("prepare ") + sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& text(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& blob(int i, const std::string& s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // Runs a statement that returns no rows.
  void exec() {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE) fail(db_, "step");
  }
  bool next() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(db_, "step");
    return false;
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string column_text(int i) const {
    auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))) : "";
  }
  std::int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

sqlite3* open_connection(const std::string& path, bool synchronous_full) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("sqlite: cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  const std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                              (synchronous_full ? "FULL" : "NORMAL") +
                              "; PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
                              // Hot pages stay in memory and reads avoid a syscall each:
                              // pread/pwrite dominated the profile with SQLite's 2 MB default.
                              " PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                              " PRAGMA wal_autocheckpoint=10000;";
  char* err = nullptr;
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    throw std::runtime_error("sqlite: pragmas: " + message);
  }
  return db;
}

void exec_sql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "";
    sqlite3_free(err);
    throw std::runtime_error(std::string("sqlite: ") + message);
  }
}

InvocationRecord read_invocation(const Statement& s) {
  InvocationRecord r;
  r.id = s.column_text(0);
  r.service = s.column_text(1);
  r.handler = s.column_text(2);
  r.input = s.column_text(3);
  r.parent_id = s.column_text(4);
  r.parent_index = static_cast<std::uint32_t>(s.column_int(5));
  r.created_at_ms = s.column_int(6);
  r.status = static_cast<InvocationStatus>(s.column_int(7));
  r.attempts = static_cast<std::uint32_t>(s.column_int(8));
  r.output = s.column_text(9);
  r.error_code = static_cast<std::uint16_t>(s.column_int(10));
  r.completed_at_ms = s.column_int(11);
  r.execute_at_ms = s.column_int(12);
  r.idempotency_key = s.column_text(13);
  r.object_key = s.column_text(14);
  r.principal = s.column_text(15);
  r.traceparent = s.column_text(16);
  return r;
}

constexpr const char* kSelectInvocation =
    "SELECT id, service, handler, input, parent_id, parent_index, created_at_ms, status, attempts, "
    "output, error_code, completed_at_ms, execute_at_ms, idempotency_key, object_key, principal, "
    "traceparent FROM invocations";

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteOptions& options) : options_(options) {
    writer_db_ = open_connection(options.path, options.synchronous_full);
    try {
      prepare();
    } catch (...) {
      release_connections();  // a refused file (another schema version) leaks nothing
      throw;
    }
    writer_ = std::thread([this] { write_loop(); });
  }

  ~SqliteStore() override {
    close();
    release_connections();
  }

 private:
  void prepare() {
    migrate();
    reader_db_ = open_connection(options_.path, options_.synchronous_full);
    insert_invocation_ = std::make_unique<Statement>(
        writer_db_,
        "INSERT INTO invocations (id, service, handler, input, parent_id, parent_index, "
        "created_at_ms, execute_at_ms, idempotency_key, object_key, principal, traceparent, "
        "status, "
        "attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, 0)");
    put_state_ = std::make_unique<Statement>(
        writer_db_,
        "INSERT OR REPLACE INTO state (service, object_key, name, value) VALUES (?1, ?2, ?3, ?4)");
    delete_state_ = std::make_unique<Statement>(
        writer_db_, "DELETE FROM state WHERE service = ?1 AND object_key = ?2 AND name = ?3");
    remember_key_ = std::make_unique<Statement>(
        writer_db_,
        "INSERT OR REPLACE INTO idempotency (target, key, invocation_id) VALUES (?1, ?2, ?3)");
    insert_entry_ = std::make_unique<Statement>(
        writer_db_,
        "INSERT INTO journal (invocation_id, idx, kind, name, payload, failed, error_code, "
        "recorded_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    complete_ = std::make_unique<Statement>(
        writer_db_,
        "UPDATE invocations SET status = ?2, output = ?3, error_code = ?4, completed_at_ms = ?5, "
        "attempts = ?6 WHERE id = ?1 AND status IN (1, 4)");
    attempt_ = std::make_unique<Statement>(
        writer_db_, "UPDATE invocations SET attempts = ?2 WHERE id = ?1 AND status IN (1, 4)");
    set_status_ = std::make_unique<Statement>(
        writer_db_,
        "UPDATE invocations SET status = ?2, output = ?3 WHERE id = ?1 AND status IN (1, 4)");
    purge_journal_ =
        std::make_unique<Statement>(writer_db_, "DELETE FROM journal WHERE invocation_id = ?1");
    purge_key_ = std::make_unique<Statement>(
        writer_db_,
        "DELETE FROM idempotency WHERE target = ?1 AND key = ?2 AND invocation_id = ?3");
    insert_completion_ = std::make_unique<Statement>(
        writer_db_,
        "INSERT OR IGNORE INTO completions (invocation_id, idx, failed, error_code, value) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    put_promise_ = std::make_unique<Statement>(
        writer_db_,
        "INSERT OR IGNORE INTO promises (service, workflow_key, name, failed, error_code, value) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    drop_state_ = std::make_unique<Statement>(
        writer_db_, "DELETE FROM state WHERE service = ?1 AND object_key = ?2");
    drop_promises_ = std::make_unique<Statement>(
        writer_db_, "DELETE FROM promises WHERE service = ?1 AND workflow_key = ?2");
    purge_completions_ =
        std::make_unique<Statement>(writer_db_, "DELETE FROM completions WHERE invocation_id = ?1");
    purge_invocation_ = std::make_unique<Statement>(
        writer_db_, "DELETE FROM invocations WHERE id = ?1 AND status IN (2, 3)");
    find_unfinished_ = std::make_unique<Statement>(
        writer_db_, "SELECT 1 FROM invocations WHERE id = ?1 AND status IN (1, 4)");
    put_row_ = std::make_unique<Statement>(
        writer_db_, "INSERT OR REPLACE INTO rows (tbl, key, value) VALUES (?1, ?2, ?3)");
    delete_row_ =
        std::make_unique<Statement>(writer_db_, "DELETE FROM rows WHERE tbl = ?1 AND key = ?2");
    begin_ = std::make_unique<Statement>(writer_db_, "BEGIN");
    commit_ = std::make_unique<Statement>(writer_db_, "COMMIT");
  }

  // Statements first: a connection closes only once its statements are finalized.
  void release_connections() {
    insert_invocation_.reset();
    insert_entry_.reset();
    complete_.reset();
    attempt_.reset();
    remember_key_.reset();
    set_status_.reset();
    purge_journal_.reset();
    purge_key_.reset();
    purge_invocation_.reset();
    find_unfinished_.reset();
    insert_completion_.reset();
    put_state_.reset();
    delete_state_.reset();
    purge_completions_.reset();
    put_promise_.reset();
    drop_state_.reset();
    drop_promises_.reset();
    put_row_.reset();
    delete_row_.reset();
    begin_.reset();
    commit_.reset();
    sqlite3_close(writer_db_);
    sqlite3_close(reader_db_);
    writer_db_ = reader_db_ = nullptr;
  }

 public:
  void submit(std::vector<Write> writes, Callback on_durable) override {
    {
      std::lock_guard lock(mutex_);
      if (closed_) throw std::runtime_error("store is closed");
      queue_.push_back(Pending{std::move(writes), std::move(on_durable)});
    }
    wake_.notify_one();
  }

  std::vector<UnfinishedInvocation> load_unfinished() override {
    std::lock_guard lock(reader_mutex_);
    std::vector<UnfinishedInvocation> result;
    // Ids sort by creation time, so id order is creation order. The journals come in one
    // merge-join pass over both primary keys rather than one query per invocation.
    Statement invocations(
        reader_db_,
        (std::string(kSelectInvocation) + " WHERE status IN (1, 4) ORDER BY id").c_str());
    while (invocations.next()) result.push_back({read_invocation(invocations), {}});
    Statement entries(reader_db_,
                      "SELECT j.invocation_id, j.idx, j.kind, j.name, j.payload, j.failed, "
                      "j.error_code, j.recorded_at_ms FROM invocations i JOIN journal j ON "
                      "j.invocation_id = i.id WHERE i.status IN (1, 4) ORDER BY j.invocation_id, "
                      "j.idx");
    std::size_t at = 0;
    while (entries.next()) {
      std::string id = entries.column_text(0);
      while (at < result.size() && result[at].record.id < id) ++at;
      if (at == result.size() || result[at].record.id != id) continue;
      JournalEntry e;
      e.index = static_cast<std::uint32_t>(entries.column_int(1));
      e.kind = static_cast<EntryKind>(entries.column_int(2));
      e.name = entries.column_text(3);
      e.payload = entries.column_text(4);
      e.failed = entries.column_int(5) != 0;
      e.error_code = static_cast<std::uint16_t>(entries.column_int(6));
      e.recorded_at_ms = entries.column_int(7);
      result[at].journal.push_back(std::move(e));
    }
    Statement completions(reader_db_,
                          "SELECT c.invocation_id, c.idx, c.failed, c.error_code, c.value FROM "
                          "invocations i JOIN completions c ON c.invocation_id = i.id WHERE "
                          "i.status IN (1, 4) ORDER BY c.invocation_id, c.idx");
    at = 0;
    while (completions.next()) {
      std::string id = completions.column_text(0);
      while (at < result.size() && result[at].record.id < id) ++at;
      if (at == result.size() || result[at].record.id != id) continue;
      result[at].completions.push_back(Completion{
          static_cast<std::uint32_t>(completions.column_int(1)), completions.column_int(2) != 0,
          static_cast<std::uint16_t>(completions.column_int(3)), completions.column_text(4)});
    }
    return result;
  }

  std::vector<JournalEntry> load_journal(const std::string& id) override {
    std::lock_guard lock(reader_mutex_);
    return read_journal(id);
  }

  std::map<std::string, std::string> load_state(const std::string& service,
                                                const std::string& object_key) override {
    std::lock_guard lock(reader_mutex_);
    Statement read(reader_db_,
                   "SELECT name, value FROM state WHERE service = ?1 AND object_key = ?2");
    read.text(1, service).text(2, object_key);
    std::map<std::string, std::string> state;
    while (read.next()) state[read.column_text(0)] = read.column_text(1);
    return state;
  }

  std::map<std::string, Completion> load_promises(const std::string& service,
                                                  const std::string& workflow_key) override {
    std::lock_guard lock(reader_mutex_);
    Statement read(reader_db_,
                   "SELECT name, failed, error_code, value FROM promises WHERE service = ?1 AND "
                   "workflow_key = ?2");
    read.text(1, service).text(2, workflow_key);
    std::map<std::string, Completion> promises;
    while (read.next()) {
      promises[read.column_text(0)] =
          Completion{0, read.column_int(1) != 0, static_cast<std::uint16_t>(read.column_int(2)),
                     read.column_text(3)};
    }
    return promises;
  }

  std::vector<InvocationRecord> finished_before(const std::string& below_id,
                                                std::int64_t completed_before_ms,
                                                std::size_t limit) override {
    std::lock_guard lock(reader_mutex_);
    // A primary-key range scan: old rows come first and the scan stops at `limit`.
    Statement old(reader_db_, (std::string(kSelectInvocation) +
                               " WHERE id < ?1 AND status IN (2, 3) AND completed_at_ms < ?2 "
                               // A finished child of an unfinished parent is still its
                               // parent's journal: a replay reads its outcome.
                               "AND (parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM invocations "
                               "p WHERE p.id = invocations.parent_id AND p.status IN (1, 4))) "
                               "ORDER BY id LIMIT ?3")
                                  .c_str());
    old.text(1, below_id).integer(2, completed_before_ms);
    old.integer(3, static_cast<std::int64_t>(limit));
    std::vector<InvocationRecord> found;
    while (old.next()) found.push_back(read_invocation(old));
    return found;
  }

  std::vector<InvocationRecord> list_invocations(const ListQuery& q) override {
    std::lock_guard lock(reader_mutex_);
    std::string sql = std::string(kSelectInvocation) + " WHERE 1";
    if (q.status) sql += " AND status = ?1";
    if (!q.service.empty()) sql += " AND service = ?2";
    if (!q.before_id.empty()) sql += " AND id < ?3";
    sql += " ORDER BY id DESC LIMIT ?4";
    Statement list(reader_db_, sql.c_str());
    if (q.status) list.integer(1, static_cast<int>(*q.status));
    if (!q.service.empty()) list.text(2, q.service);
    if (!q.before_id.empty()) list.text(3, q.before_id);
    list.integer(4, static_cast<std::int64_t>(q.limit));
    std::vector<InvocationRecord> page;
    while (list.next()) page.push_back(read_invocation(list));
    return page;
  }

  std::optional<InvocationRecord> find_invocation(const std::string& id) override {
    std::lock_guard lock(reader_mutex_);
    if (!find_) {
      find_ = std::make_unique<Statement>(
          reader_db_, (std::string(kSelectInvocation) + " WHERE id = ?1").c_str());
    }
    find_->text(1, id);
    std::optional<InvocationRecord> found;
    if (find_->next()) found = read_invocation(*find_);
    find_->reset();
    return found;
  }

  std::optional<std::string> find_idempotent(const std::string& target,
                                             const std::string& key) override {
    std::lock_guard lock(reader_mutex_);
    if (!find_key_) {
      find_key_ = std::make_unique<Statement>(
          reader_db_, "SELECT invocation_id FROM idempotency WHERE target = ?1 AND key = ?2");
    }
    find_key_->text(1, target).text(2, key);
    std::optional<std::string> found;
    if (find_key_->next()) found = find_key_->column_text(0);
    find_key_->reset();
    return found;
  }

  std::optional<std::string> read_row(const std::string& table, const std::string& key) override {
    std::lock_guard lock(reader_mutex_);
    if (!read_row_) {
      read_row_ = std::make_unique<Statement>(reader_db_,
                                              "SELECT value FROM rows WHERE tbl = ?1 AND key = ?2");
    }
    read_row_->text(1, table).blob(2, key);
    std::optional<std::string> found;
    if (read_row_->next()) found = read_row_->column_text(0);
    read_row_->reset();
    return found;
  }

  std::vector<Row> scan_rows(const RowRange& range) override {
    std::lock_guard lock(reader_mutex_);
    return scan(reader_db_, range);
  }

  // On a thread and connection of their own, so a long scan never holds up the engine's reads.
  void scan_rows_async(RowRange range, ScanDone done) override {
    {
      std::lock_guard lock(scan_mutex_);
      if (closed_scans_) throw std::runtime_error("store is closed");
      if (!scanner_.joinable()) scanner_ = std::thread([this] { scan_loop(); });
      scans_.push_back({std::move(range), std::move(done)});
    }
    scan_wake_.notify_one();
  }

  void close() override {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lock(scan_mutex_);
      closed_scans_ = true;
    }
    scan_wake_.notify_one();
    if (scanner_.joinable()) scanner_.join();
    sqlite3_close(scan_db_);
    scan_db_ = nullptr;
    std::lock_guard lock(reader_mutex_);
    find_.reset();
    find_key_.reset();
    journal_.reset();
    read_row_.reset();
  }

 private:
  struct Pending {
    std::vector<Write> writes;
    Callback on_durable;
  };

  struct Scan {
    RowRange range;
    ScanDone done;
  };

  // Keyset scans over the primary key: from <= key < to, ascending or descending.
  static std::vector<Row> scan(sqlite3* db, const RowRange& range) {
    std::string sql = "SELECT key, value FROM rows WHERE tbl = ?1 AND key >= ?2";
    if (!range.to.empty()) sql += " AND key < ?3";
    sql += range.reverse ? " ORDER BY key DESC" : " ORDER BY key";
    sql += " LIMIT ?4";
    Statement s(db, sql.c_str());
    s.text(1, range.table).blob(2, range.from);
    if (!range.to.empty()) s.blob(3, range.to);
    s.integer(4, static_cast<std::int64_t>(range.limit));
    std::vector<Row> rows;
    while (s.next()) rows.push_back({s.column_text(0), s.column_text(1)});
    return rows;
  }

  // Opens its connection here, so the first scan never waits on the engine thread.
  void scan_loop() {
    for (;;) {
      Scan next;
      {
        std::unique_lock lock(scan_mutex_);
        scan_wake_.wait(lock, [&] { return closed_scans_ || !scans_.empty(); });
        if (scans_.empty()) return;
        next = std::move(scans_.front());
        scans_.pop_front();
      }
      std::optional<std::vector<Row>> rows;
      try {
        if (!scan_db_) scan_db_ = open_connection(options_.path, options_.synchronous_full);
        rows = scan(scan_db_, next.range);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "orderd: row scan of '%s' failed: %s\n", next.range.table.c_str(),
                     e.what());
      }
      next.done(std::move(rows));
    }
  }

  // Callers hold reader_mutex_.
  std::vector<JournalEntry> read_journal(const std::string& id) {
    if (!journal_) {
      journal_ = std::make_unique<Statement>(
          reader_db_,
          "SELECT idx, kind, name, payload, failed, error_code, recorded_at_ms FROM journal "
          "WHERE invocation_id = ?1 ORDER BY idx");
    }
    std::vector<JournalEntry> entries;
    journal_->text(1, id);
    while (journal_->next()) {
      JournalEntry e;
      e.index = static_cast<std::uint32_t>(journal_->column_int(0));
      e.kind = static_cast<EntryKind>(journal_->column_int(1));
      e.name = journal_->column_text(2);
      e.payload = journal_->column_text(3);
      e.failed = journal_->column_int(4) != 0;
      e.error_code = static_cast<std::uint16_t>(journal_->column_int(5));
      e.recorded_at_ms = journal_->column_int(6);
      entries.push_back(std::move(e));
    }
    journal_->reset();
    return entries;
  }

  // Creates a new file's schema, or upgrades an older file's, in one transaction: a crash or an
  // error halfway leaves the file at its old version, to be upgraded again at the next start.
  void migrate() {
    std::int64_t found = 0;
    bool fresh = false;
    {
      Statement version(writer_db_, "PRAGMA user_version");
      found = version.next() ? version.column_int(0) : 0;
      Statement tables(writer_db_, "SELECT count(*) FROM sqlite_master WHERE name = 'invocations'");
      fresh = tables.next() && tables.column_int(0) == 0;
    }
    if (!fresh && (found < kOldestUpgradable || found > kSchemaVersion)) {
      throw std::runtime_error("store " + options_.path + " has schema version " +
                               std::to_string(found) + ", this orderd needs " +
                               std::to_string(kSchemaVersion));
    }
    exec_sql(writer_db_, "BEGIN IMMEDIATE");
    try {
      if (!fresh) {
        for (const auto& column : kAddedColumns) {
          if (found >= column.version) continue;
          exec_sql(writer_db_,
                   (std::string("ALTER TABLE ") + column.table + " ADD COLUMN " + column.definition)
                       .c_str());
        }
      }
      exec_sql(writer_db_, kSchema);
      exec_sql(writer_db_, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
      exec_sql(writer_db_, "COMMIT");
    } catch (...) {
      sqlite3_exec(writer_db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void write_loop() {
    std::deque<Pending> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return closed_ || !queue_.empty(); });
        if (queue_.empty()) return;  // closed and drained
        // Take everything queued, up to the batch bound, as one transaction.
        std::size_t writes = 0;
        while (!queue_.empty() && (batch.empty() || writes < options_.max_batch_writes)) {
          writes += queue_.front().writes.size();
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      try {
        begin_->exec();
        for (auto& pending : batch)
          for (auto& w : pending.writes) apply(w);
        commit_->exec();
      } catch (const std::exception& e) {
        // Fail-stop: without a durable journal the engine must not go on answering. What was
        // committed before stays; a restart resumes from it.
        std::fprintf(stderr, "orderd: store write failed, stopping: %s\n", e.what());
        std::abort();
      }
      for (auto& pending : batch)
        if (pending.on_durable) pending.on_durable();
      batch.clear();
    }
  }

  void apply(const Write& w) {
    const auto& inv = w.invocation;
    switch (w.op) {
      case Write::Op::kCreate:
        insert_invocation_->text(1, inv.id).text(2, inv.service).text(3, inv.handler);
        insert_invocation_->blob(4, inv.input);
        if (inv.parent_id.empty())
          insert_invocation_->null(5);
        else
          insert_invocation_->text(5, inv.parent_id);
        insert_invocation_->integer(6, inv.parent_index).integer(7, inv.created_at_ms);
        insert_invocation_->integer(8, inv.execute_at_ms);
        if (inv.idempotency_key.empty())
          insert_invocation_->null(9);
        else
          insert_invocation_->text(9, inv.idempotency_key);
        if (inv.object_key.empty())
          insert_invocation_->null(10);
        else
          insert_invocation_->text(10, inv.object_key);
        // NULL for anonymous and untraced, as the other optional columns.
        if (inv.principal.empty())
          insert_invocation_->null(11);
        else
          insert_invocation_->text(11, inv.principal);
        if (inv.traceparent.empty())
          insert_invocation_->null(12);
        else
          insert_invocation_->text(12, inv.traceparent);
        insert_invocation_->exec();
        if (!inv.idempotency_key.empty()) {
          target_ = idempotency_target(inv.service, inv.object_key, inv.handler);
          remember_key_->text(1, target_).text(2, inv.idempotency_key).text(3, inv.id).exec();
        }
        break;
      case Write::Op::kAppend: {
        const auto& e = w.entry;
        insert_entry_->text(1, inv.id).integer(2, e.index).integer(3, static_cast<int>(e.kind));
        insert_entry_->text(4, e.name).blob(5, e.payload).integer(6, e.failed ? 1 : 0);
        insert_entry_->integer(7, e.error_code).integer(8, e.recorded_at_ms).exec();
        break;
      }
      case Write::Op::kComplete:
        complete_->text(1, inv.id).integer(2, static_cast<int>(inv.status)).blob(3, inv.output);
        complete_->integer(4, inv.error_code).integer(5, inv.completed_at_ms);
        complete_->integer(6, inv.attempts).exec();
        break;
      case Write::Op::kAttempt:
        attempt_->text(1, inv.id).integer(2, inv.attempts).exec();
        break;
      case Write::Op::kStatus:
        set_status_->text(1, inv.id).integer(2, static_cast<int>(inv.status)).blob(3, inv.output);
        set_status_->exec();
        break;
      case Write::Op::kPurge:
        // An unfinished invocation keeps everything: without its journal, recovery would replay
        // it from the start and repeat its effects.
        if (is_unfinished(inv.id)) break;
        purge_journal_->text(1, inv.id).exec();
        if (!inv.idempotency_key.empty()) {
          target_ = idempotency_target(inv.service, inv.object_key, inv.handler);
          purge_key_->text(1, target_).text(2, inv.idempotency_key).text(3, inv.id).exec();
        }
        purge_completions_->text(1, inv.id).exec();
        purge_invocation_->text(1, inv.id).exec();
        break;
      case Write::Op::kPutState:
        if (w.entry.failed) {
          delete_state_->text(1, inv.service).text(2, inv.object_key).text(3, w.entry.name);
          delete_state_->exec();
        } else {
          put_state_->text(1, inv.service).text(2, inv.object_key).text(3, w.entry.name);
          put_state_->blob(4, w.entry.payload).exec();
        }
        break;
      case Write::Op::kPutPromise: {
        const auto& c = w.completion;
        put_promise_->text(1, inv.service).text(2, inv.object_key).text(3, w.entry.name);
        put_promise_->integer(4, c.failed ? 1 : 0).integer(5, c.error_code).blob(6, c.value);
        put_promise_->exec();
        break;
      }
      case Write::Op::kDropKey:
        drop_state_->text(1, inv.service).text(2, inv.object_key).exec();
        drop_promises_->text(1, inv.service).text(2, inv.object_key).exec();
        break;
      case Write::Op::kCompleteStep: {
        const auto& c = w.completion;
        insert_completion_->text(1, inv.id).integer(2, c.index).integer(3, c.failed ? 1 : 0);
        insert_completion_->integer(4, c.error_code).blob(5, c.value).exec();
        break;
      }
      case Write::Op::kRows:
        for (const auto& row : w.rows) {
          if (row.value) {
            put_row_->text(1, row.table).blob(2, row.key).blob(3, *row.value).exec();
          } else {
            delete_row_->text(1, row.table).blob(2, row.key).exec();
          }
        }
        break;
    }
  }

  // On the writer's connection, inside the batch's transaction.
  bool is_unfinished(const std::string& id) {
    find_unfinished_->text(1, id);
    bool found = find_unfinished_->next();
    find_unfinished_->reset();
    return found;
  }

  SqliteOptions options_;
  sqlite3* writer_db_ = nullptr;
  sqlite3* reader_db_ = nullptr;
  std::unique_ptr<Statement> insert_invocation_, insert_entry_, complete_, attempt_, begin_,
      commit_, remember_key_, set_status_, purge_journal_, purge_key_, purge_invocation_,
      insert_completion_, purge_completions_, put_state_, delete_state_, put_promise_, drop_state_,
      drop_promises_, put_row_, delete_row_, find_unfinished_;
  std::string target_;  // bound by remember_key_ until the statement runs
  std::unique_ptr<Statement> find_, find_key_, journal_, read_row_;
  std::mutex reader_mutex_;

  // The scanner thread, started by the first asynchronous scan.
  sqlite3* scan_db_ = nullptr;
  std::thread scanner_;
  std::mutex scan_mutex_;
  std::condition_variable scan_wake_;
  std::deque<Scan> scans_;
  bool closed_scans_ = false;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool closed_ = false;
  std::thread writer_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options) {
  return std::make_unique<SqliteStore>(options);
}

}  // namespace orderd::store
