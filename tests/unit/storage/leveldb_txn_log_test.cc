#include "storage/leveldb_txn_log.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "tests/unit/storage/fault_env.h"
#include "tests/unit/storage/temp_dir.h"

namespace conclave::storage {
namespace {

using testing::FaultEnv;
using testing::TempDir;

std::vector<LogEntry> entries(Zxid from, Zxid to, const std::string& tag = "txn") {
  std::vector<LogEntry> out;
  for (Zxid z = from; z <= to; ++z)
    out.push_back({z, tag + "-" + std::to_string(z)});
  return out;
}

std::vector<std::pair<Zxid, std::string>> scan_all(const TxnLog& log, Zxid from = 0) {
  std::vector<std::pair<Zxid, std::string>> out;
  Status s = log.scan(from, [&](Zxid z, std::string_view payload) {
    out.emplace_back(z, std::string(payload));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return out;
}

std::vector<Zxid> zxids_of(const TxnLog& log, Zxid from = 0) {
  std::vector<Zxid> out;
  for (auto& [z, payload] : scan_all(log, from))
    out.push_back(z);
  return out;
}

std::unique_ptr<LevelDbTxnLog> open_log(const std::string& dir, leveldb::Env* env = nullptr) {
  auto log = LevelDbTxnLog::open(dir, LevelDbTxnLog::Options{env});
  EXPECT_TRUE(log.ok()) << log.error().to_string();
  return log.ok() ? std::move(log).value() : nullptr;
}

std::string entry_key(Zxid zxid) {
  std::string key(1, 'l');
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>(zxid >> shift));
  return key;
}

// Runs `edit` on the raw LevelDB database in `dir`, bypassing LevelDbTxnLog.
template <class F>
void edit_raw(const std::string& dir, F edit) {
  leveldb::DB* raw = nullptr;
  leveldb::Options options;
  ASSERT_TRUE(leveldb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  edit(*db);
}

TEST(LevelDbTxnLogTest, AppendScanReopen) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    EXPECT_EQ(log->last_zxid(), kNoZxid);
    EXPECT_EQ(log->first_zxid(), kNoZxid);
    EXPECT_TRUE(zxids_of(*log).empty());
    ASSERT_TRUE(log->append(entries(1, 3), SyncMode::kSync).ok());
    ASSERT_TRUE(log->append(entries(make_zxid(2, 1), make_zxid(2, 2)), SyncMode::kSync).ok());
    EXPECT_EQ(log->first_zxid(), 1);
    EXPECT_EQ(log->last_zxid(), make_zxid(2, 2));
  }
  auto log = open_log(tmp.path());
  EXPECT_EQ(log->first_zxid(), 1);
  EXPECT_EQ(log->last_zxid(), make_zxid(2, 2));
  auto all = scan_all(*log);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0], std::make_pair(Zxid{1}, std::string("txn-1")));
  EXPECT_EQ(all[3].first, make_zxid(2, 1));
  EXPECT_EQ(zxids_of(*log, 3), (std::vector<Zxid>{3, make_zxid(2, 1), make_zxid(2, 2)}));

  std::vector<Zxid> seen;
  ASSERT_TRUE(log->scan(0,
                        [&](Zxid z, std::string_view) {
                          seen.push_back(z);
                          return seen.size() < 2;
                        })
                  .ok());
  EXPECT_EQ(seen, (std::vector<Zxid>{1, 2}));
}

TEST(LevelDbTxnLogTest, EmptyAndBinaryPayloads) {
  TempDir tmp;
  auto log = open_log(tmp.path());
  std::string binary("\0\xff\x01l", 4);
  std::vector<LogEntry> batch{{1, ""}, {2, binary}};
  ASSERT_TRUE(log->append(batch, SyncMode::kSync).ok());
  log.reset();
  log = open_log(tmp.path());
  auto all = scan_all(*log);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].second, "");
  EXPECT_EQ(all[1].second, binary);
}

