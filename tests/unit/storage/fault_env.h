// Test helper: a LevelDB Env that injects disk faults.
#pragma once

#include <leveldb/env.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace conclave::storage::testing {

// A LevelDB Env that makes writes, syncs or file creation fail on demand (a full or broken
// disk), counts syncs of the write-ahead log, and lets a test hold a WAL sync in flight.
class FaultEnv : public leveldb::EnvWrapper {
 public:
  FaultEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

  std::atomic<bool> fail_writes{false};  // Append/Flush and creating files fail with ENOSPC
  std::atomic<bool> fail_syncs{false};   // Sync fails with EIO
  std::atomic<int> wal_syncs{0};         // successful and failed syncs of *.log files

  // Runs inside every WAL sync before it happens; tests block or sleep here.
  void set_wal_sync_hook(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }
  void run_wal_sync_hook() {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      hook = hook_;
    }
    if (hook) hook();
  }

  leveldb::Status NewWritableFile(const std::string& f, leveldb::WritableFile** r) override {
    if (fail_writes) return leveldb::Status::IOError(f, "injected: No space left on device");
    leveldb::Status s = target()->NewWritableFile(f, r);
    if (s.ok()) *r = new File(this, f, *r);
    return s;
  }
  leveldb::Status NewAppendableFile(const std::string& f, leveldb::WritableFile** r) override {
    if (fail_writes) return leveldb::Status::IOError(f, "injected: No space left on device");
    leveldb::Status s = target()->NewAppendableFile(f, r);
    if (s.ok()) *r = new File(this, f, *r);
    return s;
  }

 private:
  class File : public leveldb::WritableFile {
   public:
    File(FaultEnv* env, std::string name, leveldb::WritableFile* target)
        : env_(env), name_(std::move(name)), target_(target) {}
    leveldb::Status Append(const leveldb::Slice& data) override {
      if (env_->fail_writes)
        return leveldb::Status::IOError(name_, "injected: No space left on device");
      return target_->Append(data);
    }
    leveldb::Status Close() override { return target_->Close(); }
    leveldb::Status Flush() override {
      if (env_->fail_writes)
        return leveldb::Status::IOError(name_, "injected: No space left on device");
      return target_->Flush();
    }
    leveldb::Status Sync() override {
      const bool wal = name_.size() > 4 && name_.compare(name_.size() - 4, 4, ".log") == 0;
      if (wal) {
        ++env_->wal_syncs;
        env_->run_wal_sync_hook();
      }
      if (env_->fail_syncs) return leveldb::Status::IOError(name_, "injected: fsync failed");
      return target_->Sync();
    }

   private:
    FaultEnv* env_;
    std::string name_;
    std::unique_ptr<leveldb::WritableFile> target_;
  };

  std::mutex mu_;
  std::function<void()> hook_;
};

}  // namespace conclave::storage::testing
