#include "storage/group_commit_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/leveldb_txn_log.h"
#include "storage/memory_txn_log.h"
#include "tests/unit/storage/fault_env.h"
#include "tests/unit/storage/gate.h"
#include "tests/unit/storage/temp_dir.h"

namespace conclave::storage {
namespace {

using testing::FaultEnv;
using testing::Gate;
using testing::TempDir;

// Records every completion: which zxid, with what status, in the order they ran.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<Zxid, ErrorCode>> done;

  GroupCommitLog::Completion completion(Zxid zxid) {
    return [this, zxid](Status s) {
      std::lock_guard lock(mu);
      done.emplace_back(zxid, s.code());
    };
  }
  std::vector<std::pair<Zxid, ErrorCode>> snapshot() {
    std::lock_guard lock(mu);
    return done;
  }
};

LogEntry entry(Zxid zxid, size_t size = 8) {
  return {zxid, std::string(size, 'x')};
}

std::unique_ptr<LevelDbTxnLog> open_log(const std::string& dir, leveldb::Env* env) {
  auto log = LevelDbTxnLog::open(dir, LevelDbTxnLog::Options{env});
  EXPECT_TRUE(log.ok()) << log.error().to_string();
  return log.ok() ? std::move(log).value() : nullptr;
}

TEST(GroupCommitLogTest, CompletionsRunInZxidOrderAfterTheEntriesAreDurable) {
  MemoryTxnLog log;
  Recorder rec;
  GroupCommitLog gc(log);
  std::vector<Zxid> durable_at_completion;
  for (Zxid z = 1; z <= 200; ++z) {
    ASSERT_TRUE(gc.submit(entry(z), [&, z](Status s) {
                    EXPECT_TRUE(s.ok());
                    // The completion promises durability: the entry survives a crash now.
                    durable_at_completion.push_back(log.last_zxid() >= z ? z : -z);
                    rec.completion(z)(s);
                  }).ok());
  }
  gc.flush();
  auto done = rec.snapshot();
  ASSERT_EQ(done.size(), 200u);
  for (size_t i = 0; i < done.size(); ++i)
    EXPECT_EQ(done[i].first, static_cast<Zxid>(i + 1));
  for (size_t i = 0; i < durable_at_completion.size(); ++i) {
    EXPECT_EQ(durable_at_completion[i], static_cast<Zxid>(i + 1));
  }
  log.crash();
  EXPECT_EQ(log.last_zxid(), 200);
  EXPECT_EQ(gc.pending_entries(), 0u);
  EXPECT_EQ(gc.fsync_stats().entry_count, 200u);
}

TEST(GroupCommitLogTest, EntriesArrivingDuringAnFsyncShareTheNextOne) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  Gate gate;
  env.set_wal_sync_hook([&] { gate.pass(); });
  Recorder rec;
  GroupCommitLog gc(*log);

  gate.close();
  ASSERT_TRUE(gc.submit(entry(1), rec.completion(1)).ok());
  gate.wait_for_arrivals(1);  // the first fsync is in flight and held
  constexpr Zxid kCount = 50;
  for (Zxid z = 2; z <= kCount; ++z)
    ASSERT_TRUE(gc.submit(entry(z), rec.completion(z)).ok());
  EXPECT_TRUE(rec.snapshot().empty());  // nothing is acknowledged before its fsync
  gate.open();
  gc.flush();

  FsyncStats stats = gc.fsync_stats();
  EXPECT_EQ(stats.batch_count, 2u);
  EXPECT_EQ(stats.fsync_count, 2u);
  EXPECT_EQ(stats.max_batch_entries, static_cast<size_t>(kCount - 1));
  EXPECT_LT(env.wal_syncs.load(), kCount);
  auto done = rec.snapshot();
  ASSERT_EQ(done.size(), static_cast<size_t>(kCount));
  for (Zxid z = 1; z <= kCount; ++z) {
    EXPECT_EQ(done[z - 1], std::make_pair(z, ErrorCode::kOk));
  }
  EXPECT_EQ(log->last_zxid(), kCount);
}

TEST(GroupCommitLogTest, ConcurrentSubmittersGetFewerFsyncsThanEntries) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  // Every fsync is slow, so submits pile up behind it.
  env.set_wal_sync_hook([] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
  GroupCommitLog gc(*log);
  std::mutex submit_mu;  // zxids are assigned in order under the submit lock, like a leader
  Zxid next = 1;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        std::lock_guard lock(submit_mu);
        ASSERT_TRUE(gc.submit(entry(next++), [&](Status s) { ok += s.ok(); }).ok());
      }
    });
  }
  for (auto& t : threads)
    t.join();
  gc.flush();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(log->last_zxid(), 400);
  EXPECT_LT(gc.fsync_stats().fsync_count, 400u);
}

