// One test per rule of Fast Leader Election, as written in the protocol notes B.2
// (FastLeaderElection.java), plus the ZOOKEEPER-3922 two-member case.
#include "zab/election.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace conclave::zab {
namespace {

QuorumVerifier majority(std::vector<ServerId> voters, std::vector<ServerId> observers = {}) {
  return std::move(QuorumVerifier::majority(voters, observers)).value();
}

Notification looking(ServerId sender, Vote v, int64_t election_epoch) {
  return Notification{PeerState::kLooking, v, election_epoch, sender};
}

std::vector<ServerId> recipients(const Ready& r) {
  std::vector<ServerId> to;
  for (const auto& m : r.messages)
    to.push_back(m.to);
  std::sort(to.begin(), to.end());
  return to;
}

struct Fixture {
  SplitMix64Rng rng{1};
  ElectionOptions options{.finalize_wait_ticks = 4,
                          .notification_timeout_initial_ticks = 4,
                          .notification_timeout_max_ticks = 16,
                          .resend_jitter_ticks_max = 0};
};

TEST(ElectionTest, TotalOrderIsEpochThenZxidThenId) {
  // B.2 totalOrderPredicate.
  QuorumVerifier qv = majority({1, 2, 3}, {9});
  EXPECT_TRUE(vote_beats({1, make_zxid(1, 0), 2}, {3, make_zxid(1, 9), 1}, qv));
  EXPECT_TRUE(vote_beats({1, make_zxid(1, 5), 1}, {3, make_zxid(1, 4), 1}, qv));
  EXPECT_TRUE(vote_beats({3, 7, 1}, {2, 7, 1}, qv));
  EXPECT_FALSE(vote_beats({2, 7, 1}, {2, 7, 1}, qv));
  // Weight 0 never wins (observers).
  EXPECT_FALSE(vote_beats({9, make_zxid(5, 5), 5}, {1, 0, 0}, qv));
}

TEST(ElectionTest, StartVotesForItselfAndNotifiesEveryOtherVoter) {
  Fixture f;
  Election e(2, majority({1, 2, 3}, {4}), f.options, f.rng);
  e.start(make_zxid(1, 3), 1);
  EXPECT_EQ(e.state(), PeerState::kLooking);
  EXPECT_EQ(e.logical_clock(), 1);
  EXPECT_EQ(e.proposal(), (Vote{2, make_zxid(1, 3), 1}));
  Ready r = e.take_ready();
  EXPECT_EQ(recipients(r), (std::vector<ServerId>{1, 3}));  // voters only, not ourselves
}

TEST(ElectionTest, HigherClockIsAdoptedAndClearsVotes) {
  // B.2: n.electionEpoch > logicalclock → adopt, clear recvset, propose max(n, own), broadcast.
  Fixture f;
  Election e(2, majority({1, 2, 3}), f.options, f.rng);
  e.start(make_zxid(1, 3), 1);
  e.step(1, looking(1, {1, make_zxid(1, 1), 1}, 1));  // worse vote, same clock: recorded
  (void)e.take_ready();
  e.step(3, looking(3, {3, make_zxid(1, 0), 1}, 5));  // worse vote, higher clock
  EXPECT_EQ(e.logical_clock(), 5);
  EXPECT_EQ(e.proposal().leader, 2);  // our own initial vote still beats it
  Ready r = e.take_ready();
  EXPECT_EQ(recipients(r), (std::vector<ServerId>{1, 3}));
  EXPECT_EQ(r.messages[0].notification.election_epoch, 5);
  // The round-1 vote from 1 was forgotten: 1's vote for 2 at clock 5 is what makes a quorum.
  for (int i = 0; i < 10; ++i)
    e.tick();
  EXPECT_EQ(e.state(), PeerState::kLooking);
}

TEST(ElectionTest, LowerClockIsIgnoredButAnswered) {
  // B.2: n.electionEpoch < logicalclock → ignore; the receiver tells the sender our round.
  Fixture f;
  Election e(2, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  e.step(3, looking(3, {3, 0, 0}, 4));
  (void)e.take_ready();
  e.step(1, looking(1, {1, make_zxid(9, 9), 9}, 2));
  EXPECT_EQ(e.proposal().leader, 3);  // the far better vote of an old round changed nothing
  Ready r = e.take_ready();
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].to, 1);
  EXPECT_EQ(r.messages[0].notification.election_epoch, 4);
}

TEST(ElectionTest, EqualClockBetterVoteIsAdoptedAndBroadcast) {
  // B.2: equal clock and totalOrderPredicate → adopt and broadcast.
  Fixture f;
  Election e(1, majority({1, 2, 3}), f.options, f.rng);
  e.start(make_zxid(1, 1), 1);
  (void)e.take_ready();
  e.step(3, looking(3, {3, make_zxid(1, 1), 1}, 1));
  EXPECT_EQ(e.proposal().leader, 3);
  EXPECT_EQ(recipients(e.take_ready()), (std::vector<ServerId>{2, 3}));
  // Equal clock, worse vote: recorded, not adopted, nothing sent.
  e.step(2, looking(2, {2, make_zxid(1, 0), 1}, 1));
  EXPECT_EQ(e.proposal().leader, 3);
  EXPECT_FALSE(e.has_ready());
}

