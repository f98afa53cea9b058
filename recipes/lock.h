// recipes::Lock — a distributed exclusive lock with Curator InterProcessMutex's behaviour.
//
//   Lock lock(conn, "/locks/orders");
//   if (Status st = lock.lock(); !st.ok()) ...;        // blocks until held (or fails)
//   auto token = lock.fencing_token();                  // pass it to the guarded resource
//   ... work, checking lock.is_held() before each step that needs the lock ...
//   lock.unlock();
//
// The recipe (ZooKeeper's "Locks" recipe): each acquire creates a protected
// ephemeral-sequential node _c_<GUID>-lock-<seq> under the lock path; the lowest sequence
// holds the lock; every other contender watches only the node just before its own, so a
// release wakes exactly one waiter (no herd) and the lock is granted in the order asked
// (fair). A contender that crashes leaves its node until its session expires, then the node
// vanishes and the next contender proceeds.
//
// Session loss is part of the contract; the lock is never silently kept:
//   kHeld --connection lost--> kSuspended  (at once: the lock may be lost; stop using the
//                                           resource until it is kHeld again)
//   kSuspended --reconnected, node still there--> kHeld
//   kHeld/kSuspended --session expired, or the node deleted--> kLost
// on_state_change() reports those transitions on the client's callback thread; state() can be
// asked any time. After kLost, unlock() says so with an error and resets the handle.
//
// Re-entrant per handle: lock() on a handle that holds it counts up, unlock() counts down and
// releases at zero. A handle is one contender: threads that compete with each other need a
// handle each. lock()/try_lock() block, so they must not be called on the client's callback
// thread (a watcher, a completion, a session listener): the watch they wait for is delivered
// there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/types.h"
#include "common/result.h"
#include "recipes/connection.h"

namespace conclave::recipes {

class LockInternals;
struct LockDriver;

enum class LockState { kUnlocked, kHeld, kSuspended, kLost };
std::string_view lock_state_name(LockState s);

// What the holder gives the resource it protects, so the resource can refuse a holder whose
// lock was lost meanwhile (a paused process that wakes up after its session expired): the
// czxid grows with every new holder (holders are granted in creation order, and every create
// gets a greater zxid), on every path. The sequence number does not serve: the lock path is a
// container, which the server removes once empty, and a new one counts from 0 again.
struct FencingToken {
  int64_t czxid = 0;     // the zxid that created the lock node: the token
  int64_t sequence = 0;  // the node's sequence number under the lock path (informational)
  std::string node;      // the lock node's path
};

class Lock {
 public:
  Lock(Connection& conn, std::string path);
  ~Lock();  // unlock()s if held, whatever the hold count
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Blocks until this handle holds the lock. Fails if the session ends, the lock node is
  // deleted by someone else, or the server refuses (no permission, bad path).
  Status lock();
  // As lock(), but gives up after `timeout` of waiting for the holders ahead (then the node
  // is deleted and the answer is false). Each call to the server is bounded by the client's
  // deadline, so the whole call can last a little longer than `timeout`.
  Result<bool> try_lock(std::chrono::milliseconds timeout);
  // Releases one hold; at zero deletes the node (if the delete fails, it is retried in the
  // background until it succeeds or the session ends). An error if the handle did not hold
  // the lock, or if the lock was lost while held (the handle is reset either way).
  Status unlock();

  LockState state() const;
  bool is_held() const { return state() == LockState::kHeld; }
  int hold_count() const;
  // While kHeld; an error otherwise (kConnectionLoss while suspended).
  Result<FencingToken> fencing_token() const;
  // Waits up to `timeout` while the lock is kSuspended; returns the state then.
  LockState await_not_suspended(std::chrono::milliseconds timeout) const;

  // Called on the client's callback thread with kSuspended, kHeld (after a suspension) and
  // kLost. Set it before lock(); it must not block on this lock.
  void on_state_change(std::function<void(LockState)> listener);

  const std::string& path() const;

 private:
  // ReadWriteLock's read and write locks are Locks with their own rule for who holds.
  friend class ReadWriteLock;
  Lock(Connection& conn, std::string path, LockDriver driver);

  // The queue, shared with the other locks (recipes/lock_internals.h).
  std::unique_ptr<LockInternals> internals_;
};

}  // namespace conclave::recipes
