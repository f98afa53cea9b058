// GroupCommitLog: the server's write path into a TxnLog, one fsync for many entries.
//
// submit() is called from the server's event-loop thread and returns at once. A dedicated
// writer thread takes everything queued, appends it as one batch with one fsync, then runs
// the completions of that batch in zxid order. Entries submitted while an fsync is in
// flight wait and go together into the next batch: the slower the disk, the bigger the
// batches, and the fsync rate stays bounded by the disk, not by the request rate.
//
// Threading contract:
//  - submit(), flush(), reset(), fsync_stats() and pending_entries() may be called from any
//    thread; zxid order across concurrent submitters is the callers' business.
//  - Completions run on the writer thread, one at a time, in zxid order. They should be
//    short (typically: post to the server's io_context) and must not call flush(), reset()
//    or shutdown() (they would wait for themselves). A completion that throws is logged.
//  - If submit() returns an error, `done` is never called; otherwise it is called exactly
//    once, also for entries still queued at shutdown (they are written first).
//
// Failures: when a batch fails, every entry queued behind it fails with the same error and
// later submits are refused until reset(), because writing them would leave a gap in the
// log (ZAB requires a gap-free history). reset() waits for the queue to drain, clears the
// failure and takes the log's last zxid as the point to continue from; the TxnLog reopens
// its database on the next write, so writes succeed again once the disk has space.
//
// Bounds: at most max_pending_entries entries and max_pending_bytes payload bytes may be
// submitted and not yet completed; beyond that submit() fails at once with kThrottledOp.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "storage/txn_log.h"

namespace conclave::storage {

struct GroupCommitOptions {
  static constexpr size_t kDefaultMaxPendingEntries = 10'000;
  static constexpr size_t kDefaultMaxPendingBytes = size_t{64} << 20;
  static constexpr int64_t kDefaultFsyncWarningThresholdMs = 1000;  // ZooKeeper's default

  size_t max_pending_entries = kDefaultMaxPendingEntries;
  size_t max_pending_bytes = kDefaultMaxPendingBytes;
  // false is ZooKeeper's forceSync=no: batches are written without fsync.
  bool force_sync = true;
  // A batch write slower than this is logged as a warning and counted.
  int64_t fsync_warning_threshold_ms = kDefaultFsyncWarningThresholdMs;
};

// Latency of synced batch writes (write + fsync), for the 4lw `mntr`.
struct FsyncStats {
  uint64_t fsync_count = 0;
  double fsync_min_ms = 0;
  double fsync_avg_ms = 0;
  double fsync_max_ms = 0;
  uint64_t fsync_threshold_exceed_count = 0;
  uint64_t batch_count = 0;  // every batch written, synced or not
  uint64_t entry_count = 0;  // entries written successfully
  uint64_t failed_batch_count = 0;
  size_t max_batch_entries = 0;
};

class GroupCommitLog {
 public:
  using Completion = std::function<void(Status)>;

  // `log` must outlive this object. Starts the writer thread.
  explicit GroupCommitLog(TxnLog& log, GroupCommitOptions options = {});
  ~GroupCommitLog();
  GroupCommitLog(const GroupCommitLog&) = delete;
  GroupCommitLog& operator=(const GroupCommitLog&) = delete;

  // Queues `entry` (zxid greater than every zxid submitted before) and returns at once.
  // Errors: kRuntimeInconsistency (zxid out of order), kThrottledOp (queue at its bound),
  // kSystemError (an earlier write failed and reset() was not called, or shut down).
  Status submit(LogEntry entry, Completion done);

  // Blocks until every entry submitted before the call has completed.
  void flush();

  // Recovers after a failed write (see above); also call it after truncating the TxnLog
  // directly. Returns the zxid the log now ends at; the next submit must be greater.
  Result<Zxid> reset();

  // Stops accepting entries, writes and completes everything queued, joins the writer.
  // Idempotent (call it from one thread at a time); the destructor calls it.
  void shutdown();

  FsyncStats fsync_stats() const;
  size_t pending_entries() const;

 private:
  struct Pending {
    LogEntry entry;
    Completion done;
  };

  void run();
  void record_batch(size_t entries, bool synced, double elapsed_ms, bool ok);

  TxnLog& log_;
  const GroupCommitOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // writer waits for entries or shutdown
  std::condition_variable idle_cv_;  // flush() waits for completions
  std::deque<Pending> queue_;
  size_t pending_entries_ = 0;  // submitted, completion not yet run
  size_t pending_bytes_ = 0;
  uint64_t submitted_count_ = 0;
  uint64_t completed_count_ = 0;
  Zxid last_submitted_zxid_ = kNoZxid;
  std::optional<Error> failure_;
  bool stopping_ = false;

  mutable std::mutex stats_mu_;
  FsyncStats stats_;
  double fsync_total_ms_ = 0;

  std::thread writer_;  // last: starts after every member above is initialized
};

}  // namespace conclave::storage
