#include "storage/snapshot_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "storage/memory_txn_log.h"
#include "tests/unit/storage/temp_dir.h"

namespace conclave::storage {
namespace {

using testing::TempDir;

std::string payload_for(Zxid zxid) {
  return "tree-at-" + std::to_string(zxid) + std::string(100, '#');
}

std::unique_ptr<SnapshotStore> open_store(const std::string& dir) {
  auto store = SnapshotStore::open(dir);
  EXPECT_TRUE(store.ok()) << store.error().to_string();
  return store.ok() ? std::move(store).value() : nullptr;
}

void flip_byte(const std::string& path, std::streamoff offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  f.read(&c, 1);
  c ^= 0x01;
  f.seekp(offset);
  f.write(&c, 1);
}

TEST(SnapshotStoreTest, FileNamesSortInZxidOrder) {
  EXPECT_EQ(SnapshotStore::file_name(make_zxid(1, 0x2a)), "snapshot.000000010000002a");
}

TEST(SnapshotStoreTest, WriteListLoad) {
  TempDir tmp;
  auto store = open_store(tmp.sub("snap"));  // created when missing
  auto empty = store->load_newest_valid();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  for (Zxid z : {make_zxid(1, 5), make_zxid(2, 1), make_zxid(1, 9)}) {
    ASSERT_TRUE(store->write(z, payload_for(z)).ok());
  }
  EXPECT_EQ(store->list(), (std::vector<Zxid>{make_zxid(1, 5), make_zxid(1, 9), make_zxid(2, 1)}));
  auto newest = store->load_newest_valid();
  ASSERT_TRUE(newest.ok());
  ASSERT_TRUE(newest->has_value());
  EXPECT_EQ((*newest)->zxid, make_zxid(2, 1));
  EXPECT_EQ((*newest)->payload, payload_for(make_zxid(2, 1)));

  // Survives reopening; an empty payload is a valid snapshot.
  store = open_store(tmp.sub("snap"));
  ASSERT_TRUE(store->write(make_zxid(3, 0), "").ok());
  EXPECT_EQ(store->load_newest_valid().value()->payload, "");
}

TEST(SnapshotStoreTest, UnpublishedSnapshotIsInvisibleUntilPublished) {
  TempDir tmp;
  auto store = open_store(tmp.sub("snap"));
  ASSERT_TRUE(store->write(make_zxid(1, 1), payload_for(make_zxid(1, 1))).ok());
  ASSERT_TRUE(store->write_unpublished(make_zxid(1, 7), payload_for(make_zxid(1, 7))).ok());
  EXPECT_EQ(store->list(), std::vector<Zxid>{make_zxid(1, 1)});
  EXPECT_EQ(store->load_newest_valid().value()->zxid, make_zxid(1, 1));

  ASSERT_TRUE(store->publish(make_zxid(1, 7)).ok());
  EXPECT_EQ(store->load_newest_valid().value()->payload, payload_for(make_zxid(1, 7)));

  // A discarded one never appears, and publishing it afterwards fails cleanly.
  ASSERT_TRUE(store->write_unpublished(make_zxid(1, 9), "x").ok());
  store->discard_unpublished(make_zxid(1, 9));
  EXPECT_FALSE(store->publish(make_zxid(1, 9)).ok());
  EXPECT_EQ(store->list(), (std::vector<Zxid>{make_zxid(1, 1), make_zxid(1, 7)}));
}

TEST(SnapshotStoreTest, CorruptOrTruncatedSnapshotsFallBackToOlderOnes) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  for (Zxid z : {10, 20, 30, 40})
    ASSERT_TRUE(store->write(z, payload_for(z)).ok());
  flip_byte(tmp.sub(SnapshotStore::file_name(40)), 50);  // payload bit rot
  std::filesystem::resize_file(
      tmp.sub(SnapshotStore::file_name(30)),
      std::filesystem::file_size(tmp.sub(SnapshotStore::file_name(30))) - 1);
  flip_byte(tmp.sub(SnapshotStore::file_name(20)), 10);  // header: zxid no longer matches
  std::ofstream(tmp.sub("snapshot.not-a-zxid")) << "ignored";
  auto loaded = store->load_newest_valid();
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->zxid, 10);
  EXPECT_EQ((*loaded)->payload, payload_for(10));

