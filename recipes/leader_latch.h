// recipes::LeaderLatch — leader election with Curator LeaderLatch's behaviour.
//
//   LeaderLatch latch(conn, "/election/scheduler", "host-17");
//   latch.add_listener([](bool leader) { ... });  // gained (true) / lost (false)
//   latch.start();
//   if (latch.await_leadership(30s).value_or(false)) ... lead while has_leadership() ...
//   latch.close();                                 // gives leadership up
//
// The recipe (ZooKeeper's "Leader Election"): each participant creates a protected
// ephemeral-sequential node _c_<GUID>-latch-<seq> holding its participant id; the lowest
// sequence leads; every other participant watches only the node just ahead of its own, so a
// leader's departure wakes exactly one successor. A crashed leader's node vanishes when its
// session expires, and only then does the next one lead.
//
// Leadership is never kept on a guess: it is reported lost at once when the connection drops
// (the session may be expiring, and another participant may lead once it has), regained if
// the connection comes back within the session with the node still first, and lost for good
// when the session expires (the latch is then kLost; a new Connection and latch rejoin).
// close() reports the loss before it deletes the node, so a successor's gain always comes
// after the predecessor's loss was delivered.
//
// Listeners run one at a time, gains and losses strictly alternating, on the latch's own
// thread (gains), the client's callback thread (losses by the connection) or the thread
// calling close(). They must not call close() (it waits for the latch's thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/types.h"
#include "common/result.h"
#include "recipes/connection.h"

namespace conclave::recipes {

enum class LatchState { kLatent, kStarted, kClosed, kLost };
std::string_view latch_state_name(LatchState s);

struct Participant {
  std::string id;    // as given to its LeaderLatch
  std::string node;  // its node's path
  bool is_leader = false;
};

// Everyone in the election at `path` now, in succession order (the first is the leader), as
// LeaderLatch::participants() answers it; for callers without a latch of their own (an
// observer, a LeaderSelector between two turns).
Result<std::vector<Participant>> election_participants(Connection& conn, const std::string& path);
// The first of them, the leader (kNoNode when nobody takes part).
Result<Participant> election_leader(Connection& conn, const std::string& path);

class LeaderLatch {
 public:
  using Listener = std::function<void(bool is_leader)>;
  using ListenerId = uint64_t;

  LeaderLatch(Connection& conn, std::string path, std::string participant_id);
  ~LeaderLatch();  // close()
  LeaderLatch(const LeaderLatch&) = delete;
  LeaderLatch& operator=(const LeaderLatch&) = delete;

  // Joins the election (the node is created on the latch's thread). Once only.
  Status start();
  // Leaves the election: leadership, if held, is reported lost first, then the node is
  // deleted (by the connection's background delete when the connection is down, so close()
  // does not wait for a reconnect). Waits for the latch's thread, which may be inside one
  // server call (bounded by the client's deadline). Idempotent.
  Status close();

  bool has_leadership() const;
  // True once leader, false when `timeout` passed first; an error once closed or lost.
  Result<bool> await_leadership(std::chrono::milliseconds timeout) const;
  LatchState state() const;
  const std::string& id() const { return id_; }

  ListenerId add_listener(Listener listener);
  void remove_listener(ListenerId id);

  // Everyone in the election now, in succession order (the first is the leader).
  Result<std::vector<Participant>> participants() const;
  // The current leader (kNoNode when nobody takes part).
  Result<Participant> leader() const;

 private:
  struct Core;
  void run();

  Connection& conn_;
  const std::string path_;
  const std::string id_;
  const std::string guid_;
  std::shared_ptr<Core> core_;
  client::Watcher wake_watch_;  // wakes the latch's thread; holds the Core weakly
  Connection::ListenerId session_listener_ = 0;
  std::thread worker_;
};

}  // namespace conclave::recipes
