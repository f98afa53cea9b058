#include "storage/group_commit_log.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "common/log.h"

namespace conclave::storage {

GroupCommitLog::GroupCommitLog(TxnLog& log, GroupCommitOptions options)
    : log_(log), options_(options), last_submitted_zxid_(log.last_zxid()) {
  if (!options_.force_sync) {
    log::warn("group commit: forceSync=no, acknowledged writes can be lost on a machine crash");
  }
  writer_ = std::thread([this] { run(); });
}

GroupCommitLog::~GroupCommitLog() {
  shutdown();
}

Status GroupCommitLog::submit(LogEntry entry, Completion done) {
  std::lock_guard lock(mu_);
  if (stopping_) return Error(ErrorCode::kSystemError, "group commit log is shut down");
  if (failure_) {
    return Error(ErrorCode::kSystemError,
                 "an earlier txn log write failed (" + failure_->detail + "); reset() first");
  }
  if (entry.zxid <= last_submitted_zxid_) {
    return Error(ErrorCode::kRuntimeInconsistency, "zxid " + std::to_string(entry.zxid) +
                                                       " submitted after " +
                                                       std::to_string(last_submitted_zxid_));
  }
  if (pending_entries_ + 1 > options_.max_pending_entries ||
      pending_bytes_ + entry.payload.size() > options_.max_pending_bytes) {
    return Error(ErrorCode::kThrottledOp,
                 "txn log queue full: " + std::to_string(pending_entries_) + " entries, " +
                     std::to_string(pending_bytes_) + " bytes pending");
  }
  last_submitted_zxid_ = entry.zxid;
  ++pending_entries_;
  pending_bytes_ += entry.payload.size();
  ++submitted_count_;
  queue_.push_back(Pending{std::move(entry), std::move(done)});
  work_cv_.notify_one();
  return {};
}

void GroupCommitLog::run() {
  std::vector<LogEntry> entries;
  std::vector<Completion> completions;
  for (;;) {
    std::optional<Error> failed_before;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything is written
      entries.clear();
      completions.clear();
      for (Pending& p : queue_) {
        entries.push_back(std::move(p.entry));
        completions.push_back(std::move(p.done));
      }
      queue_.clear();
      failed_before = failure_;
    }

    size_t bytes = 0;
    for (const LogEntry& e : entries)
      bytes += e.payload.size();
    Status status;
    if (failed_before) {
      // These entries follow one that failed; writing them would leave a gap.
      status = Error(ErrorCode::kSystemError, "not written: an earlier txn log write failed (" +
                                                  failed_before->detail + ")");
    } else {
      const auto start = std::chrono::steady_clock::now();
      status = log_.append(entries, options_.force_sync ? SyncMode::kSync : SyncMode::kNoSync);
      const std::chrono::duration<double, std::milli> elapsed =
          std::chrono::steady_clock::now() - start;
      record_batch(entries.size(), options_.force_sync, elapsed.count(), status.ok());
      if (!status.ok()) {
        std::lock_guard lock(mu_);
        failure_ = status.error();
      }
    }

    for (Completion& done : completions) {
      if (!done) continue;
      try {
        done(status);
      } catch (const std::exception& e) {
        log::error("group commit: a completion threw: ", e.what());
      } catch (...) {
        log::error("group commit: a completion threw");
      }
    }

    std::lock_guard lock(mu_);
    pending_entries_ -= entries.size();
    pending_bytes_ -= bytes;
    completed_count_ += entries.size();
    idle_cv_.notify_all();
  }
}

void GroupCommitLog::record_batch(size_t entries, bool synced, double elapsed_ms, bool ok) {
  std::lock_guard lock(stats_mu_);
  ++stats_.batch_count;
  if (!ok) {
    ++stats_.failed_batch_count;
    return;
  }
  stats_.entry_count += entries;
  stats_.max_batch_entries = std::max(stats_.max_batch_entries, entries);
  if (!synced) return;
  if (stats_.fsync_count == 0 || elapsed_ms < stats_.fsync_min_ms) stats_.fsync_min_ms = elapsed_ms;
  stats_.fsync_max_ms = std::max(stats_.fsync_max_ms, elapsed_ms);
  ++stats_.fsync_count;
  fsync_total_ms_ += elapsed_ms;
  stats_.fsync_avg_ms = fsync_total_ms_ / static_cast<double>(stats_.fsync_count);
  if (elapsed_ms > static_cast<double>(options_.fsync_warning_threshold_ms)) {
    ++stats_.fsync_threshold_exceed_count;
    log::warn("fsync-ing the txn log took ", static_cast<int64_t>(elapsed_ms),
              "ms which will adversely effect operation latency. File size is ", entries,
              " entries. See the ZooKeeper troubleshooting guide");
  }
}

void GroupCommitLog::flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = submitted_count_;
  idle_cv_.wait(lock, [&] { return completed_count_ >= target; });
}

Result<Zxid> GroupCommitLog::reset() {
  flush();
  std::lock_guard lock(mu_);
  if (failure_) log::info("group commit: resuming after failed write: ", failure_->detail);
  failure_.reset();
  last_submitted_zxid_ = log_.last_zxid();
  return last_submitted_zxid_;
}

void GroupCommitLog::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

FsyncStats GroupCommitLog::fsync_stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

size_t GroupCommitLog::pending_entries() const {
  std::lock_guard lock(mu_);
  return pending_entries_;
}

}  // namespace conclave::storage
