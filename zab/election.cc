#include "zab/election.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace conclave::zab {
namespace {

// Vote.equals in ZooKeeper: while either side is LOOKING a vote is the whole tuple; between
// two decided members it is (leader, peer epoch), since their rounds may differ.
bool same_vote(PeerState a_state, const Vote& a, int64_t a_election_epoch, PeerState b_state,
               const Vote& b, int64_t b_election_epoch) {
  if (a_state == PeerState::kLooking || b_state == PeerState::kLooking) {
    return a == b && a_election_epoch == b_election_epoch;
  }
  return a.leader == b.leader && a.peer_epoch == b.peer_epoch;
}

}  // namespace

Election::Election(ServerId my_id, QuorumVerifier verifier, ElectionOptions options, Rng& rng)
    : my_id_(my_id), verifier_(std::move(verifier)), options_(options), rng_(rng) {
  assert(verifier_.is_member(my_id_));
  assert(options_.notification_timeout_initial_ticks > 0);
  assert(options_.notification_timeout_initial_ticks <= options_.notification_timeout_max_ticks);
}

void Election::start(Zxid last_zxid, int64_t current_epoch) {
  started_ = true;
  state_ = PeerState::kLooking;
  ++logical_clock_;
  recv_set_.clear();
  out_of_election_.clear();
  decision_.reset();
  ready_.elected.reset();
  finalize_ticks_left_.reset();
  init_vote_ = verifier_.is_voter(my_id_) ? Vote{my_id_, last_zxid, current_epoch} : Vote{};
  proposal_ = init_vote_;
  notification_timeout_ticks_ = options_.notification_timeout_initial_ticks;
  arm_resend_timer();
  send_notifications();
}

void Election::step(ServerId from, const Notification& n) {
  if (!started_ || from != n.sender || from == my_id_ || !verifier_.is_member(from)) return;
  receive(n);
}

void Election::receive(const Notification& n) {
  if (!verifier_.is_voter(n.sender)) {
    // An observer asks what we think; its vote counts for nothing, so it is not recorded.
    if (decision_) {
      send(n.sender, state_, decision_->vote, decision_->election_epoch);
    } else {
      send(n.sender, PeerState::kLooking, proposal_, logical_clock_);
    }
    return;
  }
  if (state_ != PeerState::kLooking) {
    // A member still looking learns whom we follow, so it can join (out-of-election path).
    if (n.state == PeerState::kLooking) {
      send(n.sender, state_, decision_->vote, decision_->election_epoch);
    }
    return;
  }
  // A voter in an older round learns ours. Observers keep quiet: their vote counts for nothing
  // and a voter answers every observer message, so answering back would loop.
  if (n.state == PeerState::kLooking && n.election_epoch < logical_clock_ &&
      verifier_.is_voter(my_id_)) {
    send(n.sender, PeerState::kLooking, proposal_, logical_clock_);
  }
  step_looking(n);
}

void Election::step_looking(const Notification& n) {
  idle_ticks_ = 0;
  if (!verifier_.is_voter(n.vote.leader)) return;
  if (finalize_ticks_left_) {
    // Rule B.2 finalize wait: only a better vote interrupts it; anything else is drained.
    if (!vote_beats(n.vote, proposal_, verifier_)) return;
    finalize_ticks_left_.reset();
  }
  switch (n.state) {
    case PeerState::kLooking:
      step_looking_vote(n);
      return;
    case PeerState::kObserving:
      return;
    case PeerState::kFollowing:
    case PeerState::kLeading:
      step_out_of_election(n);
      return;
  }
}

void Election::step_looking_vote(const Notification& n) {
  if (n.election_epoch > logical_clock_) {
    // Rule B.2 higher clock: adopt it, forget this round's votes, and propose the better of
    // the sender's vote and our own initial vote.
    logical_clock_ = n.election_epoch;
    recv_set_.clear();
    update_proposal(vote_beats(n.vote, init_vote_, verifier_) ? n.vote : init_vote_);
    send_notifications();
  } else if (n.election_epoch < logical_clock_) {
    return;  // Rule B.2 lower clock: ignored (receive() already told the sender our round).
  } else if (vote_beats(n.vote, proposal_, verifier_)) {
    update_proposal(n.vote);  // Rule B.2 equal clock and better vote: adopt it.
    send_notifications();
  }
  record_and_check(n.sender, Received{PeerState::kLooking, n.vote, n.election_epoch});
}

void Election::record_and_check(ServerId sender, const Received& received) {
  if (state_ != PeerState::kLooking) return;
  recv_set_[sender] = received;
  std::vector<ServerId> backers =
      supporters(recv_set_, Received{PeerState::kLooking, proposal_, logical_clock_});
  if (!verifier_.contains_quorum(backers)) return;
  if (options_.finalize_wait_ticks == 0) {
    decide(proposal_, backers, /*out_of_election=*/false);
  } else if (!finalize_ticks_left_) {
    finalize_ticks_left_ = options_.finalize_wait_ticks;
  }
}

