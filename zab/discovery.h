// zab::Discovery: ZAB's discovery phase (protocol notes B.4; Learner.registerWithLeader,
// Leader.getEpochToPropose, Leader.waitForEpochAck) as a sans-IO state machine, for one member
// from the moment election decided until the epoch is settled.
//
// Inputs: start_leading() / start_following(), step(packet), tick(), and the storage completion
// accepted_epoch_durable(). Outputs: take_ready() hands back packets to send, at most one
// acceptedEpoch write to make durable, the followers that finished discovery with us, and, once,
// the outcome (established / acknowledged, or back to election). No sockets, clocks, threads
// or files; time is ticks.
//
// PERSISTENCE CONTRACT (what must be durable before which packet leaves):
// - start_*() must not be called while an acceptedEpoch write of an earlier discovery is still
//   in flight: wait for it, so that the durable state given is the one a crash would leave.
// - start_*() takes DURABLE state only: acceptedEpoch and currentEpoch as on disk, and the
//   zxid of the last fsynced log entry. FOLLOWERINFO and ACKEPOCH report these; reporting
//   something a crash can still take back would let a leader count a promise that evaporates.
// - Leader: LEADERINFO(E) leaves only after acceptedEpoch = E is durable on the leader. The
//   leader counts itself among the members that accepted E, so its own acceptance is a promise
//   like any follower's.
// - Follower: ACKEPOCH acknowledging E (current_epoch != -1) leaves only after acceptedEpoch = E
//   is durable. This is what makes at most one leader establish itself per epoch: each member
//   acknowledges an epoch at most once, even across crashes, so two quorums that acknowledged E
//   would share a member that acknowledged it twice.
// - Both: when Ready::persist_accepted_epoch is set, the caller writes it (synced), then calls
//   accepted_epoch_durable(E). The packets that depend on it are held inside the core until then;
//   the packets in a Ready never depend on a write still in flight, so they may be sent at once.
// The core checks its side of this (an abort, on in every build): no LEADERINFO(E) or
// ACKEPOCH(E) is emitted unless accepted_epoch_durable(E') with E' >= E was reported, or the
// start state already said so.
//
// Rules (B.4), each with a unit test in tests/unit/zab/discovery_test.cc:
// - D1 a learner sends FOLLOWERINFO (OBSERVERINFO for an observer) with
//   zxid = makeZxid(acceptedEpoch, 0), again every followerinfo_resend_ticks until LEADERINFO
//   arrives (ZooKeeper retries the connection; the leader may not be listening yet).
// - D2 the leader picks epoch = max(acceptedEpoch of every learner heard, its own) + 1 once
//   the voters heard, itself included, form a quorum; then persists acceptedEpoch = epoch.
// - D3 the leader sends LEADERINFO(makeZxid(epoch, 0)) to every learner heard, and to every
//   learner heard later, only once the epoch is durable.
// - D4 a learner receiving LEADERINFO(E): E > acceptedEpoch -> persist, then ACKEPOCH(lastZxid,
//   currentEpoch); E == acceptedEpoch -> ACKEPOCH with current_epoch -1 at once; E <
//   acceptedEpoch -> back to election.
// - D5 the leader abdicates (back to election) when an acknowledging learner's (currentEpoch,
//   lastZxid) is more recent than its own (isMoreRecentThan), until it is established.
// - D6 the leader is established when the voters that acknowledged its epoch (ACKEPOCH naming
//   it, current_epoch != -1), itself included, form a quorum.
// - D7 a leader not established, or a learner that has not acknowledged, within
//   init_limit_ticks goes back to election.
// - D8 (not in ZooKeeper) a leader that hears a learner whose acceptedEpoch is above the
//   epoch it chose goes back to election, established or not: that learner would reject its
//   LEADERINFO (D4) on every attempt, and a new round picks an epoch above it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/zxid.h"
#include "zab/quorum_packet.h"
#include "zab/quorum_verifier.h"

