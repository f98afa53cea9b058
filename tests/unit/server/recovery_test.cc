#include "server/recovery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "datatree/txn.h"
#include "storage/memory_txn_log.h"
#include "tests/unit/storage/temp_dir.h"

namespace conclave::server {
namespace {

constexpr int32_t kTimeoutMs = 10000;

// A log entry creating session `id` at `zxid` (any transaction would do: recovery replays
// what the log holds).
storage::LogEntry session_entry(Zxid zxid, SessionId id) {
  datatree::DataTree scratch;
  datatree::Txn txn = scratch.prepare_create_session(id, kTimeoutMs, zxid, 0, "password");
  return storage::LogEntry{zxid, datatree::encode_txn(txn)};
}

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = storage::SnapshotStore::open(dir_.sub("snapshots"));
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    snapshots_ = std::move(opened.value());
  }

  void append(std::vector<storage::LogEntry> entries) {
    ASSERT_TRUE(log_.append(entries, storage::SyncMode::kSync).ok());
  }

  // A snapshot of the tree the log's entries up to `zxid` make.
  void snapshot_at(Zxid zxid) {
    datatree::DataTree tree;
    ASSERT_TRUE(log_.scan(1,
                          [&](Zxid z, std::string_view payload) {
                            if (z > zxid) return false;
                            auto txn = datatree::decode_txn(payload);
                            EXPECT_TRUE(txn.ok());
                            tree.apply(*txn);
                            return true;
                          })
                    .ok());
    ASSERT_EQ(tree.last_applied_zxid(), zxid);
    ASSERT_TRUE(snapshots_->write(zxid, tree.serialize_snapshot()).ok());
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::SnapshotStore> snapshots_;
  storage::MemoryTxnLog log_;
};

// An ensemble's first entry is (1, 1): a member that logged it and restarts before any snapshot
// must replay it (it was refused, "the log starts at zxid 4294967297 but the snapshot needs it
// from 1", so no member could restart after its first write).
TEST_F(RecoveryTest, ReplaysALogThatStartsInALaterEpoch) {
  append({session_entry(make_zxid(1, 1), 11), session_entry(make_zxid(1, 2), 12)});
  auto recovered = recover_tree(*snapshots_, log_, {});
  ASSERT_TRUE(recovered.ok()) << recovered.error().to_string();
  EXPECT_EQ(recovered->replayed_txns, 2u);
  EXPECT_EQ(recovered->tree->last_applied_zxid(), make_zxid(1, 2));
  EXPECT_EQ(recovered->tree->sessions().size(), 2u);
}

TEST_F(RecoveryTest, ReplaysAcrossAnEpochChangeAfterTheSnapshot) {
  append({session_entry(make_zxid(1, 1), 11), session_entry(make_zxid(1, 2), 12),
          session_entry(make_zxid(3, 1), 13)});
  snapshot_at(make_zxid(1, 2));
  auto recovered = recover_tree(*snapshots_, log_, {});
  ASSERT_TRUE(recovered.ok()) << recovered.error().to_string();
  EXPECT_EQ(recovered->snapshot_zxid, make_zxid(1, 2));
  EXPECT_EQ(recovered->replayed_txns, 1u);
  EXPECT_EQ(recovered->tree->last_applied_zxid(), make_zxid(3, 1));
}

TEST_F(RecoveryTest, StandaloneZxidsStillReplay) {
  append({session_entry(1, 11), session_entry(2, 12), session_entry(3, 13)});
  snapshot_at(1);
  auto recovered = recover_tree(*snapshots_, log_, {});
  ASSERT_TRUE(recovered.ok()) << recovered.error().to_string();
  EXPECT_EQ(recovered->replayed_txns, 2u);
  EXPECT_EQ(recovered->tree->last_applied_zxid(), 3u);
}

// Entries between the snapshot and the log are missing: starting would lose them silently.
TEST_F(RecoveryTest, RefusesAGapAfterTheSnapshot) {
  append({session_entry(make_zxid(1, 1), 11)});
  snapshot_at(make_zxid(1, 1));
  append({session_entry(make_zxid(1, 3), 13)});
  auto recovered = recover_tree(*snapshots_, log_, {});
  ASSERT_FALSE(recovered.ok());
  EXPECT_EQ(recovered.code(), ErrorCode::kDataInconsistency);
  EXPECT_EQ(recovered.error().detail,
            "the log continues at zxid " + std::to_string(make_zxid(1, 3)) +
                " but the tree needs the entry after " + std::to_string(make_zxid(1, 1)));
}

TEST_F(RecoveryTest, RefusesALogThatStartsMidEpochWithoutASnapshot) {
  append({session_entry(make_zxid(2, 5), 11)});
  auto recovered = recover_tree(*snapshots_, log_, {});
  ASSERT_FALSE(recovered.ok());
  EXPECT_EQ(recovered.code(), ErrorCode::kDataInconsistency);
}

}  // namespace
}  // namespace conclave::server
