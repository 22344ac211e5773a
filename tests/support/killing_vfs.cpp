#include "support/killing_vfs.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace orderd::testing::killing_vfs {
namespace {

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs vfs;
std::atomic<int> writes_left{0};  // 0: not armed

// Our file, followed in the same allocation by the default VFS's file it forwards to.
struct File {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real(sqlite3_file* f) {
  return reinterpret_cast<File*>(f)->real;
}
const sqlite3_io_methods& real_methods(sqlite3_file* f) {
  return *real(f)->pMethods;
}

// Syncs count as writes: dying just before the sync that follows a commit's last write leaves a
// committed transaction whose callbacks never ran.
void count_write() {
  if (writes_left.load() > 0 && writes_left.fetch_sub(1) == 1) ::kill(::getpid(), SIGKILL);
}

int write(sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
  count_write();
  return real_methods(f).xWrite(real(f), data, size, offset);
}

int sync(sqlite3_file* f, int flags) {
  count_write();
  return real_methods(f).xSync(real(f), flags);
}

const sqlite3_io_methods methods = {
    3,
    [](sqlite3_file* f) { return real_methods(f).xClose(real(f)); },
    [](sqlite3_file* f, void* data, int size, sqlite3_int64 offset) {
      return real_methods(f).xRead(real(f), data, size, offset);
    },
    write,
    [](sqlite3_file* f, sqlite3_int64 size) { return real_methods(f).xTruncate(real(f), size); },
    sync,
    [](sqlite3_file* f, sqlite3_int64* size) { return real_methods(f).xFileSize(real(f), size); },
    [](sqlite3_file* f, int level) { return real_methods(f).xLock(real(f), level); },
    [](sqlite3_file* f, int level) { return real_methods(f).xUnlock(real(f), level); },
    [](sqlite3_file* f, int* out) { return real_methods(f).xCheckReservedLock(real(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
      return real_methods(f).xFileControl(real(f), op, arg);
    },
    [](sqlite3_file* f) { return real_methods(f).xSectorSize(real(f)); },
    [](sqlite3_file* f) { return real_methods(f).xDeviceCharacteristics(real(f)); },
    [](sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
      return real_methods(f).xShmMap(real(f), page, page_size, extend, out);
    },
    [](sqlite3_file* f, int offset, int n, int flags) {
      return real_methods(f).xShmLock(real(f), offset, n, flags);
    },
    [](sqlite3_file* f) { real_methods(f).xShmBarrier(real(f)); },
    [](sqlite3_file* f, int delete_flag) {
      return real_methods(f).xShmUnmap(real(f), delete_flag);
    },
    [](sqlite3_file* f, sqlite3_int64 offset, int size, void** out) {
      return real_methods(f).xFetch(real(f), offset, size, out);
    },
    [](sqlite3_file* f, sqlite3_int64 offset, void* p) {
      return real_methods(f).xUnfetch(real(f), offset, p);
    },
};

int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<File*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  int rc = real_vfs->xOpen(real_vfs, name, file->real, flags, out_flags);
  // SQLite reads pMethods whether or not the open succeeded: null means nothing to close.
  file->base.pMethods = file->real->pMethods ? &methods : nullptr;
  return rc;
}

}  // namespace

void install() {
  real_vfs = sqlite3_vfs_find(nullptr);
  if (!real_vfs) throw std::runtime_error("sqlite: no default VFS");
  // Every other method, and the data they read from the VFS (pAppData, mxPathname), is the
  // default VFS's own.
  vfs = *real_vfs;
  vfs.pNext = nullptr;
  vfs.zName = "orderd-killing";
  vfs.szOsFile = static_cast<int>(sizeof(File)) + real_vfs->szOsFile;
  vfs.xOpen = open;
  if (sqlite3_vfs_register(&vfs, 1) != SQLITE_OK) throw std::runtime_error("sqlite: register VFS");
}

void kill_at_write(int n) {
  writes_left.store(n);
}

}  // namespace orderd::testing::killing_vfs