TEST(LevelDbTxnLogTest, RejectsZxidsThatDoNotIncrease) {
  TempDir tmp;
  auto log = open_log(tmp.path());
  ASSERT_TRUE(log->append(entries(5, 6), SyncMode::kSync).ok());
  EXPECT_EQ(log->append(entries(6, 7), SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
  EXPECT_EQ(log->append(entries(3, 3), SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
  std::vector<LogEntry> unordered{{9, "a"}, {8, "b"}};
  EXPECT_EQ(log->append(unordered, SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
  std::vector<LogEntry> duplicate{{9, "a"}, {9, "b"}};
  EXPECT_EQ(log->append(duplicate, SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
  EXPECT_EQ(log->last_zxid(), 6);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{5, 6}));

  TempDir tmp2;
  auto fresh = open_log(tmp2.path());
  EXPECT_EQ(fresh->append(entries(0, 0), SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
}

TEST(LevelDbTxnLogTest, CorruptLastEntryIsTruncatedOnReopen) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    ASSERT_TRUE(log->append(entries(1, 5), SyncMode::kSync).ok());
  }
  edit_raw(tmp.path(), [](leveldb::DB& db) {
    std::string value;
    ASSERT_TRUE(db.Get(leveldb::ReadOptions(), entry_key(5), &value).ok());
    value.back() ^= 0x40;  // one flipped payload bit: the CRC no longer matches
    leveldb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db.Put(sync, entry_key(5), value).ok());
  });
  auto log = open_log(tmp.path());
  EXPECT_EQ(log->last_zxid(), 4);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3, 4}));
  // The slot is free again and the chain continues from 4.
  ASSERT_TRUE(log->append(entries(5, 5, "again"), SyncMode::kSync).ok());
  log.reset();
  log = open_log(tmp.path());
  EXPECT_EQ(scan_all(*log).back(), std::make_pair(Zxid{5}, std::string("again-5")));
}

TEST(LevelDbTxnLogTest, CorruptMiddleEntryDropsEverythingFromIt) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    ASSERT_TRUE(log->append(entries(1, 6), SyncMode::kSync).ok());
  }
  edit_raw(tmp.path(), [](leveldb::DB& db) {
    ASSERT_TRUE(db.Put(leveldb::WriteOptions(), entry_key(3), "garbage").ok());
  });
  auto log = open_log(tmp.path());
  EXPECT_EQ(log->last_zxid(), 2);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2}));
}

TEST(LevelDbTxnLogTest, GapInTheMiddleIsDetectedByTheChain) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    ASSERT_TRUE(log->append(entries(1, 6), SyncMode::kSync).ok());
  }
  edit_raw(tmp.path(), [](leveldb::DB& db) {
    ASSERT_TRUE(db.Delete(leveldb::WriteOptions(), entry_key(4)).ok());
  });
  auto log = open_log(tmp.path());
  EXPECT_EQ(log->last_zxid(), 3);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3}));
}

TEST(LevelDbTxnLogTest, TornWalTailLosesOnlyTheLastBatch) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    ASSERT_TRUE(log->append(entries(1, 3), SyncMode::kSync).ok());
    ASSERT_TRUE(log->append(entries(4, 6), SyncMode::kSync).ok());
  }
  // Cut the newest write-ahead log file mid-record, as a crash during the last write would.
  std::filesystem::path wal;
  for (const auto& f : std::filesystem::directory_iterator(tmp.path())) {
    if (f.path().extension() == ".log" && (wal.empty() || f.path() > wal)) wal = f.path();
  }
  ASSERT_FALSE(wal.empty());
  auto size = std::filesystem::file_size(wal);
  ASSERT_GT(size, 10u);
  std::filesystem::resize_file(wal, size - 10);

  auto log = open_log(tmp.path());
  EXPECT_EQ(log->last_zxid(), 3);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3}));
  ASSERT_TRUE(log->append(entries(4, 4), SyncMode::kSync).ok());
}

TEST(LevelDbTxnLogTest, TruncateAfter) {
  TempDir tmp;
  auto log = open_log(tmp.path());
  ASSERT_TRUE(log->append(entries(1, 10), SyncMode::kSync).ok());
  ASSERT_TRUE(log->truncate_after(20).ok());
  EXPECT_EQ(log->last_zxid(), 10);
  ASSERT_TRUE(log->truncate_after(6).ok());
  EXPECT_EQ(log->last_zxid(), 6);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(log->append(entries(7, 8, "new"), SyncMode::kSync).ok());
  log.reset();
  log = open_log(tmp.path());
  EXPECT_EQ(log->last_zxid(), 8);
  EXPECT_EQ(scan_all(*log).back().second, "new-8");
  ASSERT_TRUE(log->truncate_after(0).ok());
  EXPECT_EQ(log->last_zxid(), kNoZxid);
  EXPECT_EQ(log->first_zxid(), kNoZxid);
  EXPECT_TRUE(zxids_of(*log).empty());
  ASSERT_TRUE(log->append(entries(1, 1), SyncMode::kSync).ok());
}

