// MemoryTxnLog: the in-memory twin of LevelDbTxnLog for unit tests and the simulator.
//
// It keeps the TxnLog promises and models a disk: appends with SyncMode::kNoSync stay
// "unsynced" until the next synced write (any synced append, truncate, purge or epoch
// write flushes them, as an fsync of LevelDB's WAL does); crash() loses exactly the
// unsynced entries. fail_writes() makes every write fail like a full disk, with no effect.
// Everything is kept in memory: no checksums, nothing can be corrupt.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "storage/txn_log.h"

namespace conclave::storage {

class MemoryTxnLog final : public TxnLog {
 public:
  MemoryTxnLog() = default;

  Status append(std::span<const LogEntry> entries, SyncMode mode) override;
  Zxid last_zxid() const override;
  Zxid first_zxid() const override;
  Status scan(Zxid from_inclusive, const Visitor& visit) const override;
  Status truncate_after(Zxid zxid) override;
  Status purge_before(Zxid zxid) override;
  Result<std::optional<uint32_t>> accepted_epoch() const override;
  Status set_accepted_epoch(uint32_t epoch) override;
  Result<std::optional<uint32_t>> current_epoch() const override;
  Status set_current_epoch(uint32_t epoch) override;

  // Simulates a machine crash and restart: entries not yet synced are gone.
  void crash();
  // While true, every write returns kSystemError and changes nothing (a full disk).
  void fail_writes(bool fail);
  // Number of synced writes so far (each one an fsync on a real disk).
  uint64_t sync_count() const;
  // Called, outside the lock, before each synced append; tests block here to hold an
  // "fsync" in flight.
  void set_before_sync_hook(std::function<void()> hook);

 private:
  Status check_writable_locked() const;
  void mark_synced_locked();

  mutable std::mutex mu_;
  std::map<Zxid, std::string> entries_;
  // Entries with zxid > synced_through_ were appended without sync since the last sync.
  Zxid synced_through_ = kNoZxid;
  std::optional<uint32_t> accepted_epoch_;
  std::optional<uint32_t> current_epoch_;
  bool fail_writes_ = false;
  uint64_t sync_count_ = 0;
  std::function<void()> before_sync_hook_;
};

}  // namespace conclave::storage
