// Time as an injected dependency: production code asks a Clock, tests drive a ManualClock.
#pragma once

#include <atomic>
#include <cstdint>

namespace conclave {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds on a clock that never goes backwards; for timeouts and expiry.
  virtual int64_t monotonic_ms() const = 0;
  // Milliseconds since the Unix epoch; for ctime/mtime that clients see.
  virtual int64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t monotonic_ms() const override;
  int64_t wall_ms() const override;
  static SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t monotonic_ms() const override { return now_ms_.load(); }
  int64_t wall_ms() const override { return now_ms_.load(); }
  void advance_ms(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace conclave
