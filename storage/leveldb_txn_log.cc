#include "storage/leveldb_txn_log.h"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "storage/big_endian.h"
#include "storage/crc32c.h"

namespace conclave::storage {
namespace {

constexpr char kEntryPrefix = 'l';
constexpr size_t kEntryKeySize = 1 + 8;
constexpr uint8_t kEntryVersion = 1;
constexpr size_t kEntryHeaderSize = 1 + 4 + 8 + 4;
constexpr uint8_t kEpochVersion = 1;
constexpr size_t kEpochValueSize = 1 + 4 + 4;
constexpr const char* kAcceptedEpochKey = "e:accepted_epoch";
constexpr const char* kCurrentEpochKey = "e:current_epoch";
constexpr const char* kFormatKey = "m:format";
constexpr std::string_view kFormatValue = "conclave-txnlog v1";
// Deletes per WriteBatch when purging, so a purge of millions of entries stays bounded in memory.
constexpr size_t kPurgeBatchEntries = 4096;
// LevelDB memtable size (its default is 4 MiB).
constexpr size_t kWriteBufferBytes = size_t{32} << 20;

std::string hex_zxid(Zxid zxid) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(zxid));
  return buf;
}

std::string entry_key(Zxid zxid) {
  std::string key(1, kEntryPrefix);
  put_u64_be(key, static_cast<uint64_t>(zxid));
  return key;
}

bool is_entry_key(const leveldb::Slice& key) {
  return !key.empty() && key[0] == kEntryPrefix;
}

std::string encode_entry(Zxid zxid, Zxid prev_zxid, std::string_view payload) {
  std::string value;
  value.reserve(kEntryHeaderSize + payload.size());
  value.push_back(static_cast<char>(kEntryVersion));
  value.append(4, '\0');
  put_u64_be(value, static_cast<uint64_t>(prev_zxid));
  put_u32_be(value, static_cast<uint32_t>(payload.size()));
  value.append(payload);
  std::string zxid_bytes;
  put_u64_be(zxid_bytes, static_cast<uint64_t>(zxid));
  uint32_t crc = crc32c_extend(crc32c(zxid_bytes), std::string_view(value).substr(5));
  std::string crc_bytes;
  put_u32_be(crc_bytes, crc);
  value.replace(1, 4, crc_bytes);
  return value;
}

struct DecodedEntry {
  Zxid zxid = kNoZxid;
  Zxid prev_zxid = kNoZxid;
  std::string_view payload;
};

// Returns an empty string on success, else why the entry is bad.
std::string decode_entry(const leveldb::Slice& key, const leveldb::Slice& value,
                         DecodedEntry* out) {
  if (key.size() != kEntryKeySize) return "malformed key";
  out->zxid = static_cast<Zxid>(get_u64_be(key.data() + 1));
  if (value.size() < kEntryHeaderSize) return "value shorter than its header";
  if (static_cast<uint8_t>(value[0]) != kEntryVersion) return "unknown entry format version";
  uint32_t stored_crc = get_u32_be(value.data() + 1);
  uint32_t crc = crc32c_extend(crc32c(std::string_view(key.data() + 1, 8)),
                               std::string_view(value.data() + 5, value.size() - 5));
  if (crc != stored_crc) return "checksum mismatch";
  out->prev_zxid = static_cast<Zxid>(get_u64_be(value.data() + 5));
  uint32_t length = get_u32_be(value.data() + 13);
  if (length != value.size() - kEntryHeaderSize) return "payload length mismatch";
  out->payload = std::string_view(value.data() + kEntryHeaderSize, length);
  return {};
}

std::string encode_epoch(const char* key, uint32_t epoch) {
  std::string epoch_bytes;
  put_u32_be(epoch_bytes, epoch);
  std::string value(1, static_cast<char>(kEpochVersion));
  put_u32_be(value, crc32c_extend(crc32c(key), epoch_bytes));
  value += epoch_bytes;
  return value;
}

Error leveldb_error(std::string_view what, const leveldb::Status& s) {
  return Error(ErrorCode::kSystemError, std::string(what) + ": " + s.ToString());
}

Error closed_error() {
  return Error(ErrorCode::kSystemError,
               "txn log is closed after a failed write; the next write reopens it");
}

