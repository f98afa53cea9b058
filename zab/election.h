// zab::Election: ZooKeeper's Fast Leader Election (FastLeaderElection.lookForLeader and its
// WorkerReceiver, protocol notes B.2) as a sans-IO state machine.
//
// Inputs: start(), step(from, notification), tick(). Outputs: take_ready() hands back the
// notifications to send and, once, the decision. No sockets, clocks, threads or files; time is
// ticks (the caller picks the tick length; the defaults assume 50 ms), randomness comes from
// the injected Rng.
//
// What it promises, and what it needs from the caller:
// - start(last_zxid, current_epoch) must be given DURABLE state: the zxid of the last
//   transaction fsynced to the log and the currentEpoch on disk. A vote is a promise about this
//   member's history; voting with something not yet durable could elect a leader whose history
//   a crash then shortens.
// - The election alone does not make leadership unique: under long enough delays two members
//   can each see a quorum for themselves (as in ZooKeeper). Discovery, which makes a quorum
//   accept a new epoch, is what makes at most one leader establish itself per epoch.
// - A decision is backed by a quorum of voters whose notifications named the decided vote
//   (Elected::supporters); an observer never votes and is never elected.
// - Every table is bounded by the member count (kMembersMax); notifications from non-members
//   are dropped.
// - The transport is expected to behave like QuorumCnxManager: FIFO per link, and the last
//   notification sent on a link is sent again when the link reconnects.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "zab/notification.h"
#include "zab/quorum_verifier.h"
#include "zab/rng.h"

namespace conclave::zab {

struct ElectionOptions {
  // After a quorum agrees with our proposal, wait this long for a better vote before deciding
  // (finalizeWait, 200 ms).
  uint64_t finalize_wait_ticks = 4;
  // With no notification for this long, send ours again; the wait doubles each time up to the
  // max (200 ms up to 60 s in ZooKeeper).
  uint64_t notification_timeout_initial_ticks = 4;
  uint64_t notification_timeout_max_ticks = 1200;
  // Added at random to each re-send wait so that members started together do not re-send in
  // lock step.
  uint64_t resend_jitter_ticks_max = 1;
};

struct Outgoing {
  ServerId to = kNoServer;
  Notification notification;
};

struct Elected {
  PeerState role = PeerState::kLooking;  // kLeading, kFollowing or kObserving
  Vote vote;                             // the leader, its zxid and peer epoch
  int64_t election_epoch = 0;            // our logical clock when we decided
  std::vector<ServerId> supporters;      // the voters whose votes made the quorum
  bool out_of_election = false;          // joined an existing leader (FOLLOWING/LEADING path)
};

struct Ready {
  std::vector<Outgoing> messages;
  std::optional<Elected> elected;
};

class Election {
 public:
  Election(ServerId my_id, QuorumVerifier verifier, ElectionOptions options, Rng& rng);

  // Begins a new round (lookForLeader): LOOKING, logical clock + 1, vote for ourselves (an
  // observer votes for nobody), notify every voter. Also how the caller returns to election
  // after losing its leader or its quorum.
  void start(Zxid last_zxid, int64_t current_epoch);
  // A notification from `from`. Ignored until start(), and when `from` is not a member or does
  // not match n.sender.
  void step(ServerId from, const Notification& n);
  // Discovery settled `epoch` with the leader we decided on: from now on we report it as our
  // vote's peer epoch. Members that joined through stale notifications (the out-of-election
  // path can accept a LEADING report sent just before that leader re-elected itself) would
  // otherwise report an older peer epoch than their leader forever, and a member looking
  // later would never see a quorum agree on one vote (it compares leader and peer epoch, as
  // ZooKeeper's Vote.equals does out of election).
  void settle(int64_t epoch);
  void tick();

  bool has_ready() const { return !ready_.messages.empty() || ready_.elected.has_value(); }
  Ready take_ready();

  PeerState state() const { return state_; }
  int64_t logical_clock() const { return logical_clock_; }
  const Vote& proposal() const { return proposal_; }
  const std::optional<Elected>& decision() const { return decision_; }
  ServerId id() const { return my_id_; }

 private:
  struct Received {
    PeerState state;
    Vote vote;
    int64_t election_epoch;
  };
  using VoteTable = std::map<ServerId, Received>;

  // WorkerReceiver: replies that do not depend on the election loop.
  void receive(const Notification& n);
  // lookForLeader's loop body for one notification, while LOOKING.
  void step_looking(const Notification& n);
  void step_looking_vote(const Notification& n);
  void step_out_of_election(const Notification& n);

  void record_and_check(ServerId sender, const Received& received);
  void update_proposal(const Vote& v);
  void send_notifications();
  void send(ServerId to, PeerState state, const Vote& vote, int64_t election_epoch);
  void arm_resend_timer();
  std::vector<ServerId> supporters(const VoteTable& table, const Received& target) const;
  bool check_leader(const VoteTable& table, const Received& target) const;
  void decide(const Vote& vote, const std::vector<ServerId>& supporters, bool out_of_election);
  PeerState learning_state() const;

  const ServerId my_id_;
  const QuorumVerifier verifier_;
  const ElectionOptions options_;
  Rng& rng_;

  bool started_ = false;
  PeerState state_ = PeerState::kLooking;
  int64_t logical_clock_ = 0;
  Vote init_vote_;
  Vote proposal_;
  VoteTable recv_set_;         // this round's votes (recvset)
  VoteTable out_of_election_;  // FOLLOWING/LEADING reports, any round (outofelection)
  std::optional<Elected> decision_;

  uint64_t notification_timeout_ticks_ = 0;
  uint64_t idle_ticks_ = 0;
  uint64_t resend_after_ticks_ = 0;
  std::optional<uint64_t> finalize_ticks_left_;

  Ready ready_;
};

}  // namespace conclave::zab
