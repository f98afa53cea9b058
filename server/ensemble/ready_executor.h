// ReadyExecutor: carries out the batches of work zab::Peer hands back (zab::PeerReady). It is
// the ONE place where the core's outputs become I/O, in the order zab/peer.h's persistence
// contract asks (tests/sim/zab_sim.cc's drain() is the simulated twin). For each batch:
//
//   1. role/phase changes, in order: logged at INFO and told to the state machine; leaving a
//      role drops the quorum links it used (a leader's to every member, a learner's to its
//      leader), as the contract asks;
//   2. messages: a Notification on the election transport, a QuorumPacket on the quorum one
//      (none waits on a write in flight, so they leave before the writes);
//   3. committed entries to the state machine (before any truncation or snapshot install of
//      the same batch, as the contract says they precede them);
//   4. the acceptedEpoch write, then the storage operations in order: epoch writes
//      (acceptedEpoch, StorageOp::kSetCurrentEpoch) synced on the loop (rare and small);
//      appends, truncations and snapshot installs by the state machine. A failed append is
//      reported to the Peer (log_write_failed); a failed truncation or install sends the
//      member back to election;
//   5. forwarded requests, ping payloads and answered syncs to the state machine;
//   6. advance(), then the completions (accepted_epoch_durable, current_epoch_durable) as new
//      inputs, in the order the writes were asked for, then the snapshots learners asked for;
//      the batches they make are carried out in turn. A failed epoch write is retried on every
//      tick, and the ones behind it wait.
// Without a state machine (the driver's own tests), the work of 3-5 is refused loudly.
//
// Threading: the server's event loop only, like the transports.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string_view>
#include <vector>

#include "server/ensemble/state_machine.h"
#include "server/peer/peer_transport.h"
#include "storage/txn_log.h"
#include "zab/peer.h"

namespace conclave::ensemble {

class ReadyExecutor {
 public:
  ReadyExecutor(zab::Peer& peer, const zab::QuorumVerifier& verifier, peer::PeerTransport& election,
                peer::PeerTransport& quorum, storage::TxnLog& log,
                StateMachine* state_machine = nullptr);

  // Carries out every batch the Peer has, including those its storage completions produce.
  // Re-entrant calls (an input given while a batch is carried out) return at once: the outer
  // call picks their batches up.
  void drain();
  // An election link came up: the last notification sent to that member goes again. A frame
  // in flight when the previous link broke may be lost, and a member that restarted needs our
  // vote; QuorumCnxManager's SendWorker does the same. Duplicates are harmless to election.
  void on_election_link_up(zab::ServerId id);
  // Retries epoch writes that failed (and those queued behind them); call on every tick.
  void retry_failed_writes();

  // The role the carried-out changes left us in (the Peer itself may already be further on).
  zab::PeerPhase held_phase() const { return held_phase_; }
  zab::PeerState held_role() const { return held_role_; }
  zab::ServerId held_leader() const { return held_leader_; }

 private:
  struct EpochWrite {
    enum class Kind : uint8_t { kAccepted, kCurrent };
    Kind kind;
    int64_t epoch;
  };

  void apply_change(const zab::PhaseChange& change);
  void drop_role_links();
  void send(const zab::PeerOutgoing& out);
  void refuse_state_machine_work(const zab::PeerReady& ready);
  void hand_over(zab::PeerReady& ready);
  void queue_storage(const std::vector<zab::StorageOp>& ops);
  // Writes the queued epoch writes in order until one fails; returns those now durable.
  std::vector<EpochWrite> write_queued();
  void report(const std::vector<EpochWrite>& durable);
  void refuse(std::string_view what);

  zab::Peer& peer_;
  const zab::QuorumVerifier& verifier_;
  peer::PeerTransport& election_;
  peer::PeerTransport& quorum_;
  storage::TxnLog& log_;
  StateMachine* state_machine_;
  bool draining_ = false;

  zab::PeerPhase held_phase_ = zab::PeerPhase::kElection;
  zab::PeerState held_role_ = zab::PeerState::kLooking;
  zab::ServerId held_leader_ = 0;
  // The last notification sent to each member (one entry per member at most).
  std::map<zab::ServerId, std::vector<uint8_t>> last_notification_;
  // Epoch writes not yet durable, in the order asked (at most a few: the core has at most one
  // acceptedEpoch write in flight and asks for currentEpoch once per role).
  std::deque<EpochWrite> queued_writes_;
  bool write_failing_ = false;
  // A storage operation this member cannot carry out yet was handed over: nothing after it is.
  bool storage_stalled_ = false;
};

}  // namespace conclave::ensemble
