#include "storage/memory_txn_log.h"

#include <gtest/gtest.h>

#include <vector>

namespace conclave::storage {
namespace {

std::vector<LogEntry> entries(Zxid from, Zxid to) {
  std::vector<LogEntry> out;
  for (Zxid z = from; z <= to; ++z)
    out.push_back({z, "p" + std::to_string(z)});
  return out;
}

std::vector<Zxid> zxids_of(const TxnLog& log, Zxid from = 0) {
  std::vector<Zxid> out;
  EXPECT_TRUE(log.scan(from,
                       [&](Zxid z, std::string_view) {
                         out.push_back(z);
                         return true;
                       })
                  .ok());
  return out;
}

TEST(MemoryTxnLogTest, CrashLosesOnlyUnsyncedEntries) {
  MemoryTxnLog log;
  ASSERT_TRUE(log.append(entries(1, 2), SyncMode::kSync).ok());
  ASSERT_TRUE(log.append(entries(3, 4), SyncMode::kNoSync).ok());
  EXPECT_EQ(log.last_zxid(), 4);
  log.crash();
  EXPECT_EQ(zxids_of(log), (std::vector<Zxid>{1, 2}));

  ASSERT_TRUE(log.append(entries(3, 4), SyncMode::kNoSync).ok());
  ASSERT_TRUE(log.append(entries(5, 5), SyncMode::kSync).ok());  // syncs 3 and 4 too
  ASSERT_TRUE(log.append(entries(6, 6), SyncMode::kNoSync).ok());
  ASSERT_TRUE(log.set_accepted_epoch(1).ok());  // an epoch write is a sync as well
  ASSERT_TRUE(log.append(entries(7, 7), SyncMode::kNoSync).ok());
  log.crash();
  EXPECT_EQ(zxids_of(log), (std::vector<Zxid>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(log.accepted_epoch()->value(), 1u);
}

TEST(MemoryTxnLogTest, FailedWritesChangeNothing) {
  MemoryTxnLog log;
  ASSERT_TRUE(log.append(entries(1, 2), SyncMode::kSync).ok());
  log.fail_writes(true);
  EXPECT_EQ(log.append(entries(3, 3), SyncMode::kSync).code(), ErrorCode::kSystemError);
  EXPECT_EQ(log.truncate_after(1).code(), ErrorCode::kSystemError);
  EXPECT_EQ(log.set_current_epoch(1).code(), ErrorCode::kSystemError);
  EXPECT_EQ(zxids_of(log), (std::vector<Zxid>{1, 2}));
  EXPECT_FALSE(log.current_epoch()->has_value());
  log.fail_writes(false);
  ASSERT_TRUE(log.append(entries(3, 3), SyncMode::kSync).ok());
}

TEST(MemoryTxnLogTest, SameContractAsTheRealLog) {
  MemoryTxnLog log;
  ASSERT_TRUE(log.append(entries(1, 10), SyncMode::kSync).ok());
  EXPECT_EQ(log.append(entries(10, 10), SyncMode::kSync).code(), ErrorCode::kRuntimeInconsistency);
  ASSERT_TRUE(log.truncate_after(8).ok());
  ASSERT_TRUE(log.purge_before(4).ok());
  EXPECT_EQ(log.first_zxid(), 4);
  EXPECT_EQ(log.last_zxid(), 8);
  EXPECT_EQ(zxids_of(log, 6), (std::vector<Zxid>{6, 7, 8}));
  ASSERT_TRUE(log.purge_before(100).ok());
  EXPECT_EQ(zxids_of(log), (std::vector<Zxid>{8}));
  EXPECT_GE(log.sync_count(), 3u);
}

}  // namespace
}  // namespace conclave::storage
