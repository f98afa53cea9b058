// StateMachine: what the ensemble member needs from the server that holds the replicated state
// (the tree, the sessions, the log's group commit), so that ReadyExecutor can carry out the
// whole of a zab::PeerReady while this layer stays below the server and knows nothing of trees
// or clients. The server implements it; every call comes on the event loop.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/zxid.h"
#include "zab/history.h"
#include "zab/peer.h"

namespace conclave::ensemble {

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // The member's role moved (zab::PhaseChange, in order).
  virtual void on_phase(zab::PeerPhase phase, zab::PeerState role) = 0;
  // Entries committed, in zxid order, to apply (a leader that applied them when proposing
  // skips those). Always called before the batch's storage operations (zab/peer.h).
  virtual void apply_committed(std::vector<zab::Entry> entries) = 0;

  // Storage (zab::StorageOp), in the order given. append() queues the entries for the log and
  // reports them with QuorumPeerDriver::log_durable() once fsynced (or log_write_failed()).
  virtual Status append(std::vector<zab::Entry> entries) = 0;
  // Synchronous and durable: earlier appends finish (and are reported) first; the log keeps
  // the entries up to zxid and the state is rebuilt there.
  virtual Status truncate_to(Zxid zxid) = 0;
  // Synchronous and durable: the snapshot replaces log and state.
  virtual Status install_snapshot(Zxid zxid, const std::string& data) = 0;

  // Leader: the state for a learner's SNAP, at its current zxid.
  virtual std::pair<Zxid, std::string> snapshot_for_learner() = 0;
  // Leader: a learner's forwarded client request (REQUEST) and its ping payload.
  virtual void on_forwarded_request(zab::ServerId from, std::string request) = 0;
  virtual void on_learner_ping(zab::ServerId from, std::string data) = 0;
  // Learner: the leader answered `count` more of our SYNCs (in the order asked).
  virtual void on_syncs_done(uint64_t count) = 0;
};

}  // namespace conclave::ensemble