TEST(GroupCommitLogTest, SubmitFailsAtTheQueueBound) {
  MemoryTxnLog log;
  Gate gate;
  log.set_before_sync_hook([&] { gate.pass(); });
  GroupCommitOptions options;
  options.max_pending_entries = 4;
  options.max_pending_bytes = 100;
  GroupCommitLog gc(log, options);
  Recorder rec;

  gate.close();
  ASSERT_TRUE(gc.submit(entry(1), rec.completion(1)).ok());
  gate.wait_for_arrivals(1);
  for (Zxid z = 2; z <= 4; ++z)
    ASSERT_TRUE(gc.submit(entry(z), rec.completion(z)).ok());
  EXPECT_EQ(gc.pending_entries(), 4u);
  Status full = gc.submit(entry(5), rec.completion(5));
  EXPECT_EQ(full.code(), ErrorCode::kThrottledOp);
  gate.open();
  gc.flush();
  EXPECT_EQ(rec.snapshot().size(), 4u);  // the refused entry's completion never runs

  // The byte bound: 60 + 60 > 100.
  gate.close();
  ASSERT_TRUE(gc.submit(entry(5, 60), rec.completion(5)).ok());
  gate.wait_for_arrivals(2);
  EXPECT_EQ(gc.submit(entry(6, 60), rec.completion(6)).code(), ErrorCode::kThrottledOp);
  gate.open();
  gc.flush();
  ASSERT_TRUE(gc.submit(entry(6, 60), rec.completion(6)).ok());
  gc.flush();
  EXPECT_EQ(rec.snapshot().size(), 6u);
}

TEST(GroupCommitLogTest, OutOfOrderSubmitIsRejected) {
  MemoryTxnLog log;
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(5)}, SyncMode::kSync).ok());
  GroupCommitLog gc(log);
  Recorder rec;
  EXPECT_EQ(gc.submit(entry(5), rec.completion(5)).code(), ErrorCode::kRuntimeInconsistency);
  ASSERT_TRUE(gc.submit(entry(7), rec.completion(7)).ok());
  EXPECT_EQ(gc.submit(entry(6), rec.completion(6)).code(), ErrorCode::kRuntimeInconsistency);
  gc.flush();
  EXPECT_EQ(rec.snapshot(), (std::vector<std::pair<Zxid, ErrorCode>>{{7, ErrorCode::kOk}}));
}

TEST(GroupCommitLogTest, AFailedWriteFailsEverythingBehindItUntilReset) {
  MemoryTxnLog log;
  Gate gate;
  log.set_before_sync_hook([&] { gate.pass(); });
  GroupCommitLog gc(log);
  Recorder rec;

  gate.close();
  ASSERT_TRUE(gc.submit(entry(1), rec.completion(1)).ok());
  gate.wait_for_arrivals(1);
  log.fail_writes(true);  // the disk fills while entry 1 is being written
  ASSERT_TRUE(gc.submit(entry(2), rec.completion(2)).ok());
  ASSERT_TRUE(gc.submit(entry(3), rec.completion(3)).ok());
  gate.open();
  gc.flush();
  auto done = rec.snapshot();
  ASSERT_EQ(done.size(), 3u);
  for (Zxid z = 1; z <= 3; ++z) {
    EXPECT_EQ(done[z - 1], std::make_pair(z, ErrorCode::kSystemError));
  }
  EXPECT_EQ(log.last_zxid(), kNoZxid);  // no gap: 2 and 3 were not written after 1 failed
  EXPECT_EQ(gc.submit(entry(4), rec.completion(4)).code(), ErrorCode::kSystemError);
  EXPECT_EQ(gc.fsync_stats().failed_batch_count, 1u);

  log.fail_writes(false);
  Result<Zxid> resumed = gc.reset();
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(*resumed, kNoZxid);
  ASSERT_TRUE(gc.submit(entry(1), rec.completion(1)).ok());
  gc.flush();
  EXPECT_EQ(rec.snapshot().back(), std::make_pair(Zxid{1}, ErrorCode::kOk));
  EXPECT_EQ(log.last_zxid(), 1);
}