TEST(ElectionTest, QuorumDecidesOnlyAfterFinalizeWait) {
  // B.2: once a quorum agrees on our proposal, wait finalizeWait for something better.
  Fixture f;
  Election e(1, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  e.step(3, looking(3, {3, 0, 0}, 1));  // we adopt 3; we and 3 are a quorum of three
  (void)e.take_ready();
  for (uint64_t i = 1; i < f.options.finalize_wait_ticks; ++i) {
    e.tick();
    EXPECT_EQ(e.state(), PeerState::kLooking);
  }
  e.tick();
  ASSERT_EQ(e.state(), PeerState::kFollowing);
  Ready r = e.take_ready();
  ASSERT_TRUE(r.elected);
  EXPECT_EQ(r.elected->vote.leader, 3);
  EXPECT_EQ(r.elected->supporters, (std::vector<ServerId>{1, 3}));
}

TEST(ElectionTest, BetterVoteDuringFinalizeWaitIsTaken) {
  // B.2: a better notification during the wait puts it back in the queue; the round goes on.
  Fixture f;
  Election e(1, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  e.step(2, looking(2, {2, 0, 0}, 1));
  e.tick();
  e.step(3, looking(3, {3, 0, 0}, 1));
  EXPECT_EQ(e.proposal().leader, 3);
  for (int i = 0; i < 10; ++i)
    e.tick();
  EXPECT_EQ(e.state(), PeerState::kFollowing);
  EXPECT_EQ(e.decision()->vote.leader, 3);
  // A worse vote during the wait is drained and does not delay the decision.
  Election g(3, majority({1, 2, 3}), f.options, f.rng);
  g.start(0, 0);
  g.step(2, looking(2, {3, 0, 0}, 1));
  for (uint64_t i = 1; i < f.options.finalize_wait_ticks; ++i) {
    g.tick();
    g.step(1, looking(1, {1, 0, 0}, 1));
  }
  g.tick();
  EXPECT_EQ(g.state(), PeerState::kLeading);
}

TEST(ElectionTest, SilenceResendsWithDoublingBackOffUpToMax) {
  // B.2: notification timeouts back off exponentially up to a maximum.
  Fixture f;
  Election e(1, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  (void)e.take_ready();
  std::vector<uint64_t> resend_ticks;
  for (uint64_t t = 1; t <= 80; ++t) {
    e.tick();
    if (e.has_ready()) {
      resend_ticks.push_back(t);
      (void)e.take_ready();
    }
  }
  // Waits of 4, 8, 16, then 16 (the max).
  EXPECT_EQ(resend_ticks, (std::vector<uint64_t>{4, 12, 28, 44, 60, 76}));
}

TEST(ElectionTest, ObserverNeverVotesNorWinsAndObserves) {
  // B.2: observers (weight 0) never win; their notifications are answered, not counted.
  Fixture f;
  QuorumVerifier qv = majority({1, 2, 3}, {4});
  Election voter(1, qv, f.options, f.rng);
  voter.start(make_zxid(1, 0), 1);
  (void)voter.take_ready();
  voter.step(4, looking(4, {4, make_zxid(9, 9), 9}, 1));
  EXPECT_EQ(voter.proposal().leader, 1);
  Ready r = voter.take_ready();
  ASSERT_EQ(r.messages.size(), 1u);  // the answer to the observer
  EXPECT_EQ(r.messages[0].to, 4);

  Election obs(4, qv, f.options, f.rng);
  obs.start(make_zxid(9, 9), 9);
  EXPECT_EQ(obs.proposal().leader, kNoServer);
  EXPECT_EQ(recipients(obs.take_ready()), (std::vector<ServerId>{1, 2, 3}));
  obs.step(1, looking(1, {3, 0, 0}, 1));
  obs.step(2, looking(2, {3, 0, 0}, 1));
  for (int i = 0; i < 10; ++i)
    obs.tick();
  EXPECT_EQ(obs.state(), PeerState::kObserving);
  EXPECT_EQ(obs.decision()->vote.leader, 3);
}

TEST(ElectionTest, WeightedQuorumCountsWeights) {
  // B.2 quorum check through the QuorumVerifier: weight above half of the total.
  QuorumVerifier qv = std::move(QuorumVerifier::weighted({{1, 3}, {2, 1}, {3, 1}}, {})).value();
  EXPECT_TRUE(qv.contains_quorum({1}));
  EXPECT_FALSE(qv.contains_quorum({2, 3}));
  EXPECT_FALSE(QuorumVerifier::majority({1, 2}, {2}).ok());
}

TEST(ElectionTest, OutOfElectionFollowsLeaderThatAQuorumReportsAndThatLeads) {
  // B.2 out-of-election path: a quorum of FOLLOWING/LEADING reports, leader reports LEADING.
  Fixture f;
  Election e(3, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  e.step(2, Notification{PeerState::kFollowing, {1, 5, 1}, 7, 2});
  EXPECT_EQ(e.state(), PeerState::kLooking);
  e.step(1, Notification{PeerState::kLeading, {1, 5, 1}, 7, 1});
  ASSERT_EQ(e.state(), PeerState::kFollowing);
  EXPECT_EQ(e.decision()->vote.leader, 1);
  EXPECT_TRUE(e.decision()->out_of_election);
  EXPECT_EQ(e.logical_clock(), 7);
}

TEST(ElectionTest, OutOfElectionRefusesALeaderThatDoesNotLead) {
  // checkLeader: a quorum of FOLLOWING reports is not enough if the leader is not LEADING.
  Fixture f;
  Election e(5, majority({1, 2, 3, 4, 5}), f.options, f.rng);
  e.start(0, 0);
  e.step(2, Notification{PeerState::kFollowing, {1, 5, 1}, 7, 2});
  e.step(3, Notification{PeerState::kFollowing, {1, 5, 1}, 7, 3});
  e.step(4, Notification{PeerState::kFollowing, {1, 5, 1}, 7, 4});
  EXPECT_EQ(e.state(), PeerState::kLooking);
  e.step(1, Notification{PeerState::kLooking, {1, 5, 1}, 9, 1});
  EXPECT_EQ(e.state(), PeerState::kLooking);
}

TEST(ElectionTest, Zookeeper3922TwoMembersNeedBoth) {
  // ZOOKEEPER-3922: in a two-member ensemble one member alone is no quorum; a member joins the
  // other only when that one reports LEADING and both make the quorum.
  Fixture f;
  Election lone(1, majority({1, 2}), f.options, f.rng);
  lone.start(make_zxid(3, 3), 3);
  for (int i = 0; i < 500; ++i)
    lone.tick();
  EXPECT_EQ(lone.state(), PeerState::kLooking);

  Election b(2, majority({1, 2}), f.options, f.rng);
  b.start(0, 0);
  b.step(1, Notification{PeerState::kLeading, {1, make_zxid(3, 3), 3}, 4, 1});
  EXPECT_EQ(b.state(), PeerState::kLooking);  // another round: 1 alone is no quorum of two
  for (int i = 0; i < 500; ++i)
    b.tick();
  EXPECT_EQ(b.state(), PeerState::kLooking);
  b.step(1, looking(1, {1, make_zxid(3, 3), 3}, 1));  // same round: 2 now votes for 1 too
  b.step(1, Notification{PeerState::kLeading, {1, make_zxid(3, 3), 3}, 1, 1});
  for (uint64_t i = 0; i < f.options.finalize_wait_ticks; ++i)
    b.tick();
  ASSERT_EQ(b.state(), PeerState::kFollowing);
  EXPECT_EQ(b.decision()->supporters, (std::vector<ServerId>{1, 2}));
}

TEST(ElectionTest, DecidedMemberAnswersLookingWithItsDecision) {
  // WorkerReceiver: a member not LOOKING answers a LOOKING notification with its current vote.
  Fixture f;
  Election e(1, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  e.step(3, looking(3, {3, 0, 0}, 1));
  for (int i = 0; i < 10; ++i)
    e.tick();
  (void)e.take_ready();
  e.step(2, looking(2, {2, 0, 0}, 1));
  Ready r = e.take_ready();
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].notification.state, PeerState::kFollowing);
  EXPECT_EQ(r.messages[0].notification.vote.leader, 3);
}

TEST(ElectionTest, StepIgnoresForgedAndUnknownSenders) {
  Fixture f;
  Election e(1, majority({1, 2, 3}), f.options, f.rng);
  e.start(0, 0);
  (void)e.take_ready();
  e.step(2, looking(3, {3, 0, 0}, 1));  // claims to be 3 on 2's link
  e.step(8, looking(8, {8, 0, 0}, 1));  // not a member
  EXPECT_EQ(e.proposal().leader, 1);
  EXPECT_FALSE(e.has_ready());
}

TEST(ElectionTest, NotificationRoundTripsThroughProtobuf) {
  Notification n{PeerState::kObserving, {7, make_zxid(2, 9), 2}, 11, 4};
  Result<Notification> back = decode_notification(encode_notification(n));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, n);
  EXPECT_FALSE(decode_notification("\xff\xff garbage").ok());
  EXPECT_FALSE(decode_notification("").ok());  // an empty PeerMessage carries nothing
}

}  // namespace
}  // namespace conclave::zab
