// recipes::DoubleBarrier — ZooKeeper's "Double Barriers" recipe (Curator
// DistributedDoubleBarrier): a group of N participants starts a computation together (enter()
// returns once N have entered) and ends it together (leave() returns once every participant
// has left).
//
//   DoubleBarrier b(conn, "/jobs/42/barrier", 3);
//   if (!b.enter(60s).value_or(false)) ...;  // false: fewer than 3 within a minute
//   ... compute ...
//   if (!b.leave(60s).value_or(false)) ...;
//
// Layout (Curator's, so Curator participants can share the barrier): each participant's
// ephemeral node is named by a fresh GUID directly under the barrier path (a container); the
// persistent child "ready" says that N participants have entered.
//
// enter(): create this participant's node, then repeatedly watch "ready" with exists() and
// list the children: "ready" there, or N participants counted (then this one creates
// "ready"), lets it in. The watch is set before each listing, so the N-th participant's
// "ready" wakes every waiter and none misses it; arrivals wake nobody.
//
// leave(): the documented algorithm, which has no herd while participants leave: the lowest
// node (by name) waits for the highest to go; every other participant deletes its own node
// and waits for the lowest. The lowest, once alone, deletes "ready" and then its own node,
// which releases everyone, so "ready" is gone before any leave() returns and the next round
// on the same path starts clean.
//
// A participant that crashes: its node vanishes with its session (at once on close, after the
// session timeout on a crash). Before "ready", the count simply drops, as in the documented
// recipe: the others keep waiting until another participant takes its place (or time out).
// After "ready", the others no longer wait for it in leave(): it counts as having left. If
// every participant dies (or is destroyed without leave()) between "ready" and the end of
// leave(), "ready" stays and the next enter() on that path passes at once; delete the barrier
// path before reusing it after such a crash.
//
// Results: true, false when the timeout passed first, or an error: the session ended (the
// node is gone with it, so this participant no longer counts), or this participant's node was
// deleted by someone else, or the server refused. A dropped connection is waited out within
// the timeout (the session, and so the node, may survive it); each call to the server is
// bounded by the client's deadline, so a call can last that much longer than its timeout.
// Late arrivals (more than N) pass at once while "ready" exists. The handle is one
// participant, for one thread at a time; enter() and leave() block, so never call them on the
// client's callback thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/waker.h"

namespace conclave::recipes {

class DoubleBarrier {
 public:
  // The child that says N participants have entered.
  static constexpr std::string_view kReadyNode = "ready";

  DoubleBarrier(Connection& conn, std::string path, int member_count);
  // Deletes this participant's node if it is still there (retried in the background when the
  // connection is down), so an abandoned participant stops counting at once.
  ~DoubleBarrier();
  DoubleBarrier(const DoubleBarrier&) = delete;
  DoubleBarrier& operator=(const DoubleBarrier&) = delete;

  // Joins the barrier and waits until `member_count` participants have entered. On false
  // (timeout) or an error this participant's node is deleted again: it did not enter.
  Result<bool> enter(std::chrono::milliseconds timeout);
  // Waits until every participant has left (deleting this one's node on the way). After
  // false (timeout) the handle is still in the barrier: call leave() again to keep waiting,
  // or destroy it.
  Result<bool> leave(std::chrono::milliseconds timeout);

  // Between a successful enter() and the end of leave().
  bool entered() const { return own_.has_value(); }
  // This participant's node (empty when not entered).
  std::string node_path() const;
  const std::string& path() const { return path_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Own {
    std::string name;
    bool deleted = false;  // deleted by leave() (a participant that is not the lowest)
  };
  // What one look at the barrier found in leave().
  enum class Leaving { kDone, kWait, kLookAgain };

  Status create_own(const std::string& name);
  // One round of enter(): true when in, false to wait for the watch on "ready".
  Result<bool> enter_step();
  Result<Leaving> leave_step();
  // The error for a node that is not there: the session ended, or someone deleted it.
  Error own_node_gone(std::string_view while_doing) const;
  Result<bool> give_up_entering(Result<bool> why);
  void delete_own();

  Connection& conn_;
  const std::string path_;
  const std::string ready_path_;
  const int member_count_;
  Waker waker_;
  std::optional<Own> own_;
};

}  // namespace conclave::recipes
