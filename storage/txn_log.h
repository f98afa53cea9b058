// TxnLog: the durable, zxid-ordered transaction log of one member, and its two epochs.
//
// Entries are opaque bytes keyed by zxid; storage/ knows nothing of what they mean.
// Implementations: LevelDbTxnLog (the real one) and MemoryTxnLog (its in-memory twin for
// tests and the simulator, which models "what was not synced is lost on a crash").
//
// The promises every implementation keeps:
//  - append() is all-or-nothing for the batch as seen by later calls: when it returns an
//    error, last_zxid() and scan() show the log as it was before the call.
//  - With SyncMode::kSync, an OK from append() means the whole batch survives a crash of
//    the process or the machine (one fsync for the batch). With kNoSync it survives a
//    process crash but may be lost if the machine crashes (ZooKeeper's forceSync=no).
//  - zxids are strictly increasing; an append that breaks that is a caller bug and is
//    rejected with kRuntimeInconsistency without touching the log.
//  - scan() never hands out an entry whose checksum does not verify.
//  - Epoch setters are always synced: ZAB persists acceptedEpoch before ACKEPOCH and
//    currentEpoch before the NEWLEADER ACK (reference B.4, B.5, B.7).
//
// Thread safety: all methods may be called from any thread; writers (append, truncate_after,
// purge_before, epoch setters) are serialized internally and may run concurrently with
// readers (scan, last_zxid, first_zxid, epoch getters). A scan visitor must not write to
// the same log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/zxid.h"

namespace conclave::storage {

// The zxid of "no entry": last_zxid() and first_zxid() of an empty log. Appended zxids are > 0.
constexpr Zxid kNoZxid = 0;

struct LogEntry {
  Zxid zxid = kNoZxid;
  std::string payload;
};

enum class SyncMode {
  kSync,    // fsync before returning: the entries survive a machine crash.
  kNoSync,  // handed to the OS only: survives kill -9, not a power loss (forceSync=no).
};

class TxnLog {
 public:
  // Returns false to stop the scan early. The payload view is valid only during the call.
  using Visitor = std::function<bool(Zxid zxid, std::string_view payload)>;

  virtual ~TxnLog() = default;

  // Appends `entries` (zxids strictly increasing, all > last_zxid()) as one atomic batch.
  virtual Status append(std::span<const LogEntry> entries, SyncMode mode) = 0;

  // The newest entry's zxid, or kNoZxid when the log is empty.
  virtual Zxid last_zxid() const = 0;
  // The oldest entry's zxid (moves forward with purge_before), or kNoZxid when empty.
  virtual Zxid first_zxid() const = 0;

  // Visits entries with zxid >= from_inclusive in zxid order, verifying each checksum.
  // Stops at the first corrupt entry and returns kDataInconsistency naming its zxid; the
  // corrupt entry itself is never visited.
  virtual Status scan(Zxid from_inclusive, const Visitor& visit) const = 0;

  // Removes every entry with zxid > `zxid` (a corrupt tail, or ZAB's TRUNC). Synced.
  virtual Status truncate_after(Zxid zxid) = 0;

  // Removes entries with zxid < `zxid`, except that the newest entry is always kept, so
  // last_zxid() survives any purge. After SnapshotStore::purge() returned the oldest
  // retained snapshot S, call purge_before(S + 1): replay needs every entry after S.
  virtual Status purge_before(Zxid zxid) = 0;

  // The epochs, nullopt when never set (a fresh member; see epoch_recovery.h).
  virtual Result<std::optional<uint32_t>> accepted_epoch() const = 0;
  virtual Status set_accepted_epoch(uint32_t epoch) = 0;
  virtual Result<std::optional<uint32_t>> current_epoch() const = 0;
  virtual Status set_current_epoch(uint32_t epoch) = 0;
};

}  // namespace conclave::storage
