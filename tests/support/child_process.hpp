#pragma once
// What the test's process helpers (OrderdProcess, NatsServer) share about a child they forked.
#include <sys/types.h>

namespace orderd::testing {

// SIGKILL, as a crash would, and reaps it; pid becomes -1. False when there was no child
// (pid <= 0) or it had already died on its own: a crash the test did not cause.
bool kill_and_reap(pid_t& pid);

}  // namespace orderd::testing
