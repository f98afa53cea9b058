// LevelDbTxnLog: the TxnLog of a real member, in one LevelDB database (dataLogDir).
//
// ## On-disk format (format version 1)
//
// Keys (LevelDB's default bytewise comparator):
//   'l' ‖ zxid as 8 bytes big-endian      a log entry; big-endian makes key order zxid order
//   "e:accepted_epoch"                    acceptedEpoch
//   "e:current_epoch"                     currentEpoch
//   "m:format"                            the string "conclave-txnlog v1", written on creation
//
// Log entry value (integers big-endian):
//   u8  version = 1
//   u32 crc32c over (key zxid as 8 bytes ‖ every byte of the value after this field)
//   u64 prev_zxid    zxid of the entry appended just before this one (0 for the first ever)
//   u32 payload length
//   ... payload
// The CRC covers the key's zxid, so a value under the wrong key is detected too. prev_zxid
// chains entries: a gap (an entry lost from the middle) breaks the chain and is treated
// exactly like a corrupt entry. The first entry present is not checked against its
// predecessor, which purge_before may have removed.
//
// Epoch value: u8 version = 1 ‖ u32 crc32c(key ‖ epoch bytes) ‖ u32 epoch.
//
// ## Crash guarantees
//  - append(kSync) writes one WriteBatch with WriteOptions.sync: the batch lands in
//    LevelDB's write-ahead log as one record and one fsync. A crash mid-write leaves a
//    torn record at the end of that WAL, which LevelDB drops on recovery (paranoid_checks
//    off), so the batch is all there or all gone.
//  - On open every entry is verified (CRC, version, length, prev_zxid chain). Everything
//    from the first bad entry on is deleted with a synced write and logged as a warning
//    naming the zxids dropped. A corrupt entry is never handed to the caller. Opening
//    therefore reads the whole log once; purge keeps it short.
//  - A failed write (disk full, EIO) returns kSystemError with LevelDB's message and never
//    crashes. LevelDB then refuses every later write (it latches the error because the WAL
//    state is indeterminate), so the next write closes and reopens the database; the
//    reopen also deletes whatever part of the failed batch reached the disk, so a failed
//    append leaves no trace. Writes succeed again once space returns. While a reopen is
//    failing, the database stays closed and readers get kSystemError.
//  - Epoch setters are synced writes; a LevelDB write is atomic, so there is no half-written
//    epoch (ZooKeeper's currentEpoch.tmp recovery, ZOOKEEPER-1653, has no equivalent here).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "storage/txn_log.h"

namespace leveldb {
class DB;
class Env;
class WriteBatch;
}  // namespace leveldb

namespace conclave::storage {

class LevelDbTxnLog final : public TxnLog {
 public:
  struct Options {
    // The LevelDB Env; nullptr means leveldb::Env::Default(). Tests inject faults here.
    leveldb::Env* env = nullptr;
  };

  // Opens (creating if missing) the database in `dir`, verifies it and drops a corrupt tail.
  static Result<std::unique_ptr<LevelDbTxnLog>> open(const std::string& dir, Options options);
  static Result<std::unique_ptr<LevelDbTxnLog>> open(const std::string& dir) {
    return open(dir, Options{});
  }

  ~LevelDbTxnLog() override;
  LevelDbTxnLog(const LevelDbTxnLog&) = delete;
  LevelDbTxnLog& operator=(const LevelDbTxnLog&) = delete;

  Status append(std::span<const LogEntry> entries, SyncMode mode) override;
  Zxid last_zxid() const override { return last_zxid_.load(); }
  Zxid first_zxid() const override { return first_zxid_.load(); }
  Status scan(Zxid from_inclusive, const Visitor& visit) const override;
  Status truncate_after(Zxid zxid) override;
  Status purge_before(Zxid zxid) override;
  Result<std::optional<uint32_t>> accepted_epoch() const override;
  Status set_accepted_epoch(uint32_t epoch) override;
  Result<std::optional<uint32_t>> current_epoch() const override;
  Status set_current_epoch(uint32_t epoch) override;

  // How many times the database was reopened to recover from a failed write.
  uint64_t recovery_count() const { return recovery_count_.load(); }

 private:
  LevelDbTxnLog(std::string dir, Options options);

  // All *_locked functions require write_mu_.
  Status open_db_locked();
  Status recover_locked();
  Status ensure_writable_locked();
  Status write_locked(leveldb::WriteBatch& batch, bool sync);
  Status validate_locked();
  Status truncate_after_locked(Zxid zxid);
  Status set_epoch_locked(const char* key, uint32_t epoch);
  Result<std::optional<uint32_t>> get_epoch(const char* key) const;

  const std::string dir_;
  const Options options_;

  // Lock order: write_mu_, then db_mu_. Writers hold write_mu_, which alone keeps db_ from
  // being replaced under them; readers hold db_mu_ shared; replacing db_ needs both.
  std::mutex write_mu_;
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<leveldb::DB> db_;
  bool needs_recovery_ = false;   // guarded by write_mu_
  std::string last_write_error_;  // guarded by write_mu_

  std::atomic<Zxid> first_zxid_{kNoZxid};
  std::atomic<Zxid> last_zxid_{kNoZxid};
  std::atomic<uint64_t> recovery_count_{0};
};

}  // namespace conclave::storage
