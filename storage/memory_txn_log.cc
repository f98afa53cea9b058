#include "storage/memory_txn_log.h"

#include <algorithm>
#include <string>

namespace conclave::storage {

Status MemoryTxnLog::check_writable_locked() const {
  if (fail_writes_) return Error(ErrorCode::kSystemError, "injected write failure (disk full)");
  return {};
}

void MemoryTxnLog::mark_synced_locked() {
  synced_through_ = entries_.empty() ? kNoZxid : entries_.rbegin()->first;
  ++sync_count_;
}

Status MemoryTxnLog::append(std::span<const LogEntry> entries, SyncMode mode) {
  if (entries.empty()) return {};
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    hook = before_sync_hook_;
  }
  if (mode == SyncMode::kSync && hook) hook();
  std::lock_guard lock(mu_);
  Zxid prev = entries_.empty() ? kNoZxid : entries_.rbegin()->first;
  for (const LogEntry& e : entries) {
    if (e.zxid <= prev) {
      return Error(ErrorCode::kRuntimeInconsistency,
                   "txn log append out of order: " + std::to_string(e.zxid) + " after " +
                       std::to_string(prev));
    }
    prev = e.zxid;
  }
  Status s = check_writable_locked();
  if (!s.ok()) return s;
  for (const LogEntry& e : entries)
    entries_.emplace_hint(entries_.end(), e.zxid, e.payload);
  if (mode == SyncMode::kSync) mark_synced_locked();
  return {};
}

Zxid MemoryTxnLog::last_zxid() const {
  std::lock_guard lock(mu_);
  return entries_.empty() ? kNoZxid : entries_.rbegin()->first;
}

Zxid MemoryTxnLog::first_zxid() const {
  std::lock_guard lock(mu_);
  return entries_.empty() ? kNoZxid : entries_.begin()->first;
}

Status MemoryTxnLog::scan(Zxid from_inclusive, const Visitor& visit) const {
  // Copy out first so the visitor runs without the lock, as LevelDB's iterator snapshot does.
  std::map<Zxid, std::string> view;
  {
    std::lock_guard lock(mu_);
    view.insert(entries_.lower_bound(from_inclusive), entries_.end());
  }
  for (const auto& [zxid, payload] : view) {
    if (!visit(zxid, payload)) break;
  }
  return {};
}

Status MemoryTxnLog::truncate_after(Zxid zxid) {
  std::lock_guard lock(mu_);
  Status s = check_writable_locked();
  if (!s.ok()) return s;
  entries_.erase(entries_.upper_bound(zxid), entries_.end());
  mark_synced_locked();
  return {};
}

Status MemoryTxnLog::purge_before(Zxid zxid) {
  std::lock_guard lock(mu_);
  Status s = check_writable_locked();
  if (!s.ok()) return s;
  if (entries_.empty()) return {};
  const Zxid limit = std::min(zxid, entries_.rbegin()->first);
  entries_.erase(entries_.begin(), entries_.lower_bound(limit));
  mark_synced_locked();
  return {};
}

Result<std::optional<uint32_t>> MemoryTxnLog::accepted_epoch() const {
  std::lock_guard lock(mu_);
  return accepted_epoch_;
}

Status MemoryTxnLog::set_accepted_epoch(uint32_t epoch) {
  std::lock_guard lock(mu_);
  Status s = check_writable_locked();
  if (!s.ok()) return s;
  accepted_epoch_ = epoch;
  mark_synced_locked();
  return {};
}

Result<std::optional<uint32_t>> MemoryTxnLog::current_epoch() const {
  std::lock_guard lock(mu_);
  return current_epoch_;
}

Status MemoryTxnLog::set_current_epoch(uint32_t epoch) {
  std::lock_guard lock(mu_);
  Status s = check_writable_locked();
  if (!s.ok()) return s;
  current_epoch_ = epoch;
  mark_synced_locked();
  return {};
}

void MemoryTxnLog::crash() {
  std::lock_guard lock(mu_);
  entries_.erase(entries_.upper_bound(synced_through_), entries_.end());
}

void MemoryTxnLog::fail_writes(bool fail) {
  std::lock_guard lock(mu_);
  fail_writes_ = fail;
}

uint64_t MemoryTxnLog::sync_count() const {
  std::lock_guard lock(mu_);
  return sync_count_;
}

void MemoryTxnLog::set_before_sync_hook(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  before_sync_hook_ = std::move(hook);
}

}  // namespace conclave::storage