void Election::step_out_of_election(const Notification& n) {
  // receivedFollowingNotification / receivedLeadingNotification: follow a leader only when a
  // quorum reports it AND the leader itself reports LEADING (checkLeader, ZOOKEEPER-3922).
  Received received{n.state, n.vote, n.election_epoch};
  if (n.election_epoch == logical_clock_) {
    recv_set_[n.sender] = received;
    std::vector<ServerId> backers = supporters(recv_set_, received);
    if (verifier_.contains_quorum(backers) && check_leader(recv_set_, received)) {
      decide(n.vote, backers, /*out_of_election=*/true);
      return;
    }
  }
  out_of_election_[n.sender] = received;
  std::vector<ServerId> backers = supporters(out_of_election_, received);
  if (verifier_.contains_quorum(backers) && check_leader(out_of_election_, received)) {
    logical_clock_ = n.election_epoch;
    decide(n.vote, backers, /*out_of_election=*/true);
  }
}

bool Election::check_leader(const VoteTable& table, const Received& target) const {
  if (target.vote.leader == my_id_) return logical_clock_ == target.election_epoch;
  // Stricter than ZooKeeper's checkLeader, which accepts any LEADING report, even a stale one
  // from an earlier leadership: the leader's report must be about this same vote.
  auto it = table.find(target.vote.leader);
  return it != table.end() && it->second.state == PeerState::kLeading &&
         same_vote(it->second.state, it->second.vote, it->second.election_epoch, target.state,
                   target.vote, target.election_epoch);
}

std::vector<ServerId> Election::supporters(const VoteTable& table, const Received& target) const {
  std::vector<ServerId> ids;
  for (const auto& [id, r] : table) {
    if (same_vote(r.state, r.vote, r.election_epoch, target.state, target.vote,
                  target.election_epoch)) {
      ids.push_back(id);
    }
  }
  return ids;
}

void Election::tick() {
  if (!started_ || state_ != PeerState::kLooking) return;
  if (finalize_ticks_left_) {
    if (--*finalize_ticks_left_ > 0) return;
    finalize_ticks_left_.reset();
    std::vector<ServerId> backers =
        supporters(recv_set_, Received{PeerState::kLooking, proposal_, logical_clock_});
    assert(verifier_.contains_quorum(backers));
    decide(proposal_, backers, /*out_of_election=*/false);
    return;
  }
  if (++idle_ticks_ < resend_after_ticks_) return;
  // Rule B.2 back-off: nothing heard for a while; say it again, and wait twice as long next.
  send_notifications();
  notification_timeout_ticks_ =
      std::min(2 * notification_timeout_ticks_, options_.notification_timeout_max_ticks);
  arm_resend_timer();
}

void Election::arm_resend_timer() {
  idle_ticks_ = 0;
  resend_after_ticks_ =
      notification_timeout_ticks_ + (options_.resend_jitter_ticks_max == 0
                                         ? 0
                                         : rng_.between(0, options_.resend_jitter_ticks_max));
}

void Election::update_proposal(const Vote& v) {
  proposal_ = v;
}

void Election::send_notifications() {
  for (ServerId voter : verifier_.voters()) {
    if (voter != my_id_) send(voter, PeerState::kLooking, proposal_, logical_clock_);
  }
  // Our own vote counts as if delivered to ourselves, as ZooKeeper's self-notification does.
  if (verifier_.is_voter(my_id_)) {
    record_and_check(my_id_, Received{PeerState::kLooking, proposal_, logical_clock_});
  }
}

void Election::send(ServerId to, PeerState state, const Vote& vote, int64_t election_epoch) {
  ready_.messages.push_back(Outgoing{to, Notification{state, vote, election_epoch, my_id_}});
}

void Election::decide(const Vote& vote, const std::vector<ServerId>& backers,
                      bool out_of_election) {
  state_ = vote.leader == my_id_ ? PeerState::kLeading : learning_state();
  Elected e{state_, vote, logical_clock_, backers, out_of_election};
  decision_ = e;
  ready_.elected = std::move(e);
  recv_set_.clear();
  finalize_ticks_left_.reset();
}

PeerState Election::learning_state() const {
  return verifier_.is_voter(my_id_) ? PeerState::kFollowing : PeerState::kObserving;
}

Ready Election::take_ready() {
  Ready out = std::move(ready_);
  ready_ = Ready{};
  return out;
}

void Election::settle(int64_t epoch) {
  if (decision_) decision_->vote.peer_epoch = epoch;
}

}  // namespace conclave::zab