TEST(LevelDbTxnLogTest, PurgeBeforeKeepsTheNewestEntry) {
  TempDir tmp;
  auto log = open_log(tmp.path());
  ASSERT_TRUE(log->purge_before(5).ok());  // empty log: nothing to do
  ASSERT_TRUE(log->append(entries(1, 10), SyncMode::kSync).ok());
  ASSERT_TRUE(log->purge_before(5).ok());
  EXPECT_EQ(log->first_zxid(), 5);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{5, 6, 7, 8, 9, 10}));
  ASSERT_TRUE(log->purge_before(100).ok());
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{10}));
  log.reset();
  log = open_log(tmp.path());
  EXPECT_EQ(log->first_zxid(), 10);
  EXPECT_EQ(log->last_zxid(), 10);
  EXPECT_EQ(log->append(entries(9, 9), SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
  ASSERT_TRUE(log->append(entries(11, 11), SyncMode::kSync).ok());
}

TEST(LevelDbTxnLogTest, LargePurgeSpansSeveralBatches) {
  TempDir tmp;
  auto log = open_log(tmp.path());
  ASSERT_TRUE(log->append(entries(1, 10000), SyncMode::kNoSync).ok());
  ASSERT_TRUE(log->purge_before(9001).ok());
  EXPECT_EQ(log->first_zxid(), 9001);
  EXPECT_EQ(zxids_of(*log).size(), 1000u);
}

TEST(LevelDbTxnLogTest, EpochsPersist) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    EXPECT_FALSE(log->accepted_epoch()->has_value());
    EXPECT_FALSE(log->current_epoch()->has_value());
    ASSERT_TRUE(log->set_accepted_epoch(7).ok());
    ASSERT_TRUE(log->set_current_epoch(6).ok());
  }
  auto log = open_log(tmp.path());
  EXPECT_EQ(log->accepted_epoch()->value(), 7u);
  EXPECT_EQ(log->current_epoch()->value(), 6u);
}

TEST(LevelDbTxnLogTest, CorruptEpochIsReportedNotGuessed) {
  TempDir tmp;
  {
    auto log = open_log(tmp.path());
    ASSERT_TRUE(log->set_current_epoch(6).ok());
  }
  edit_raw(tmp.path(), [](leveldb::DB& db) {
    std::string value;
    ASSERT_TRUE(db.Get(leveldb::ReadOptions(), "e:current_epoch", &value).ok());
    value.back() ^= 1;
    ASSERT_TRUE(db.Put(leveldb::WriteOptions(), "e:current_epoch", value).ok());
  });
  auto log = open_log(tmp.path());
  EXPECT_EQ(log->current_epoch().code(), ErrorCode::kDataInconsistency);
}

TEST(LevelDbTxnLogTest, DiskFullIsAnErrorAndWritesRecoverWhenSpaceReturns) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  ASSERT_TRUE(log->append(entries(1, 3), SyncMode::kSync).ok());

  env.fail_writes = true;
  Status s = log->append(entries(4, 4), SyncMode::kSync);
  EXPECT_EQ(s.code(), ErrorCode::kSystemError);
  EXPECT_NE(s.error().detail.find("No space"), std::string::npos) << s.error().detail;
  EXPECT_EQ(log->last_zxid(), 3);
  // Still full: the reopen fails too, and says so.
  EXPECT_EQ(log->append(entries(4, 4), SyncMode::kSync).code(), ErrorCode::kSystemError);
  EXPECT_EQ(log->set_current_epoch(1).code(), ErrorCode::kSystemError);

  env.fail_writes = false;
  ASSERT_TRUE(log->append(entries(4, 5), SyncMode::kSync).ok());
  EXPECT_GE(log->recovery_count(), 1u);
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3, 4, 5}));
  ASSERT_TRUE(log->set_current_epoch(1).ok());
  log.reset();
  log = open_log(tmp.path());
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3, 4, 5}));
}

TEST(LevelDbTxnLogTest, FailedSyncLeavesNoTraceOfTheBatch) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  ASSERT_TRUE(log->append(entries(1, 3), SyncMode::kSync).ok());

  // The record reaches the WAL but its fsync fails: LevelDB latches the error.
  env.fail_syncs = true;
  EXPECT_EQ(log->append(entries(4, 5, "failed"), SyncMode::kSync).code(), ErrorCode::kSystemError);
  EXPECT_EQ(log->last_zxid(), 3);
  env.fail_syncs = false;

  // The reopen finds the failed batch on disk and drops it, so the same zxids can be retried.
  ASSERT_TRUE(log->append(entries(4, 4, "retried"), SyncMode::kSync).ok());
  EXPECT_EQ(log->recovery_count(), 1u);
  auto all = scan_all(*log);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.back(), std::make_pair(Zxid{4}, std::string("retried-4")));
  log.reset();
  log = open_log(tmp.path());
  EXPECT_EQ(zxids_of(*log), (std::vector<Zxid>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace conclave::storage
