// zab::Peer: ONE sans-IO core per member, in the shape of etcd-raft's RawNode (STYLE.md). It
// owns the member's Election and Discovery and moves between them by role; the caller feeds it
// inputs and carries out the batches of work it hands back.
//
// Inputs: start(), step(from, message) (a PeerMessage, decoded or as bytes), tick(), the
// storage completions accepted_epoch_durable(E) and current_epoch_durable(E, zxid), and
// return_to_election() (for what the core does not watch yet: pings and sync are still the
// caller's). Outputs: ready() hands back one PeerReady -- messages to send per peer, at most one
// acceptedEpoch write, the learners that finished discovery with us, and the role/phase changes
// in the order they happened; advance() says the batch was carried out. No sockets, clocks,
// threads or files; time is ticks, randomness comes from the injected Rng.
//
// Phases: kElection (Election runs) -> kDiscovery (Discovery runs as leader or learner) ->
// kSync (leader established / learner acknowledged; sync, not in the core yet, comes next).
// Any failure of discovery, and return_to_election(), goes back to kElection with a new round.
//
// PERSISTENCE CONTRACT (Discovery's, restated for the member as a whole):
// - The Peer is built with DURABLE state only: acceptedEpoch and currentEpoch as on disk and
//   the zxid of the last fsynced log entry. Votes, FOLLOWERINFO and ACKEPOCH report these;
//   reporting something a crash can still take back would let others count a promise that
//   evaporates. current_epoch_durable() must likewise be called only once the write is synced.
// - When PeerReady::persist_accepted_epoch is set, the caller writes acceptedEpoch (synced),
//   then calls accepted_epoch_durable(E). Writes complete in the order they were requested.
// - The messages in a PeerReady never depend on a write still in flight (LEADERINFO(E) and
//   ACKEPOCH(E) wait inside the core until acceptedEpoch = E is durable), so the caller may send
//   them at once, before or while it persists the same batch.
// - The Peer never starts a discovery while an acceptedEpoch write it asked for is in flight:
//   when election decides meanwhile, discovery starts on the completion, from the state that
//   write left. Otherwise a crash could leave a different acceptedEpoch than the one reported.
// - Leaving a role closes its quorum connections (as ZooKeeper does): quorum packets of the old
//   role still unsent in the batch are dropped, so the caller should also drop the ones it has
//   in flight on the quorum port.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "zab/discovery.h"
#include "zab/election.h"
#include "zab/quorum_packet.h"
#include "zab/rng.h"

namespace conclave::zab {

struct PeerOptions {
  ElectionOptions election;
  DiscoveryOptions discovery;
};

enum class PeerPhase : uint8_t {
  kElection,
  kDiscovery,  // includes waiting for an earlier acceptedEpoch write before starting
  kSync,       // discovery finished (established / acknowledged); sync is the caller's for now
};
const char* to_string(PeerPhase p);

struct PeerOutgoing {
  ServerId to = 0;
  PeerMessage message;  // a Notification (election port) or a QuorumPacket (quorum port)
};

// One role/phase change. `elected` is set when election decided (entering kDiscovery);
// `outcome` when discovery ended (entering kSync, or kElection after a failure).
struct PhaseChange {
  PeerPhase phase = PeerPhase::kElection;
  PeerState role = PeerState::kLooking;
  std::optional<Elected> elected;
  std::optional<DiscoveryOutcome> outcome;
};

struct PeerReady {
  std::vector<PeerOutgoing> messages;
  std::optional<int64_t> persist_accepted_epoch;
  std::vector<LearnerAcked> learners_acked;
  std::vector<PhaseChange> changes;
  bool empty() const {
    return messages.empty() && !persist_accepted_epoch && learners_acked.empty() && changes.empty();
  }
};

class Peer {
 public:
  Peer(ServerId my_id, QuorumVerifier verifier, PeerOptions options, Rng& rng,
       const DurableState& durable);

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
  // Storage completion from sync (the caller's until sync moves in): currentEpoch = epoch and
  // the log up to last_zxid are durable; the next vote and FOLLOWERINFO report them.
  void current_epoch_durable(int64_t epoch, Zxid last_zxid);
  // The caller lost its leader or its quorum (pings and sync are not in the core yet).
  void return_to_election();

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

 private:
  using StepFn = void (Peer::*)(ServerId, const QuorumPacket&);
  using TickFn = void (Peer::*)();

  // Per-role step and tick, swapped on every role change (etcd-raft's r.step / r.tick).
  void step_looking(ServerId from, const QuorumPacket& p);
  void step_leading(ServerId from, const QuorumPacket& p);
  void step_learning(ServerId from, const QuorumPacket& p);
  void tick_looking();
  void tick_discovery();

  void become_looking(std::optional<DiscoveryOutcome> outcome);
  void become_discovering(const Elected& e);
  void start_discovery();
  void drain_election();
  void drain_discovery();
  void drop_unsent_quorum_packets();

  const ServerId my_id_;
  const QuorumVerifier verifier_;
  const PeerOptions options_;

  Election election_;
  std::optional<Discovery> discovery_;  // engaged from election's decision until back to it
  DurableState durable_;
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
