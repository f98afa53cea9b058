// A real full disk: a 2 MiB tmpfs mounted for the test. Needs root (CAP_SYS_ADMIN); skips
// when mounting is not permitted. Labelled `root` in CTest.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "storage/group_commit_log.h"
#include "storage/leveldb_txn_log.h"
#include "storage/snapshot_store.h"
#include "tests/unit/storage/temp_dir.h"

namespace conclave::storage {
namespace {

using testing::TempDir;

constexpr const char* kTmpfsSize = "size=2m";

class TmpfsDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::mount("tmpfs", tmp_.path().c_str(), "tmpfs", 0, kTmpfsSize) != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(tmp_.path().c_str(), MNT_DETACH);
  }

  // Writes a filler file until the file system is full.
  void fill_disk() {
    int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    std::vector<char> chunk(4096, 'f');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    int err = errno;
    ::close(fd);
    ASSERT_EQ(err, ENOSPC);
  }
  void free_disk() { std::filesystem::remove(filler()); }
  std::string filler() const { return tmp_.sub("filler"); }

  TempDir tmp_;
  bool mounted_ = false;
};

TEST_F(TmpfsDiskFullTest, LogWritesFailCleanlyAndRecoverWhenSpaceReturns) {
  auto opened = LevelDbTxnLog::open(tmp_.sub("log"));
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  auto log = std::move(opened).value();
  std::string payload(1000, 'p');
  ASSERT_TRUE(log->append(std::vector<LogEntry>{{1, payload}}, SyncMode::kSync).ok());

  fill_disk();
  Zxid next = 2;
  Status s;
  // The WAL's user-space buffer may absorb a little; the disk is full well before 64 KiB.
  for (int i = 0; i < 100 && s.ok(); ++i) {
    s = log->append(std::vector<LogEntry>{{next, payload}}, SyncMode::kSync);
    if (s.ok()) ++next;
  }
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kSystemError);
  EXPECT_NE(s.error().detail.find("No space"), std::string::npos) << s.error().detail;
  const Zxid last_ok = log->last_zxid();
  EXPECT_EQ(last_ok, next - 1);
  EXPECT_FALSE(log->append(std::vector<LogEntry>{{next, payload}}, SyncMode::kSync).ok());

  free_disk();
  ASSERT_TRUE(log->append(std::vector<LogEntry>{{next, payload}}, SyncMode::kSync).ok());
  log.reset();
  auto reopened = LevelDbTxnLog::open(tmp_.sub("log"));
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->last_zxid(), next);
  Zxid expect = 1;
  ASSERT_TRUE((*reopened)
                  ->scan(0,
                         [&](Zxid z, std::string_view p) {
                           EXPECT_EQ(z, expect++);
                           EXPECT_EQ(p, payload);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(expect, next + 1);
}

TEST_F(TmpfsDiskFullTest, GroupCommitReportsTheErrorAndResumesAfterReset) {
  auto log = std::move(LevelDbTxnLog::open(tmp_.sub("log"))).value();
  GroupCommitLog gc(*log);
  std::string payload(1000, 'p');
  fill_disk();
  std::atomic<int> failed{0};
  Zxid z = 1;
  for (; z <= 100 && failed == 0; ++z) {
    Status s = gc.submit({z, payload}, [&](Status st) { failed += !st.ok(); });
    if (!s.ok()) break;
    gc.flush();
  }
  EXPECT_GE(failed.load(), 1);
  free_disk();
  Result<Zxid> resumed = gc.reset();
  ASSERT_TRUE(resumed.ok());
  std::atomic<int> ok{0};
  ASSERT_TRUE(gc.submit({*resumed + 1, payload}, [&](Status st) { ok += st.ok(); }).ok());
  gc.flush();
  EXPECT_EQ(ok.load(), 1);
}

TEST_F(TmpfsDiskFullTest, SnapshotWriteFailsCleanly) {
  auto store = std::move(SnapshotStore::open(tmp_.sub("snap"))).value();
  ASSERT_TRUE(store->write(1, "small").ok());
  fill_disk();
  Status s = store->write(2, std::string(64 * 1024, 's'));
  EXPECT_EQ(s.code(), ErrorCode::kSystemError);
  EXPECT_FALSE(std::filesystem::exists(tmp_.sub("snap/" + SnapshotStore::file_name(2) + ".tmp")));
  EXPECT_EQ(store->load_newest_valid().value()->zxid, 1);
  free_disk();
  ASSERT_TRUE(store->write(2, std::string(64 * 1024, 's')).ok());
  EXPECT_EQ(store->load_newest_valid().value()->zxid, 2);
}

}  // namespace
}  // namespace conclave::storage
