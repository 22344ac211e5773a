#pragma once
// A SQLite VFS that kills its process in the middle of writing, for the power-loss tests' child
// processes. It forwards everything to the default VFS, and just before the n-th write it has been
// told about it sends the process SIGKILL: that write and every later one never happen, while
// the earlier ones stay, as a killed process's writes do. Installed as the default VFS, it needs
// no change to the store under test.
namespace orderd::testing::killing_vfs {

// Makes the killing VFS this process's default. For a forked child that is about to open a store.
void install();
// Kills the process just before its n-th write from now (n >= 1).
void kill_at_write(int n);

}  // namespace orderd::testing::killing_vfs