leveldb::Options db_options(const LevelDbTxnLog::Options& options) {
  leveldb::Options o;
  o.create_if_missing = true;
  // LevelDB then drops a torn record at the end of its WAL instead of refusing to open;
  // our own CRC and prev_zxid chain catch every other kind of damage.
  o.paranoid_checks = false;
  // Entries are written once and read only at start-up: a bigger memtable means fewer
  // flushes and compactions under a steady write load (the 4 MiB default stalled writers),
  // and compression buys little on small, mostly unique records while costing CPU on reads.
  o.write_buffer_size = kWriteBufferBytes;
  o.compression = leveldb::kNoCompression;
  if (options.env != nullptr) o.env = options.env;
  return o;
}

}  // namespace

LevelDbTxnLog::LevelDbTxnLog(std::string dir, Options options)
    : dir_(std::move(dir)), options_(options) {}

LevelDbTxnLog::~LevelDbTxnLog() {
  std::lock_guard write_lock(write_mu_);
  std::unique_lock db_lock(db_mu_);
  db_.reset();
}

Result<std::unique_ptr<LevelDbTxnLog>> LevelDbTxnLog::open(const std::string& dir,
                                                           Options options) {
  std::unique_ptr<LevelDbTxnLog> txn_log(new LevelDbTxnLog(dir, options));
  std::unique_lock lock(txn_log->write_mu_);
  Status s = txn_log->open_db_locked();
  if (!s.ok()) return s.error();
  std::string format;
  leveldb::Status ls = txn_log->db_->Get(leveldb::ReadOptions(), kFormatKey, &format);
  if (ls.IsNotFound()) {
    leveldb::WriteBatch batch;
    batch.Put(kFormatKey, leveldb::Slice(kFormatValue.data(), kFormatValue.size()));
    s = txn_log->write_locked(batch, true);
    if (!s.ok()) return s.error();
  } else if (!ls.ok()) {
    return leveldb_error("reading the txn log format of " + dir, ls);
  } else if (format != kFormatValue) {
    return Error(ErrorCode::kSystemError,
                 "txn log " + dir + " has unsupported format '" + format + "'");
  }
  s = txn_log->validate_locked();
  if (!s.ok()) return s.error();
  log::info("txn log ", dir, ": entries ", hex_zxid(txn_log->first_zxid()), "..",
            hex_zxid(txn_log->last_zxid()));
  lock.unlock();
  return txn_log;
}

Status LevelDbTxnLog::open_db_locked() {
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(db_options(options_), dir_, &raw);
  if (!s.ok()) return leveldb_error("opening txn log " + dir_, s);
  std::unique_lock db_lock(db_mu_);
  db_.reset(raw);
  return {};
}

Status LevelDbTxnLog::write_locked(leveldb::WriteBatch& batch, bool sync) {
  leveldb::WriteOptions wo;
  wo.sync = sync;
  leveldb::Status s = db_->Write(wo, &batch);
  if (s.ok()) return {};
  // LevelDB latches a failed sync as a background error and fails every later write, and
  // even a failed plain write may have left a partial WAL record: reopen before the next write.
  needs_recovery_ = true;
  last_write_error_ = s.ToString();
  log::error("txn log ", dir_, ": write failed: ", last_write_error_);
  return leveldb_error("txn log write failed", s);
}

Status LevelDbTxnLog::ensure_writable_locked() {
  if (!needs_recovery_) return {};
  return recover_locked();
}

Status LevelDbTxnLog::recover_locked() {
  const Zxid known_last = last_zxid_.load();
  {
    std::unique_lock db_lock(db_mu_);
    db_.reset();
  }
  ++recovery_count_;
  Status s = open_db_locked();
  if (!s.ok()) {
    log::warn("txn log ", dir_, ": reopen after failed write failed: ", s.error().detail);
    return s;
  }
  s = validate_locked();
  if (!s.ok()) return s;
  const Zxid disk_last = last_zxid_.load();
  if (disk_last > known_last) {
    // Part or all of the failed batch reached the disk; the caller was told it failed.
    log::warn("txn log ", dir_, ": dropping entries ", hex_zxid(known_last), "..",
              hex_zxid(disk_last), " of the failed write");
    s = truncate_after_locked(known_last);
    if (!s.ok()) return s;
  } else if (disk_last < known_last) {
    log::error("txn log ", dir_, ": after reopen the log ends at ", hex_zxid(disk_last),
               " but synced entries reached ", hex_zxid(known_last));
  }
  needs_recovery_ = false;
  log::info("txn log ", dir_, ": reopened after failed write (", last_write_error_, ")");
  return {};
}

