// Test helper: a gate that holds a thread until the test opens it.
#pragma once

#include <condition_variable>
#include <mutex>

namespace conclave::storage::testing {

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
