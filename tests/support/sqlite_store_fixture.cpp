#include "support/sqlite_store_fixture.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "support/killing_vfs.hpp"

namespace orderd::testing {
namespace {

// Long enough for a loaded machine, short enough that a store which never calls back fails.
constexpr auto kAwaitTimeout = std::chrono::seconds(60);
constexpr int kAcceptedExit = 3;  // the child's store accepted a batch it had to refuse

// Forks, runs `child` in the child (which must end it with _exit), and returns the child's pid.
// The caller has closed its store first: no connection and no store thread crosses the fork.
template <class Child>
pid_t fork_child(Child child) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    try {
      child();
    } catch (...) {
    }
    ::_exit(2);
  }
  return pid;
}

int wait_for_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The child's side of lose_power: submits the batches, keeping a few in flight so that the
// writer's group commit puts several in one transaction, and reports each on_durable with one
// byte on `report_fd`. Once k callbacks have run it dies, at once (kill_at_write 0: between
// batches) or just before its kill_at_write-th write or sync from then on.
[[noreturn]] void write_until_killed(const std::string& path,
                                     const std::vector<std::vector<store::Write>>& batches,
                                     std::size_t k, int kill_at_write, std::size_t in_flight,
                                     int report_fd) {
  auto lose_power = [kill_at_write] {
    if (kill_at_write == 0) ::kill(::getpid(), SIGKILL);
    killing_vfs::kill_at_write(kill_at_write);
  };
  ::alarm(60);  // a child that is never killed must not hang its test
  killing_vfs::install();
  if (k == 0) lose_power();
  auto store = store::open_sqlite_store({path, true});
  std::mutex mutex;
  std::condition_variable durable_changed;
  std::size_t durable = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    {
      std::unique_lock lock(mutex);
      durable_changed.wait(lock, [&] { return i < durable + in_flight; });
    }
    store->submit(batches[i], [&, report_fd] {
      const char ran = 1;
      if (::write(report_fd, &ran, 1) != 1) ::_exit(2);
      std::size_t now;
      {
        std::lock_guard lock(mutex);
        now = ++durable;
      }
      if (now == k) lose_power();
      if (now == batches.size()) ::kill(::getpid(), SIGKILL);  // no write left to die at
      durable_changed.notify_one();
    });
  }
  for (;;) ::pause();
}

}  // namespace

SqliteStoreFixture::SqliteStoreFixture() : path_((dir_.path() / "orderd.db").string()) {
  open();
}

SqliteStoreFixture::~SqliteStoreFixture() = default;

void SqliteStoreFixture::open() {
  store_ = store::open_sqlite_store({path_, true});
}

bool SqliteStoreFixture::await(Latch& latch) {
  return latch.wait_for(kAwaitTimeout);
}

void SqliteStoreFixture::restart() {
  store_->close();
  store_.reset();
  open();
}

bool SqliteStoreFixture::submit_refused(std::vector<store::Write> batch) {
  store_.reset();
  pid_t pid = fork_child([&] {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // the abort below is the expected outcome
    auto store = store::open_sqlite_store({path_, true});
    store->submit(std::move(batch), [] { ::_exit(kAcceptedExit); });
    store->close();  // waits for the writer: it commits (and exits above) or aborts the process
    ::_exit(kAcceptedExit);
  });
  int status = wait_for_child(pid);
  open();
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

std::size_t SqliteStoreFixture::lose_power(const std::vector<std::vector<store::Write>>& batches,
                                           std::size_t k) {
  store_.reset();
  int report[2];
  if (::pipe(report) != 0) throw std::runtime_error("pipe failed");
  // Varied with k: where the kill lands (between batches, or at one of the next 39 writes and
  // syncs: inside a transaction, or after a commit whose callbacks have not run), and 1 to 4
  // batches in flight, so that it meets transactions of different sizes.
  const int kill_at_write = static_cast<int>(k * 7 % 40);
  const std::size_t in_flight = 1 + k % 4;
  pid_t pid = fork_child([&] {
    ::close(report[0]);
    write_until_killed(path_, batches, k, kill_at_write, in_flight, report[1]);
  });
  ::close(report[1]);
  std::size_t durable = 0;
  char ran;
  while (::read(report[0], &ran, 1) == 1) ++durable;
  ::close(report[0]);
  int status = wait_for_child(pid);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
    throw std::runtime_error("the writer's process was not killed (status " +
                             std::to_string(status) + ")");
  open();
  return durable;
}

}  // namespace orderd::testing