TEST(GroupCommitLogTest, RecoversFromDiskFullOnTheRealLog) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  GroupCommitLog gc(*log);
  Recorder rec;
  ASSERT_TRUE(gc.submit(entry(1), rec.completion(1)).ok());
  gc.flush();
  env.fail_writes = true;
  ASSERT_TRUE(gc.submit(entry(2), rec.completion(2)).ok());
  gc.flush();
  EXPECT_EQ(rec.snapshot().back(), std::make_pair(Zxid{2}, ErrorCode::kSystemError));
  env.fail_writes = false;
  ASSERT_EQ(gc.reset().value(), 1);
  ASSERT_TRUE(gc.submit(entry(2), rec.completion(2)).ok());
  gc.flush();
  EXPECT_EQ(rec.snapshot().back(), std::make_pair(Zxid{2}, ErrorCode::kOk));
  EXPECT_EQ(log->last_zxid(), 2);
}

TEST(GroupCommitLogTest, FsyncStatsCountSlowFsyncs) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  // A lower bound on the fsync time, not a race: every sync takes at least 20 ms.
  env.set_wal_sync_hook([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  GroupCommitOptions options;
  options.fsync_warning_threshold_ms = 10;
  GroupCommitLog gc(*log, options);
  for (Zxid z = 1; z <= 3; ++z) {
    ASSERT_TRUE(gc.submit(entry(z), nullptr).ok());
    gc.flush();
  }
  FsyncStats stats = gc.fsync_stats();
  EXPECT_EQ(stats.fsync_count, 3u);
  EXPECT_EQ(stats.fsync_threshold_exceed_count, 3u);
  EXPECT_GE(stats.fsync_min_ms, 20.0);
  EXPECT_GE(stats.fsync_avg_ms, stats.fsync_min_ms);
  EXPECT_GE(stats.fsync_max_ms, stats.fsync_avg_ms);
  EXPECT_EQ(GroupCommitOptions{}.fsync_warning_threshold_ms, 1000);
}

TEST(GroupCommitLogTest, ForceSyncOffWritesWithoutFsync) {
  TempDir tmp;
  FaultEnv env;
  auto log = open_log(tmp.path(), &env);
  const int syncs_before = env.wal_syncs.load();
  GroupCommitOptions options;
  options.force_sync = false;
  GroupCommitLog gc(*log, options);
  std::atomic<int> ok{0};
  for (Zxid z = 1; z <= 20; ++z) {
    ASSERT_TRUE(gc.submit(entry(z), [&](Status s) { ok += s.ok(); }).ok());
  }
  gc.flush();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(env.wal_syncs.load(), syncs_before);
  EXPECT_EQ(gc.fsync_stats().fsync_count, 0u);
  EXPECT_GE(gc.fsync_stats().batch_count, 1u);
  EXPECT_EQ(log->last_zxid(), 20);
}

TEST(GroupCommitLogTest, ShutdownWritesAndCompletesEverythingQueued) {
  MemoryTxnLog log;
  Gate gate;
  log.set_before_sync_hook([&] { gate.pass(); });
  Recorder rec;
  auto gc = std::make_unique<GroupCommitLog>(log);
  gate.close();
  ASSERT_TRUE(gc->submit(entry(1), rec.completion(1)).ok());
  gate.wait_for_arrivals(1);
  for (Zxid z = 2; z <= 10; ++z)
    ASSERT_TRUE(gc->submit(entry(z), rec.completion(z)).ok());
  std::thread stopper([&] { gc->shutdown(); });
  gate.open();
  stopper.join();
  EXPECT_EQ(rec.snapshot().size(), 10u);
  EXPECT_EQ(log.last_zxid(), 10);
  EXPECT_EQ(gc->submit(entry(11), rec.completion(11)).code(), ErrorCode::kSystemError);
  gc.reset();  // destructor after shutdown is fine
  EXPECT_EQ(rec.snapshot().size(), 10u);
}

TEST(GroupCommitLogTest, ACompletionThatThrowsDoesNotStopTheWriter) {
  MemoryTxnLog log;
  GroupCommitLog gc(log);
  Recorder rec;
  ASSERT_TRUE(gc.submit(entry(1), [](Status) { throw std::runtime_error("boom"); }).ok());
  ASSERT_TRUE(gc.submit(entry(2), rec.completion(2)).ok());
  gc.flush();
  EXPECT_EQ(rec.snapshot(), (std::vector<std::pair<Zxid, ErrorCode>>{{2, ErrorCode::kOk}}));
}

}  // namespace
}  // namespace conclave::storage
