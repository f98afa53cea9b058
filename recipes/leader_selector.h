// recipes::LeaderSelector — leader election that runs the application's leader function while
// this participant leads (Curator LeaderSelector).
//
//   LeaderSelector selector(conn, "/election/scheduler", "host-17",
//                           [](LeadershipContext& ctx) {
//                             while (!ctx.should_stop()) { ... one step of leader work ... }
//                           },
//                           {.auto_requeue = true});
//   selector.start();
//   ...
//   selector.close();  // tells the function to stop, waits for it, leaves the election
//
// Built on LeaderLatch (the same queue of protected ephemeral-sequential "latch-" nodes, so
// Curator LeaderLatch participants and ours share one election; Curator's own LeaderSelector
// queues "lock-" nodes and does not mix with either). Each turn is one latch: when it gains
// leadership the selector's own thread calls the function; when the function returns, the
// turn's latch is closed, which deletes its node and hands leadership to the next in line.
// With `auto_requeue` the selector then joins the back of the queue again (a new latch);
// without, it waits for requeue().
//
// At most one function runs at a time across all selectors of an election as long as every
// function returns when told to stop: a successor gains only after the predecessor's node is
// gone, and the node goes only after the function returned -- or when the predecessor's
// session expired. The function is told to stop at once when the connection drops (the session
// may be expiring, and then someone else leads), when the node is deleted by someone else,
// on interrupt_leadership() and on close(); leadership is then reported lost to the listeners
// right away. Curator interrupts the leader's thread; C++ cannot interrupt a thread, so the
// function must poll ctx.should_stop() (or block in ctx.wait_for_stop()) and return promptly.
// A function that keeps working after it was told to stop may overlap its successor once the
// session has expired: the selector cannot prevent that.
//
// A turn that was told to stop is over even if the connection comes back with the node still
// first: the function returns, the node is deleted and (with auto_requeue) the selector queues
// again. After the session expired the selector is kLost and does nothing more; a new
// Connection and a new selector join again.
//
// Threads: the function runs on the selector's thread. Listeners run one at a time, gains and
// losses strictly alternating: a gain on the selector's thread just before the function is
// called; a loss on the client's callback thread (connection, node deleted), the thread of
// interrupt_leadership()/close() or the selector's thread (the function returned), whichever
// comes first in a turn. Neither may call close() (it waits for the selector's thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/leader_latch.h"

namespace conclave::recipes {

// What the leader function is given for one turn. Copyable: a copy handed to another thread
// sees the same stop signal.
class LeadershipContext {
 public:
  // True once this turn must end: connection lost, node deleted, interrupted or closing.
  bool should_stop() const;
  // Blocks until told to stop (true) or `timeout` passed (false). A leader that works in
  // rounds sleeps here between rounds rather than in sleep_for, so it stops without delay.
  bool wait_for_stop(std::chrono::milliseconds timeout) const;
  const std::string& participant_id() const;
  // 1 for this selector's first turn as leader, then 2, 3, ...
  uint64_t turn() const;

 private:
  friend class LeaderSelector;
  struct Turn;
  explicit LeadershipContext(std::shared_ptr<Turn> turn) : turn_(std::move(turn)) {}
  std::shared_ptr<Turn> turn_;
};

struct LeaderSelectorOptions {
  // Queue again after each turn ends (Curator's autoRequeue()).
  bool auto_requeue = false;
};

class LeaderSelector {
 public:
  // Runs on the selector's thread while this participant leads; leadership is given up when
  // it returns. An exception it throws is logged and ends the turn like a return.
  using LeaderFunction = std::function<void(LeadershipContext&)>;
  using Listener = std::function<void(bool is_leader)>;
  using ListenerId = uint64_t;

  LeaderSelector(Connection& conn, std::string path, std::string participant_id,
                 LeaderFunction leader_function, LeaderSelectorOptions options = {});
  ~LeaderSelector();  // close()
  LeaderSelector(const LeaderSelector&) = delete;
  LeaderSelector& operator=(const LeaderSelector&) = delete;

  // Joins the election (once; an error after that, or when the session is over).
  Status start();
  // Queues again after a turn ended without auto_requeue: true if it was not queued, false if
  // it already is (in the queue or leading). An error unless started and not lost.
  Result<bool> requeue();
  // Tells the running function, if any, to stop (the turn ends when it returns).
  void interrupt_leadership();
  // Tells the function to stop, waits for it to return and leaves the election (its node is
  // deleted). Idempotent; an error if called from the leader function or a listener.
  Status close();

  // True while the function has been called for a turn that was not told to stop.
  bool has_leadership() const;
  // kStarted from start() to close() (kClosed), or until the session ends (kLost).
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
  const LeaderFunction fn_;
  const LeaderSelectorOptions options_;
  std::shared_ptr<Core> core_;
  Connection::ListenerId session_listener_ = 0;
  std::thread worker_;
};

}  // namespace conclave::recipes
