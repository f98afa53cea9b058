// Helpers shared by the storage tests: a temporary directory and a fault-injecting LevelDB Env.
#pragma once

#include <leveldb/env.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace conclave::storage::testing {

// A fresh directory from mkdtemp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "conclave-storage-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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

// A gate a hook can block on until the test opens it; counts arrivals so the test can wait
// for "a sync is in flight" instead of sleeping.
class Gate {
 public:
  void close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void pass() {
    std::unique_lock lock(mu_);
    ++arrivals_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void wait_for_arrivals(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return arrivals_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int arrivals_ = 0;
};

}  // namespace conclave::storage::testing
