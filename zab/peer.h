// zab::Peer: ONE sans-IO core per member, in the shape of etcd-raft's RawNode (STYLE.md). It
// owns the member's Election, Discovery and then Leading or Learning (sync and broadcast), and
// moves between them by role; the caller feeds it inputs and carries out the batches of work it
// hands back.
//
// Inputs: start(), step(from, message) (a PeerMessage, decoded or as bytes), tick(), client
// work (propose() on the leader; forward() and request_sync() on learners; set_ping_data()),
// the storage completions accepted_epoch_durable(E), log_durable(zxid) and
// current_epoch_durable(E), the leader's snapshot_taken(), and return_to_election() (the caller
// saw the quorum connection to its leader drop: no need to wait for syncLimit). Outputs:
// ready() hands back one PeerReady -- messages to send per peer, at most one acceptedEpoch
// write, storage operations in order, committed entries in zxid order, snapshot requests,
// forwarded requests and ping payloads (leader), answered syncs (learner), and the role/phase
// changes in the order they happened; advance() says the batch was carried out. No sockets,
// clocks, threads or files; time is ticks, randomness comes from the injected Rng.
//
// Phases: kElection (Election runs) -> kDiscovery (Discovery runs as leader or learner) ->
// kSync (leader established / learner acknowledged; Leading / Learning sync) -> kBroadcast
// (serving). Any failure goes back to kElection with a new round.
//
// PERSISTENCE CONTRACT (Discovery's, Leading's and Learning's, restated for the member):
// - The Peer is built with DURABLE state only: acceptedEpoch and currentEpoch as on disk, the
//   zxid of the last fsynced log entry, and the tail of the log as a History ending there (the
//   caller has applied the whole log to its state machine). Votes, FOLLOWERINFO and ACKEPOCH
//   report durable state only; reporting something a crash can still take back would let
//   others count a promise that evaporates.
// - When PeerReady::persist_accepted_epoch is set, the caller writes acceptedEpoch (synced),
//   then calls accepted_epoch_durable(E). PeerReady::storage is carried out in order (see
//   StorageOp); appends complete with log_durable(zxid) (in order, possibly batched),
//   currentEpoch writes with current_epoch_durable(E). Completions are reported only once
//   synced.
// - The messages in a PeerReady never depend on a write still in flight (LEADERINFO, ACKEPOCH,
//   the ACK of NEWLEADER and of proposals wait inside the core for their writes), so the
//   caller may send them at once, before or while it persists the same batch; the leader's
//   PROPOSALs go out while its own fsync runs.
// - The Peer never starts a discovery while an acceptedEpoch write it asked for is in flight.
// - Leaving a role closes its quorum connections (as ZooKeeper does): quorum packets of the old
//   role still unsent in the batch are dropped, so the caller should also drop the ones it has
//   in flight on the quorum port. Storage operations and committed entries are never dropped.
// - Within one PeerReady, every committed entry precedes (in time) every truncation or snapshot
//   install: apply the committed entries first, then carry out the storage operations.
// - snapshot_taken(learner, zxid, data) answers a snapshot request with the state machine
//   at a zxid between applied() (every committed entry handed out so far applied) and
//   last_zxid() (a leader may apply what it proposes before it commits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "zab/broadcast.h"
#include "zab/discovery.h"
#include "zab/election.h"
#include "zab/leading.h"
#include "zab/learning.h"
#include "zab/quorum_packet.h"
#include "zab/rng.h"

namespace conclave::zab {

struct PeerOptions {
  ElectionOptions election;
  DiscoveryOptions discovery;
  BroadcastOptions broadcast;
};

enum class PeerPhase : uint8_t {
  kElection,
  kDiscovery,  // includes waiting for an earlier acceptedEpoch write before starting
  kSync,       // discovery finished (established / acknowledged); syncing
  kBroadcast,  // serving: the leader had NEWLEADER acknowledged by a quorum / UPTODATE arrived
};
const char* to_string(PeerPhase p);

struct PeerOutgoing {
  ServerId to = 0;
  PeerMessage message;  // a Notification (election port) or a QuorumPacket (quorum port)
};

// One role/phase change. `elected` is set when election decided (entering kDiscovery);
// `outcome` when discovery ended (entering kSync, or kElection after a failure); `reason` when
// sync or broadcast ended (entering kElection).
struct PhaseChange {
  PeerPhase phase = PeerPhase::kElection;
  PeerState role = PeerState::kLooking;
  std::optional<Elected> elected;
  std::optional<DiscoveryOutcome> outcome;
  std::string reason;
};

struct PeerReady {
  std::vector<PeerOutgoing> messages;
  std::optional<int64_t> persist_accepted_epoch;
  std::vector<StorageOp> storage;
  std::vector<Entry> committed;
  std::vector<ServerId> snapshot_requests;
  std::vector<std::pair<ServerId, std::string>> requests;
  std::vector<std::pair<ServerId, std::string>> pings;
  uint64_t syncs_done = 0;
  std::vector<LearnerAcked> learners_acked;
  std::vector<PhaseChange> changes;
  bool empty() const {
    return messages.empty() && !persist_accepted_epoch && storage.empty() && committed.empty() &&
           snapshot_requests.empty() && requests.empty() && pings.empty() && syncs_done == 0 &&
           learners_acked.empty() && changes.empty();
  }
};

class Peer {
 public:
  // `history` is the tail of the durable log (it must end at durable.last_zxid); by default
  // an empty window at durable.last_zxid (every learner then gets a SNAP).
  Peer(ServerId my_id, QuorumVerifier verifier, PeerOptions options, Rng& rng,
       const DurableState& durable, std::optional<History> history = std::nullopt);