  flip_byte(tmp.sub(SnapshotStore::file_name(10)), 0);  // magic
  loaded = store->load_newest_valid();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(SnapshotStoreTest, UnfinishedWritesAreRemovedOnOpen) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_TRUE(store->write(10, payload_for(10)).ok());
  }
  std::ofstream(tmp.sub(SnapshotStore::file_name(20) + ".tmp")) << "half a snapsh";
  auto store = open_store(tmp.path());
  EXPECT_FALSE(std::filesystem::exists(tmp.sub(SnapshotStore::file_name(20) + ".tmp")));
  EXPECT_EQ(store->list(), (std::vector<Zxid>{10}));
  EXPECT_EQ(store->load_newest_valid().value()->zxid, 10);
}

TEST(SnapshotStoreTest, PurgeKeepsTheNewestValidOnesAndWhatTheLogMustKeep) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  MemoryTxnLog log;
  std::vector<LogEntry> entries;
  for (Zxid z = 1; z <= 60; ++z)
    entries.push_back({z, "t"});
  ASSERT_TRUE(log.append(entries, SyncMode::kSync).ok());
  for (Zxid z : {10, 20, 30, 40, 50})
    ASSERT_TRUE(store->write(z, payload_for(z)).ok());
  flip_byte(tmp.sub(SnapshotStore::file_name(50)), 40);

  Result<Zxid> oldest = store->purge(2);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, 30);
  EXPECT_EQ(store->list(), (std::vector<Zxid>{30, 40}));

  ASSERT_TRUE(log.purge_before(*oldest + 1).ok());
  // Recovery from the oldest retained snapshot still finds every later entry in the log.
  EXPECT_LE(log.first_zxid(), *oldest + 1);
  std::vector<Zxid> replay;
  ASSERT_TRUE(log.scan(*oldest + 1,
                       [&](Zxid z, std::string_view) {
                         replay.push_back(z);
                         return true;
                       })
                  .ok());
  EXPECT_EQ(replay.size(), 30u);
  EXPECT_EQ(replay.front(), 31);

  EXPECT_EQ(store->purge(0).code(), ErrorCode::kBadArguments);
  EXPECT_EQ(store->purge(5).value(), 30);  // fewer than asked for: keeps all valid ones
}

TEST(SnapshotStoreTest, PurgeWithNoValidSnapshotDeletesNothing) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  ASSERT_TRUE(store->write(10, payload_for(10)).ok());
  flip_byte(tmp.sub(SnapshotStore::file_name(10)), 40);
  EXPECT_EQ(store->purge(1).code(), ErrorCode::kNoNode);
  EXPECT_EQ(store->list(), (std::vector<Zxid>{10}));
}

TEST(SnapshotStoreTest, ReadersSeeOnlyCompleteSnapshotsWhileOneThreadWrites) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  ASSERT_TRUE(store->write(1, payload_for(1)).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> loads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        auto loaded = store->load_newest_valid();
        if (!loaded.ok() || !loaded->has_value() ||
            (*loaded)->payload != payload_for((*loaded)->zxid)) {
          ++bad;
        }
        ++loads;
      }
    });
  }
  for (Zxid z = 2; z <= 40; ++z) {
    // EXPECT, not ASSERT: returning early would leave the readers running.
    EXPECT_TRUE(store->write(z, payload_for(z)).ok());
    if (z % 5 == 0) {
      EXPECT_TRUE(store->purge(3).ok());
    }
  }
  // Make sure the readers overlapped with at least some writes' aftermath before stopping.
  while (loads < 10)
    std::this_thread::yield();
  done = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(store->load_newest_valid().value()->zxid, 40);
}

}  // namespace
}  // namespace conclave::storage
