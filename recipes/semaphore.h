// recipes::Semaphore — N leases shared by every client of a path, with Curator
// InterProcessSemaphoreV2's recipe and node layout (so Curator clients can share it).
//
//   Semaphore pool(conn, "/pools/db", 5);                  // 5 leases, on every client
//   auto lease = pool.acquire();                           // blocks until one is free
//   if (!lease.ok()) ...;
//   ... work while lease->is_held() ...
//   lease->release();                                      // or let it go out of scope
//
// The recipe: a lease is a protected ephemeral-sequential node _c_<GUID>-lease-<seq> under
// <path>/leases; there are never more than N. An acquirer first takes an exclusive Lock on
// <path>/locks, creates its lease node, and waits (watching the children of <path>/leases)
// until there are at most N; then it releases the lock.
//
// Why the lock: a waiter cannot watch one node, as a lock waiter does, since any of the N
// holders ahead of it may leave first. Every waiter watching the lease children instead would
// wake all of them on each release (a herd), and who wins the race is not who asked first.
// Through the lock only its holder waits on the leases: the others each watch the lock node
// just ahead of their own, so a release wakes one client, and leases are granted in the order
// the lock was asked for (fair). The price is a second node and a lock hand-off per acquire.
//
// Why never more than N: each acquirer counts the lease children after creating its own node
// and takes the lease only if it counted at most N. Of any set of leases held at once, the one
// whose count came last saw every other one (each was created before its own count, and none
// was deleted since), so the set has at most N members. That does not depend on the lock,
// which is only there for fairness and to spare the herd: a lock lost with the connection may
// let two acquirers count at once, but not hand out N+1 leases.
//
// N is a convention of the path's users, as with Curator's semaphore without a SharedCount:
// nothing stops a client that counts to 10 from granting leases beyond another's 5.
//
// Session loss, per lease (its own node; recipes/held_node.h): kHeld --connection lost-->
// kSuspended at once (stop using what the lease guards), kHeld again if the session survives
// with the node, kLost when it expires (the server has deleted the node; another client may
// have the lease now) or if the node is deleted by someone. A crashed holder's lease is free
// once its session expires.
//
// acquire() and try_acquire() block: never call them on the client's callback thread. One
// Semaphore may be used by several threads at once (each acquire queues on its own).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/lock.h"

namespace conclave::recipes {

class HeldNode;

// One lease; releases it when destroyed. Move-only. Must not outlive its Connection.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();  // release() if held
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Deletes the lease node (in the background if the delete fails on a dropped connection).
  // An error if it was released already, or lost while held.
  Status release();

  // kHeld, kSuspended, kLost; kUnlocked once released.
  LockState state() const;
  bool is_held() const { return state() == LockState::kHeld; }
  // Waits up to `timeout` while the lease is kSuspended; returns the state then.
  LockState await_not_suspended(std::chrono::milliseconds timeout) const;
  // Called on the client's callback thread with kSuspended, kHeld (after a suspension) and
  // kLost. A change before the listener was set is not repeated: check state() after.
  void on_state_change(std::function<void(LockState)> listener);
  // The lease node's path.
  const std::string& node() const { return node_; }

 private:
  friend class Semaphore;
  Lease(Connection& conn, std::shared_ptr<HeldNode> hold);

  Connection* conn_ = nullptr;
  std::shared_ptr<HeldNode> hold_;
  std::string node_;
};

class Semaphore {
 public:
  // `max_leases` >= 1 (acquires answer kBadArguments otherwise).
  Semaphore(Connection& conn, std::string path, int max_leases);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Blocks until a lease is held. Fails if the session ends or the server refuses.
  Result<Lease> acquire();
  // As acquire(), but gives up after `timeout` (nullopt; nothing is left behind). Each call
  // to the server is bounded by the client's deadline, so the whole call can last a little
  // longer than `timeout`.
  Result<std::optional<Lease>> try_acquire(std::chrono::milliseconds timeout);
  // `count` leases (1..max_leases) at once, or none: the lock is held until all are taken, so
  // two clients each waiting for several cannot each get a part and wait for the other.
  Result<std::optional<std::vector<Lease>>> try_acquire(int count,
                                                        std::chrono::milliseconds timeout);

  // The lease nodes now (held ones, and one being waited for).
  Result<std::vector<std::string>> participants() const;
  int max_leases() const { return max_leases_; }
  const std::string& path() const { return path_; }

 private:
  using Clock = std::chrono::steady_clock;
  Result<std::optional<std::vector<Lease>>> acquire_leases(
      int count, std::optional<Clock::time_point> deadline);
  Result<std::optional<Lease>> acquire_one(std::optional<Clock::time_point> deadline);

  Connection& conn_;
  const std::string path_;
  const std::string locks_path_;
  const std::string leases_path_;
  const int max_leases_;
};

}  // namespace conclave::recipes
