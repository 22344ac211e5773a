#include "support/child_process.hpp"

#include <signal.h>
#include <sys/wait.h>

namespace orderd::testing {

bool kill_and_reap(pid_t& pid) {
  if (pid <= 0) return false;
  int status = 0;
  // Asked before the kill: a child that already exited is reaped here and reported as dead.
  const bool alive = ::waitpid(pid, &status, WNOHANG) == 0;
  if (alive) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  pid = -1;
  return alive;
}

}  // namespace orderd::testing