Status LevelDbTxnLog::validate_locked() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  Zxid first = kNoZxid;
  Zxid last = kNoZxid;
  std::vector<std::string> bad_keys;
  std::string reason;
  Zxid first_bad = kNoZxid;
  Zxid last_bad = kNoZxid;
  for (it->Seek(leveldb::Slice(&kEntryPrefix, 1)); it->Valid() && is_entry_key(it->key());
       it->Next()) {
    DecodedEntry entry;
    if (bad_keys.empty()) {
      reason = decode_entry(it->key(), it->value(), &entry);
      if (reason.empty() && last != kNoZxid && entry.prev_zxid != last) {
        reason =
            "gap: entry follows " + hex_zxid(entry.prev_zxid) + ", the log has " + hex_zxid(last);
      }
      if (reason.empty()) {
        if (first == kNoZxid) first = entry.zxid;
        last = entry.zxid;
        continue;
      }
      first_bad = entry.zxid;
    }
    bad_keys.push_back(it->key().ToString());
    if (it->key().size() == kEntryKeySize)
      last_bad = static_cast<Zxid>(get_u64_be(it->key().data() + 1));
  }
  if (!it->status().ok()) return leveldb_error("reading txn log " + dir_, it->status());
  it.reset();
  if (!bad_keys.empty()) {
    log::warn("txn log ", dir_, ": ", reason, " at ", hex_zxid(first_bad), "; dropping ",
              bad_keys.size(), " entries ", hex_zxid(first_bad), "..", hex_zxid(last_bad),
              " after the last valid entry ", hex_zxid(last));
    leveldb::WriteBatch batch;
    for (const std::string& key : bad_keys)
      batch.Delete(key);
    Status s = write_locked(batch, true);
    if (!s.ok()) return s;
  }
  first_zxid_ = first;
  last_zxid_ = last;
  return {};
}

Status LevelDbTxnLog::append(std::span<const LogEntry> entries, SyncMode mode) {
  std::lock_guard lock(write_mu_);
  if (entries.empty()) return {};
  Zxid prev = last_zxid_.load();
  for (const LogEntry& e : entries) {
    if (e.zxid <= prev) {
      return Error(ErrorCode::kRuntimeInconsistency,
                   "txn log append out of order: " + hex_zxid(e.zxid) + " after " + hex_zxid(prev));
    }
    if (e.payload.size() > std::numeric_limits<uint32_t>::max()) {
      return Error(ErrorCode::kBadArguments, "txn log entry too large");
    }
    prev = e.zxid;
  }
  Status s = ensure_writable_locked();
  if (!s.ok()) return s;
  leveldb::WriteBatch batch;
  prev = last_zxid_.load();
  for (const LogEntry& e : entries) {
    batch.Put(entry_key(e.zxid), encode_entry(e.zxid, prev, e.payload));
    prev = e.zxid;
  }
  s = write_locked(batch, mode == SyncMode::kSync);
  if (!s.ok()) return s;
  if (first_zxid_.load() == kNoZxid) first_zxid_ = entries.front().zxid;
  last_zxid_ = entries.back().zxid;
  return {};
}

Status LevelDbTxnLog::scan(Zxid from_inclusive, const Visitor& visit) const {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return closed_error();
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  Zxid prev = kNoZxid;
  for (it->Seek(entry_key(std::max<Zxid>(from_inclusive, 1)));
       it->Valid() && is_entry_key(it->key()); it->Next()) {
    DecodedEntry entry;
    std::string reason = decode_entry(it->key(), it->value(), &entry);
    if (reason.empty() && prev != kNoZxid && entry.prev_zxid != prev) reason = "gap in the log";
    if (!reason.empty()) {
      return Error(ErrorCode::kDataInconsistency,
                   "corrupt txn log entry at zxid " + hex_zxid(entry.zxid) + ": " + reason);
    }
    prev = entry.zxid;
    if (!visit(entry.zxid, entry.payload)) return {};
  }
  if (!it->status().ok()) return leveldb_error("reading txn log " + dir_, it->status());
  return {};
}

Status LevelDbTxnLog::truncate_after(Zxid zxid) {
  std::lock_guard lock(write_mu_);
  Status s = ensure_writable_locked();
  if (!s.ok()) return s;
  return truncate_after_locked(zxid);
}

