#include "storage/epoch_recovery.h"

#include <gtest/gtest.h>

#include "storage/memory_txn_log.h"

namespace conclave::storage {
namespace {

TEST(EpochRecoveryTest, MissingEpochsAreCreatedFromTheLastZxid) {
  MemoryTxnLog log;
  Result<Epochs> epochs = recover_epochs(log, make_zxid(3, 7));
  ASSERT_TRUE(epochs.ok());
  EXPECT_EQ(epochs->accepted, 3u);
  EXPECT_EQ(epochs->current, 3u);
  EXPECT_EQ(log.current_epoch()->value(), 3u);
  EXPECT_EQ(log.accepted_epoch()->value(), 3u);
}

TEST(EpochRecoveryTest, FreshMemberStartsAtEpochZero) {
  MemoryTxnLog log;
  Result<Epochs> epochs = recover_epochs(log, kNoZxid);
  ASSERT_TRUE(epochs.ok());
  EXPECT_EQ(epochs->current, 0u);
}

TEST(EpochRecoveryTest, ConsistentEpochsAreReturnedAsStored) {
  MemoryTxnLog log;
  ASSERT_TRUE(log.set_accepted_epoch(5).ok());
  ASSERT_TRUE(log.set_current_epoch(4).ok());
  Result<Epochs> epochs = recover_epochs(log, make_zxid(4, 1));
  ASSERT_TRUE(epochs.ok());
  EXPECT_EQ(epochs->accepted, 5u);
  EXPECT_EQ(epochs->current, 4u);
}

TEST(EpochRecoveryTest, LogAheadOfCurrentEpochFails) {  // ZOOKEEPER-1653
  MemoryTxnLog log;
  ASSERT_TRUE(log.set_accepted_epoch(3).ok());
  ASSERT_TRUE(log.set_current_epoch(2).ok());
  EXPECT_EQ(recover_epochs(log, make_zxid(3, 1)).code(), ErrorCode::kRuntimeInconsistency);
}

TEST(EpochRecoveryTest, AcceptedBehindCurrentFails) {
  MemoryTxnLog log;
  ASSERT_TRUE(log.set_accepted_epoch(1).ok());
  ASSERT_TRUE(log.set_current_epoch(2).ok());
  EXPECT_EQ(recover_epochs(log, make_zxid(2, 1)).code(), ErrorCode::kRuntimeInconsistency);
}

TEST(EpochRecoveryTest, WriteFailureIsReported) {
  MemoryTxnLog log;
  log.fail_writes(true);
  EXPECT_EQ(recover_epochs(log, make_zxid(1, 1)).code(), ErrorCode::kSystemError);
}

}  // namespace
}  // namespace conclave::storage
