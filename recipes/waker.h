// recipes::Waker — how a blocking recipe call (a double barrier's enter/leave, a queue's take)
// waits for "something may have changed" without losing a wake-up: it notes the wake-up count
// before it reads the server (setting a watch with this Waker's watcher), and after the read
// waits only until that count moves. Watch firings and session state changes both count, so a
// session that ends wakes the waiter too.
//
//   const uint64_t seen = waker.mark();
//   auto kids = conn.sync().get_children(dir, waker.watcher());  // nothing to take yet
//   switch (waker.wait(seen, deadline)) { ... }
//
// The watch and the session listener hold the shared state weakly and may fire after the
// Waker is gone. One Watcher identity for all reads, so watching a node again after a
// spurious wake-up registers it once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "client/types.h"
#include "recipes/connection.h"

namespace conclave::recipes {

class Waker {
 public:
  enum class Woken { kChanged, kTimedOut, kSessionOver };
  using Clock = std::chrono::steady_clock;

  explicit Waker(Connection& conn);
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  const client::Watcher& watcher() const { return watcher_; }
  // The wake-up count now: pass it to wait() after the reads it covers.
  uint64_t mark() const;
  // Whether the session has ended (expired, closed, auth failed): a dead handle.
  bool session_over() const;
  // Blocks until a wake-up after `seen`, the deadline, or the session's end (checked first).
  Woken wait(uint64_t seen, Clock::time_point deadline) const;
  // After a call failed for a reason that may pass (connection lost, call deadline): as
  // wait(), but for at most kRetryPause, and kTimedOut only once `deadline` has passed. A
  // dropped connection has woken the waiter already (no pause: the next call waits for the
  // reconnect); a handle that is closing fails calls at once until it says kClosed, and is not
  // spun on meanwhile.
  Woken retry_pause(uint64_t seen, Clock::time_point deadline) const;

  static constexpr std::chrono::milliseconds kRetryPause{100};

 private:
  struct State;
  Connection& conn_;
  std::shared_ptr<State> state_;
  client::Watcher watcher_;
  Connection::ListenerId listener_id_ = 0;
};

}  // namespace conclave::recipes