Status LevelDbTxnLog::truncate_after_locked(Zxid zxid) {
  if (zxid >= last_zxid_.load()) return {};
  // zxid < last_zxid_ here, so zxid + 1 cannot overflow and an entry at or after it exists.
  const std::string first_dropped_key = entry_key(std::max<Zxid>(zxid + 1, 1));
  leveldb::WriteBatch batch;
  Zxid new_last = kNoZxid;
  {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(first_dropped_key); it->Valid() && is_entry_key(it->key()); it->Next()) {
      batch.Delete(it->key());
    }
    it->Seek(first_dropped_key);
    if (it->Valid()) it->Prev();
    if (it->Valid() && is_entry_key(it->key())) {
      new_last = static_cast<Zxid>(get_u64_be(it->key().data() + 1));
    }
    if (!it->status().ok()) return leveldb_error("reading txn log " + dir_, it->status());
  }
  Status s = write_locked(batch, true);
  if (!s.ok()) return s;
  log::info("txn log ", dir_, ": truncated after ", hex_zxid(zxid), ", was up to ",
            hex_zxid(last_zxid_.load()));
  last_zxid_ = new_last;
  if (new_last == kNoZxid) first_zxid_ = kNoZxid;
  return {};
}

Status LevelDbTxnLog::purge_before(Zxid zxid) {
  // Chunk by chunk, taking the write lock for one chunk at a time: a purge of a long log
  // must not hold up appends (it once stalled writes for ~300 ms). Each chunk removes a
  // prefix of the log, so a crash between chunks leaves a valid log.
  for (;;) {
    std::lock_guard lock(write_mu_);
    Status s = ensure_writable_locked();
    if (!s.ok()) return s;
    const Zxid limit = std::min(zxid, last_zxid_.load());
    if (first_zxid_.load() == kNoZxid || first_zxid_.load() >= limit) return {};
    leveldb::ReadOptions ro;
    ro.fill_cache = false;  // old entries are read once, to be deleted
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
    leveldb::WriteBatch batch;
    size_t in_batch = 0;
    Zxid new_first = kNoZxid;
    for (it->Seek(entry_key(first_zxid_.load())); it->Valid() && is_entry_key(it->key());
         it->Next()) {
      Zxid z = static_cast<Zxid>(get_u64_be(it->key().data() + 1));
      if (z >= limit || in_batch == kPurgeBatchEntries) {
        new_first = z;
        break;
      }
      batch.Delete(it->key());
      ++in_batch;
    }
    if (!it->status().ok()) return leveldb_error("reading txn log " + dir_, it->status());
    it.reset();
    // Unsynced: a purge lost in a crash is simply redone by the next one.
    s = write_locked(batch, false);
    if (!s.ok()) return s;
    first_zxid_ = new_first;
    if (new_first == kNoZxid || new_first >= limit) return {};
  }
}

Result<std::optional<uint32_t>> LevelDbTxnLog::get_epoch(const char* key) const {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return closed_error();
  std::string value;
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  leveldb::Status s = db_->Get(ro, key, &value);
  if (s.IsNotFound()) return std::optional<uint32_t>();
  if (!s.ok()) return leveldb_error(std::string("reading ") + key, s);
  if (value.size() != kEpochValueSize || static_cast<uint8_t>(value[0]) != kEpochVersion ||
      get_u32_be(value.data() + 1) !=
          crc32c_extend(crc32c(key), std::string_view(value.data() + 5, 4))) {
    return Error(ErrorCode::kDataInconsistency, std::string("corrupt epoch record ") + key);
  }
  return std::optional<uint32_t>(get_u32_be(value.data() + 5));
}

Status LevelDbTxnLog::set_epoch_locked(const char* key, uint32_t epoch) {
  Status s = ensure_writable_locked();
  if (!s.ok()) return s;
  leveldb::WriteBatch batch;
  batch.Put(key, encode_epoch(key, epoch));
  return write_locked(batch, true);
}

Result<std::optional<uint32_t>> LevelDbTxnLog::accepted_epoch() const {
  return get_epoch(kAcceptedEpochKey);
}

Status LevelDbTxnLog::set_accepted_epoch(uint32_t epoch) {
  std::lock_guard lock(write_mu_);
  return set_epoch_locked(kAcceptedEpochKey, epoch);
}

Result<std::optional<uint32_t>> LevelDbTxnLog::current_epoch() const {
  return get_epoch(kCurrentEpochKey);
}

Status LevelDbTxnLog::set_current_epoch(uint32_t epoch) {
  std::lock_guard lock(write_mu_);
  return set_epoch_locked(kCurrentEpochKey, epoch);
}

}  // namespace conclave::storage
