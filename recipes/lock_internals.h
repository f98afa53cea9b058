// recipes::LockInternals — the queue every lock here is built on (Curator's LockInternals with
// a LockInternalsDriver): Lock, ReadWriteLock's read and write locks, and through Lock the
// Semaphore.
//
// An acquire creates a protected ephemeral-sequential node under the lock path (found again by
// its GUID if the create's reply was lost), lists the queue, and asks the driver whether this
// handle holds; if not, it watches the one node the driver names, whose deletion is the only
// event that can change the answer, and looks again when woken. Everything else is shared:
// re-entrance per handle, the try_lock deadline (the node is deleted on giving up), the
// session contract (recipes/held_node.h: kHeld/kSuspended/kLost), and a release that falls
// back to a background delete.
//
// A handle is one contender; acquire() blocks, so never call it on the client's callback
// thread (the watch it waits for is delivered there).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/held_node.h"
#include "recipes/lock.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {

// The driver's answer for one look at the queue.
struct LockVerdict {
  bool holds = false;
  // When not holding: the index (in the queue) of the one contender to watch. It must be
  // ahead of this handle's own node.
  size_t watch = 0;
};

// Decides who holds. `decide` gets the contenders sorted by sequence (every kind in
// `queue_names`, so readers and writers form one queue) and this handle's index among them.
struct LockDriver {
  std::string node_name;                 // what this handle creates ("lock-", "__READ__", ...)
  std::vector<std::string> queue_names;  // the kinds ordered together
  std::function<LockVerdict(const std::vector<Contender>& queue, size_t mine)> decide;
  // Optional: asked before the node is created; an error refuses an acquire that could only
  // wait for itself.
  std::function<Status()> admit;
  // Optional: replaces the delete at the last release (a read-write lock that downgraded
  // keeps its write node until its read lock is released). Not called once the session is
  // over: the server deleted the node already.
  std::function<void(const std::string& node)> release;
};

// The exclusive lock's rule (Curator's StandardLockInternalsDriver with one lease): the first
// holds; every other contender watches the one just ahead of it, so a release wakes exactly
// one waiter and the lock is granted in the order asked.
LockVerdict first_holds(const std::vector<Contender>& queue, size_t mine);
LockDriver exclusive_driver(std::string node_name);

class LockInternals {
 public:
  using Clock = std::chrono::steady_clock;

  LockInternals(Connection& conn, std::string path, LockDriver driver);
  ~LockInternals();  // releases if held, whatever the hold count
  LockInternals(const LockInternals&) = delete;
  LockInternals& operator=(const LockInternals&) = delete;

  // True once held (counted up if this handle holds already), false if `deadline` passed
  // first (the node is deleted then), an error if the session ends, the node is deleted by
  // someone else, the driver refuses, or the server does.
  Result<bool> acquire(std::optional<Clock::time_point> deadline);
  // Releases one hold; at zero the node goes (see LockDriver::release). An error if not held,
  // or if the lock was lost while held (the handle is reset either way).
  Status release();

  LockState state() const { return hold_->state(); }
  int hold_count() const { return hold_->holds(); }
  Result<FencingToken> fencing_token() const;
  LockState await_not_suspended(std::chrono::milliseconds timeout) const {
    return hold_->await_not_suspended(timeout);
  }
  void on_state_change(std::function<void(LockState)> listener) {
    hold_->on_state_change(std::move(listener));
  }
  const std::string& path() const { return path_; }

 private:
  Connection& conn_;
  const std::string path_;
  const LockDriver driver_;
  std::shared_ptr<HeldNode> hold_;
};

}  // namespace conclave::recipes