  // Begins the first election round.
  void start();
  // A message from `from`. Notifications always reach Election (it answers LOOKING members in
  // every role); quorum packets go to the step function of the current role.
  void step(ServerId from, const PeerMessage& m);
  // The same from bytes; fails (and changes nothing) on bytes that are not a PeerMessage.
  Status step(ServerId from, std::string_view bytes);
  void tick();

  // Storage completion: acceptedEpoch = epoch is durable.
  void accepted_epoch_durable(int64_t epoch);
  // Storage completions: the log is durable through zxid; currentEpoch = epoch is durable.
  void log_durable(Zxid zxid);
  void current_epoch_durable(int64_t epoch);
  // The caller saw the quorum connection to its leader drop.
  void return_to_election();
  // The caller's quorum connection to `id` came up (a learner's FOLLOWERINFO goes again).
  void quorum_link_up(ServerId id);
  // A log append failed (a full disk): the entries past the durable zxid will never be, so the
  // History forgets them, and the member goes back to election (the caller rebuilds its state
  // machine from disk; the next sync brings it back).
  void log_write_failed();

  // Leader, serving: a new entry; returns its zxid.
  Result<Zxid> propose(std::string data);
  // Leader: the zxid the next propose() assigns (a transaction names its own zxid); 0 when
  // not leading.
  Zxid next_proposal_zxid() const { return leading_ ? leading_->next_zxid() : 0; }
  // Learner, serving: a client write for the leader (REQUEST); a sync() (answered in
  // PeerReady::syncs_done, in order).
  Status forward(std::string request);
  Status request_sync();
  // Learner: the payload of its PING answers (session touches) from now on; replaces the
  // previous one.
  void set_ping_data(std::string data);
  // Learner: PINGs answered so far in this leader's term (0 when not a learner).
  uint64_t pings_answered() const;
  // Leader: the answer to a snapshot request (see the contract above).
  void snapshot_taken(ServerId learner, Zxid zxid, std::string data);
  // The caller took a snapshot at `zxid` and purged the log below it: storage can no longer
  // truncate below it (reported in the next ACKEPOCH).
  void snapshot_persisted(Zxid zxid);

  bool has_ready() const { return !ready_.empty(); }
  // The batch of work since the last ready(). Call advance() once it is carried out; ready()
  // again before that is a caller bug (checked) -- one batch in flight, as in etcd-raft.
  PeerReady ready();
  void advance();

  ServerId id() const { return my_id_; }
  PeerPhase phase() const { return phase_; }
  // kLooking during election, else the role election decided.
  PeerState role() const { return role_; }
  // The leader election chose (us when leading), also while discovery waits to start; 0 in
  // election. epoch(): discovery's epoch (Discovery::epoch), 0 until known.
  ServerId leader() const {
    return discovery_ ? discovery_->leader() : pending_ ? pending_->vote.leader : 0;
  }
  int64_t epoch() const { return discovery_ ? discovery_->epoch() : 0; }
  bool discovery_done() const { return discovery_ && discovery_->done(); }
  const Election& election() const { return election_; }
  const DurableState& durable() const { return durable_; }
  bool serving() const { return phase_ == PeerPhase::kBroadcast; }
  // The last entry received (proposed, on the leader), the last handed out as committed.
  Zxid last_zxid() const { return replica_.history.last(); }
  Zxid applied() const { return replica_.applied; }
  const Leading* leading() const { return leading_ ? &*leading_ : nullptr; }
  const Learning* learning() const { return learning_ ? &*learning_ : nullptr; }

 private:
  using StepFn = void (Peer::*)(ServerId, const QuorumPacket&);
  using TickFn = void (Peer::*)();

  // Per-role step and tick, swapped on every role change (etcd-raft's r.step / r.tick).
  void step_looking(ServerId from, const QuorumPacket& p);
  void step_leading(ServerId from, const QuorumPacket& p);
  void step_learning(ServerId from, const QuorumPacket& p);
  void tick_looking();
  void tick_discovery();
  void tick_leading();
  void tick_learning();

  void become_looking(std::optional<DiscoveryOutcome> outcome, std::string reason = {});
  void become_discovering(const Elected& e);
  void start_discovery();
  void drain_election();
  void drain_discovery();
  void drain_broadcast();
  void drop_unsent_quorum_packets();

  const ServerId my_id_;
  const QuorumVerifier verifier_;
  const PeerOptions options_;

  Election election_;
  std::optional<Discovery> discovery_;  // engaged from election's decision until back to it
  std::optional<Leading> leading_;      // engaged from establishment until back to election
  std::optional<Learning> learning_;    // engaged from ACKEPOCH until back to election
  // Learners that acknowledged our epoch before it was established: synced once it is.
  std::vector<LearnerAcked> early_learners_;
  DurableState durable_;
  Replica replica_;
  // acceptedEpoch writes asked for and not yet reported durable (at most one; see contract).
  uint32_t writes_in_flight_ = 0;
  // Election decided while a write was in flight: discovery starts once it completes.
  std::optional<Elected> pending_;

  PeerPhase phase_ = PeerPhase::kElection;
  PeerState role_ = PeerState::kLooking;
  StepFn step_ = &Peer::step_looking;
  TickFn tick_ = &Peer::tick_looking;

  PeerReady ready_;
  bool batch_in_flight_ = false;
};

}  // namespace conclave::zab
