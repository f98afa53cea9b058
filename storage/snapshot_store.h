// SnapshotStore: snapshot files of the tree in one directory. The payload is opaque bytes.
//
// ## File format (integers big-endian)
// File name: "snapshot." followed by the zxid as 16 lowercase hex digits, so that names
// sort in zxid order. The zxid is the last transaction the snapshotted state contains;
// replay starts at the first log entry after it.
//   offset  0  "CNSN"        magic
//   offset  4  u32 version   1
//   offset  8  u64 zxid      must equal the zxid in the file name
//   offset 16  u64 payload length
//   offset 24  u32 crc32c    over bytes 0..23 and the payload
//   offset 28  payload
//
// ## Crash semantics
// write() writes "snapshot.<zxid>.tmp", fsyncs it, renames it over the final name and
// fsyncs the directory. A crash before the rename leaves only a .tmp file, removed by the
// next open(); after the rename the file is complete because its data was fsynced first.
// When write() returns OK the snapshot survives a machine crash. A file damaged later (bit
// rot, truncation by hand) fails its CRC or length check; load_newest_valid() then logs it
// and falls back to the next older snapshot, which is why purge() keeps several.
//
// write() is write_unpublished() (the .tmp file, fsynced) then publish() (rename, fsync of
// the directory). The server calls them apart: a forked child writes the file, and the
// parent publishes it once the log is durable through the snapshot's zxid, so a published
// snapshot never holds a transaction the log might lose.
//
// ## Threading
// One writer thread (write, publish, purge) plus any number of reader threads
// (load_newest_valid, list). Readers see only complete files. Writers are serialized
// internally as well. write_unpublished() takes no lock and logs nothing, so it is safe in a
// child process forked from a multi-threaded parent.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/zxid.h"

namespace conclave::storage {

struct Snapshot {
  Zxid zxid = 0;
  std::string payload;
};

class SnapshotStore {
 public:
  // Opens `dir`, creating it (one level) if missing, and removes leftover .tmp files.
  static Result<std::unique_ptr<SnapshotStore>> open(const std::string& dir);

  // Durably stores a snapshot at `zxid`, replacing one with the same zxid.
  Status write(Zxid zxid, std::string_view payload);
  // The two halves of write(): the fsynced .tmp file, then its rename into place.
  Status write_unpublished(Zxid zxid, std::string_view payload) const;
  Status publish(Zxid zxid);
  // Removes an unpublished file (a snapshot given up before publish()).
  void discard_unpublished(Zxid zxid);

  // The newest snapshot whose checksum verifies, or nullopt when there is none. Corrupt or
  // truncated files are logged and skipped. Errors only for failing to read the directory.
  Result<std::optional<Snapshot>> load_newest_valid() const;

  // The zxids of all snapshot files (valid or not), ascending. Empty if the directory
  // cannot be read (logged).
  std::vector<Zxid> list() const;

  // Keeps the newest `retain_count` (>= 1) valid snapshots and deletes every other snapshot
  // file. Returns the zxid of the oldest retained snapshot S: the txn log must keep every
  // entry after S, so the caller then calls TxnLog::purge_before(S + 1). kNoNode, with
  // nothing deleted, when no snapshot is valid.
  Result<Zxid> purge(size_t retain_count);

  static std::string file_name(Zxid zxid);
  const std::string& dir() const { return dir_; }

 private:
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}
  std::string path_of(Zxid zxid) const;
  Status publish_locked(Zxid zxid);
  // Verifies the file at `zxid`; fills `payload` if non-null. Empty string = valid.
  std::string read_and_verify(Zxid zxid, std::string* payload) const;

  const std::string dir_;
  std::mutex writer_mu_;  // one write() or purge() at a time
  // Exclusive while files are renamed or deleted, shared while they are read.
  mutable std::shared_mutex files_mu_;
};

}  // namespace conclave::storage
