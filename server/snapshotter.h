// Snapshots that do not stop the server. fork() hands a child process a copy-on-write image
// of the whole tree at one instant (between two transactions, so the snapshot is exact);
// the child serializes it and writes the file while the parent goes on serving. The parent
// publishes the file (rename + directory fsync) only once the log is durable through the
// snapshot's zxid, then purges old snapshots and the log entries no snapshot needs.
//
// The child must not touch anything another thread of the parent may have held locked at
// the fork: it only serializes (malloc is fork-safe in glibc), writes with plain syscalls
// (SnapshotStore::write_unpublished) and _exit()s. Where fork() fails (or under
// AddressSanitizer, whose allocator is not fork-safe while other threads allocate), the
// tree is serialized on the event loop instead and only the file is written in the
// background.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>

#include "common/asio.h"
#include "common/zxid.h"
#include "datatree/data_tree.h"
#include "storage/snapshot_store.h"
#include "storage/txn_log.h"

namespace conclave::server {

class Snapshotter {
 public:
  Snapshotter(storage::SnapshotStore& store, storage::TxnLog& log, size_t retain_count);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Starts a snapshot of `tree` at its last applied zxid. False when one is still under way.
  bool start(const datatree::DataTree& tree);
  // Reaps a finished child and, once `durable_zxid` covers the snapshot, publishes it and
  // purges. Call it regularly (every tick).
  void poll(Zxid durable_zxid);
  // Gives up the snapshot under way (its state may hold transactions the log lost).
  void abandon();
  bool in_progress() const { return state_ != State::kIdle || publishing_; }
  // Snapshots published since start, for tests and 4lw.
  uint64_t published_count() const { return published_count_; }

 private:
  enum class State { kIdle, kChildRunning, kWritten };

  void finish_async(Zxid zxid, std::string bytes_to_write);

  storage::SnapshotStore& store_;
  storage::TxnLog& log_;
  const size_t retain_count_;
  State state_ = State::kIdle;
  pid_t child_ = -1;
  Zxid zxid_ = 0;
  std::optional<std::string> serialized_;  // the fallback path's bytes, written at publish
  std::atomic<bool> publishing_{false};
  std::atomic<uint64_t> published_count_{0};
  asio::thread_pool pool_{1};
};

}  // namespace conclave::server