namespace conclave::zab {

struct DiscoveryOptions {
  // initLimit: how long discovery may take before the member returns to election.
  uint64_t init_limit_ticks = 10;
  // A learner that has not heard LEADERINFO sends FOLLOWERINFO again this often.
  uint64_t followerinfo_resend_ticks = 2;
};

// Durable state of the member, as read from its log (see the contract above).
struct DurableState {
  int64_t accepted_epoch = 0;
  int64_t current_epoch = 0;
  Zxid last_zxid = 0;
  // The lowest zxid the member's storage can truncate back to (its newest snapshot's zxid, 0
  // with none); ACKEPOCH reports it so that the leader never asks for an impossible TRUNC.
  Zxid base_zxid = 0;
};

struct PacketOut {
  ServerId to = 0;
  QuorumPacket packet;
};

// A learner that finished discovery with this leader: what sync will need.
struct LearnerAcked {
  ServerId id = 0;
  Zxid last_zxid = 0;
  int64_t current_epoch = 0;  // kNotAnAck when it had accepted the epoch before
  Zxid base_zxid = 0;         // DurableState::base_zxid of the learner
  bool observer = false;      // it sent OBSERVERINFO
};

struct DiscoveryOutcome {
  enum class Kind : uint8_t {
    kEstablished,     // leader: a quorum accepted `epoch`
    kAcknowledged,    // learner: ACKEPOCH for `epoch` sent; sync comes next
    kBackToElection,  // either: `reason` says why
  };
  // Which rule ended discovery when kind is kBackToElection.
  enum class Rule : uint8_t {
    kNone,
    kD4EpochBelowAccepted,
    kD5LearnerMoreRecent,
    kD7InitLimit,
    kD8LearnerAcceptedHigher,
  };
  Kind kind = Kind::kBackToElection;
  int64_t epoch = 0;
  Rule rule = Rule::kNone;
  std::string reason;
};

struct DiscoveryReady {
  std::vector<PacketOut> packets;
  std::optional<int64_t> persist_accepted_epoch;
  std::vector<LearnerAcked> learners_acked;
  std::optional<DiscoveryOutcome> outcome;
};

class Discovery {
 public:
  Discovery(ServerId my_id, QuorumVerifier verifier, DiscoveryOptions options);

  void start_leading(const DurableState& durable);
  void start_following(ServerId leader, const DurableState& durable);

  // A packet from `from`. Ignored when it does not fit our role or state.
  void step(ServerId from, const QuorumPacket& p);
  void tick();
  // Storage completion: acceptedEpoch = epoch is now durable.
  void accepted_epoch_durable(int64_t epoch);
  // Learner: the quorum connection to the leader came up. A FOLLOWERINFO sent before it did was
  // lost; sending it again now saves waiting for the resend (D1).
  void leader_link_up();

  bool has_ready() const;
  DiscoveryReady take_ready();

  enum class Role : uint8_t { kIdle, kLeading, kLearning };
  Role role() const { return role_; }
  // Leader: the epoch chosen (0 until chosen). Learner: the epoch of the LEADERINFO acted on.
  int64_t epoch() const { return epoch_; }
  bool done() const { return done_; }
  ServerId leader() const { return leader_; }

 private:
  void reset();
  void step_leader(ServerId from, const QuorumPacket& p);
  void step_learner(ServerId from, const QuorumPacket& p);
  void maybe_choose_epoch();
  void send_leader_info(ServerId to);
  void send_ack_epoch(int64_t current_epoch);
  void send_learner_info();
  void finish(DiscoveryOutcome::Kind kind, DiscoveryOutcome::Rule rule, std::string reason);
  bool more_recent_than_mine(int64_t current_epoch, Zxid last_zxid) const;

  const ServerId my_id_;
  const QuorumVerifier verifier_;
  const DiscoveryOptions options_;

  Role role_ = Role::kIdle;
  DurableState durable_;
  ServerId leader_ = 0;
  int64_t epoch_ = 0;
  bool done_ = false;
  uint64_t ticks_ = 0;
  uint64_t resend_ticks_ = 0;
  std::optional<int64_t> write_in_flight_;

  // Leader. Both maps are bounded by the member count: one entry per member.
  std::map<ServerId, int64_t> learner_accepted_epoch_;  // connectingFollowers
  std::set<ServerId> observers_;                        // learners that sent OBSERVERINFO
  std::set<ServerId> acked_;                            // electingFollowers, self included
  bool established_ = false;

  DiscoveryReady ready_;
};

}  // namespace conclave::zab
