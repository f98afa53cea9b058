// recipes::HeldNode — what a lock handle or a semaphore lease knows about the one ephemeral
// node it holds, kept current through session changes. This is the session contract every
// holding recipe here promises, written once:
//   kHeld --connection lost--> kSuspended  (at once: the hold may be lost)
//   kSuspended --reconnected, node still there--> kHeld
//   kHeld/kSuspended --session expired, or the node deleted--> kLost
// A read-only connection counts as lost: the session may expire there without this client
// hearing of it.
//
// It is also what a thread waiting for its turn sleeps on: every watch event (through
// wake_watch()) and every session change bumps a counter, and a waiter that saw the same value
// before it asked the server missed nothing (so no wake-up falls between the ask and the
// wait).
//
// Held by shared_ptr: the session listener and the watches hold it weakly and may run after
// its owner is gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/types.h"
#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/lock.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {

class HeldNode {
 public:
  using Clock = std::chrono::steady_clock;

  // A HeldNode that listens to `conn`'s session until detach().
  static std::shared_ptr<HeldNode> attach(Connection& conn);
  // Stops listening (idempotent). A listener call already under way may still finish.
  void detach();

  // One watcher identity for every watch the owner sets, so watching the same node twice
  // (after a spurious wake-up) registers it once. Holds this weakly.
  const client::Watcher& wake_watch() const { return wake_watch_; }

  // The wake-up count to pass to wait() after looking at the server; kSessionExpired once
  // the session is over.
  Result<uint64_t> wakeups() const;
  // Sleeps until something happened since `seen` (a watch fired, the session changed), the
  // session is over, or `deadline`.
  void wait(uint64_t seen, std::optional<Clock::time_point> deadline) const;
  bool session_over() const;

  // Re-entrance: true (one more hold) if held now; false if not held; an error if held but
  // not usable (suspended or lost) or if the session is over.
  Result<bool> add_hold();
  // Takes `node` as held, one hold, if the connection is up now. False otherwise: had the
  // connection dropped since the owner listed the queue, the listener has seen it already,
  // so the owner waits for the reconnect and looks again.
  bool grant(const OwnNode& node);

  // What the last release hands the owner: the node to delete (unless the session is over,
  // which took it already) and whether it was lost while held.
  struct Drop {
    bool last = false;  // false: holds remain, nothing to do
    std::string node;
    LockState was = LockState::kUnlocked;
    bool session_over = false;
  };
  // Drops one hold (all of them with `all`); kApiError if none is held.
  Result<Drop> drop(bool all = false);

  LockState state() const;
  int holds() const;
  // The node while held (kConnectionLoss while suspended, kSessionExpired once lost,
  // kApiError when not held); `what` names the recipe in the errors ("lock", "lease").
  Result<OwnNode> held_node(std::string_view what) const;
  LockState await_not_suspended(std::chrono::milliseconds timeout) const;
  // Called on the client's callback thread with kSuspended, kHeld (after a suspension) and
  // kLost.
  void on_state_change(std::function<void(LockState)> listener);

 private:
  HeldNode() = default;
  void wake();
  void on_session(const std::shared_ptr<HeldNode>& self, SessionState s);
  void verified(uint64_t round, Result<std::optional<client::Stat>> r);

  Connection* conn_ = nullptr;
  client::Watcher wake_watch_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t wakeups_ = 0;
  bool connected_ = false;
  bool session_over_ = false;
  LockState state_ = LockState::kUnlocked;
  int holds_ = 0;
  std::optional<OwnNode> node_;  // while held, suspended or lost
  uint64_t verify_round_ = 0;    // ignores the answer of an older reconnection check
  std::function<void(LockState)> listener_;
  std::optional<Connection::ListenerId> listener_id_;
};

// Deletes a node this client owns; if the delete fails for a reason that may pass (the
// connection dropped), the connection retries it in the background until it takes effect or
// the session ends, so the node does not block others for the rest of the session.
void release_own_node(Connection& conn, const std::string& node);

}  // namespace conclave::recipes
