// zab::Peer role transitions: election -> discovery -> established / acknowledged, and back to
// election when discovery fails; plus the persistence contract as the Peer restates it.
#include "zab/peer.h"

#include <gtest/gtest.h>

namespace conclave::zab {
namespace {

QuorumVerifier three() {
  return std::move(QuorumVerifier::majority({1, 2, 3}, {})).value();
}

PeerOptions options() {
  PeerOptions o;
  o.election.finalize_wait_ticks = 2;
  o.discovery = DiscoveryOptions{.init_limit_ticks = 10, .followerinfo_resend_ticks = 2};
  return o;
}

constexpr DurableState kDurable{.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0};

PeerReady take(Peer& p) {
  PeerReady r = p.ready();
  p.advance();
  return r;
}

Notification looking_vote(ServerId from, ServerId leader, int64_t round) {
  return {PeerState::kLooking, Vote{leader, 0, 1}, round, from};
}

std::vector<QuorumPacket> packets(const PeerReady& r) {
  std::vector<QuorumPacket> out;
  for (const PeerOutgoing& o : r.messages) {
    if (const QuorumPacket* p = std::get_if<QuorumPacket>(&o.message)) out.push_back(*p);
  }
  return out;
}

// Ticks until the election decides (finalize wait) and returns the batch that says so.
PeerReady tick_until_decided(Peer& p) {
  PeerReady all;
  for (int i = 0; i < 10 && p.phase() == PeerPhase::kElection; ++i) {
    p.tick();
    PeerReady r = take(p);
    for (auto& m : r.messages)
      all.messages.push_back(m);
    for (auto& c : r.changes)
      all.changes.push_back(c);
  }
  return all;
}

// Member 3 wins round `round` with member 2's vote.
void elect_three(Peer& p, int64_t round) {
  p.step(2, looking_vote(2, 3, round));
  take(p);
}

TEST(PeerTest, StartsInElectionAndVotesForItself) {
  SplitMix64Rng rng(1);
  Peer p(3, three(), options(), rng, kDurable);
  p.start();
  PeerReady r = take(p);
  EXPECT_EQ(p.phase(), PeerPhase::kElection);
  EXPECT_EQ(p.role(), PeerState::kLooking);
  ASSERT_EQ(r.messages.size(), 2u);
  for (const PeerOutgoing& o : r.messages) {
    EXPECT_EQ(std::get<Notification>(o.message).vote.leader, 3);
  }
  EXPECT_TRUE(r.changes.empty());
}

TEST(PeerTest, ElectedLeaderRunsDiscoveryAsLeaderThenIsEstablished) {
  SplitMix64Rng rng(1);
  Peer p(3, three(), options(), rng, kDurable);
  p.start();
  take(p);
  elect_three(p, 1);
  PeerReady r = tick_until_decided(p);
  ASSERT_EQ(p.phase(), PeerPhase::kDiscovery);
  EXPECT_EQ(p.role(), PeerState::kLeading);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].phase, PeerPhase::kDiscovery);
  ASSERT_TRUE(r.changes[0].elected);
  EXPECT_EQ(r.changes[0].elected->vote.leader, 3);

  // D2: a quorum heard picks epoch 2; nothing promising it leaves before it is durable.
  p.step(2, QuorumPacket{PacketType::kFollowerInfo, make_zxid(1, 0), 0, 0, 2});
  r = take(p);
  ASSERT_TRUE(r.persist_accepted_epoch);
  EXPECT_EQ(*r.persist_accepted_epoch, 2);
  EXPECT_TRUE(packets(r).empty());
  p.accepted_epoch_durable(2);
  r = take(p);
  ASSERT_EQ(packets(r).size(), 1u);
  EXPECT_EQ(packets(r)[0].type, PacketType::kLeaderInfo);

  p.step(
      2,
      QuorumPacket{
          .type = PacketType::kAckEpoch, .zxid = 0, .current_epoch = 1, .epoch = 2, .sender = 2});
  r = take(p);
  EXPECT_EQ(p.phase(), PeerPhase::kSync);
  EXPECT_EQ(p.role(), PeerState::kLeading);
  EXPECT_EQ(p.epoch(), 2);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].phase, PeerPhase::kSync);
  EXPECT_EQ(r.changes[0].outcome->kind, DiscoveryOutcome::Kind::kEstablished);
  ASSERT_EQ(r.learners_acked.size(), 1u);
  EXPECT_EQ(r.learners_acked[0].id, 2);
}

TEST(PeerTest, FollowerAcknowledgesOnlyOnceTheEpochIsDurable) {
  SplitMix64Rng rng(1);
  Peer p(1, three(), options(), rng, kDurable);
  p.start();
  take(p);
  p.step(2, looking_vote(2, 3, 1));  // 3 beats 1: member 1 changes its vote
  p.step(3, looking_vote(3, 3, 1));
  take(p);
  PeerReady r = tick_until_decided(p);
  ASSERT_EQ(p.phase(), PeerPhase::kDiscovery);
  EXPECT_EQ(p.role(), PeerState::kFollowing);
  EXPECT_EQ(p.leader(), 3);
  ASSERT_EQ(packets(r).size(), 1u);  // D1 FOLLOWERINFO to the leader
  EXPECT_EQ(packets(r)[0].type, PacketType::kFollowerInfo);
  EXPECT_EQ(r.messages.back().to, 3);

  // A LEADERINFO from a member that is not our leader is from a connection we do not have.
  p.step(2, QuorumPacket{PacketType::kLeaderInfo, make_zxid(5, 0), 0, 0, 2});
  EXPECT_FALSE(p.has_ready());

  p.step(3, QuorumPacket{PacketType::kLeaderInfo, make_zxid(2, 0), 0, 0, 3});
  r = take(p);
  ASSERT_TRUE(r.persist_accepted_epoch);
  EXPECT_TRUE(packets(r).empty());  // ACKEPOCH(2) waits for the write
  p.accepted_epoch_durable(2);
  r = take(p);
  ASSERT_EQ(packets(r).size(), 1u);
  EXPECT_EQ(packets(r)[0].type, PacketType::kAckEpoch);
  EXPECT_EQ(packets(r)[0].epoch, 2);
  EXPECT_EQ(p.phase(), PeerPhase::kSync);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].outcome->kind, DiscoveryOutcome::Kind::kAcknowledged);
  EXPECT_EQ(p.durable().accepted_epoch, 2);
}

TEST(PeerTest, DiscoveryFailureGoesBackToElectionWithANewRound) {
  SplitMix64Rng rng(1);
  Peer p(3, three(), options(), rng, kDurable);
  p.start();
  take(p);
  elect_three(p, 1);
  tick_until_decided(p);
  ASSERT_EQ(p.phase(), PeerPhase::kDiscovery);
  PeerReady r;
  for (int i = 0; i < 10 && p.phase() == PeerPhase::kDiscovery; ++i) {
    p.tick();
    r = take(p);
  }
  EXPECT_EQ(p.phase(), PeerPhase::kElection);
  EXPECT_EQ(p.role(), PeerState::kLooking);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].phase, PeerPhase::kElection);
  ASSERT_TRUE(r.changes[0].outcome);
  EXPECT_EQ(r.changes[0].outcome->rule, DiscoveryOutcome::Rule::kD7InitLimit);
  EXPECT_EQ(p.election().logical_clock(), 2);  // a new round, announced at once
  EXPECT_EQ(r.messages.size(), 2u);
  EXPECT_TRUE(packets(r).empty());
  // Quorum packets are dropped while looking: no quorum connection is open.
  p.step(2, QuorumPacket{PacketType::kFollowerInfo, make_zxid(1, 0), 0, 0, 2});
  EXPECT_FALSE(p.has_ready());
}

TEST(PeerTest, DiscoveryWaitsForAnEarlierAcceptedEpochWrite) {
  SplitMix64Rng rng(1);
  Peer p(1, three(), options(), rng, kDurable);
  p.start();
  take(p);
  p.step(2, looking_vote(2, 3, 1));
  p.step(3, looking_vote(3, 3, 1));
  take(p);
  tick_until_decided(p);
  p.step(3, QuorumPacket{PacketType::kLeaderInfo, make_zxid(2, 0), 0, 0, 3});
  ASSERT_TRUE(take(p).persist_accepted_epoch);
  p.return_to_election();  // e.g. the leader went silent; the write is still in flight
  take(p);
  p.step(2, looking_vote(2, 3, 2));
  p.step(3, looking_vote(3, 3, 2));
  take(p);
  PeerReady r = tick_until_decided(p);
  ASSERT_EQ(p.phase(), PeerPhase::kDiscovery);
  EXPECT_TRUE(packets(r).empty());  // FOLLOWERINFO would report an acceptedEpoch in doubt
  p.accepted_epoch_durable(2);
  r = take(p);
  ASSERT_EQ(packets(r).size(), 1u);
  EXPECT_EQ(packets(r)[0].type, PacketType::kFollowerInfo);
  EXPECT_EQ(zxid_epoch(packets(r)[0].zxid), 2);
}

TEST(PeerTest, StepFromBytesRejectsGarbage) {
  SplitMix64Rng rng(1);
  Peer p(1, three(), options(), rng, kDurable);
  p.start();
  take(p);
  EXPECT_FALSE(p.step(2, std::string_view("\xff\xff garbage")).ok());
  EXPECT_TRUE(p.step(2, encode_notification(looking_vote(2, 3, 1))).ok());
  EXPECT_TRUE(p.has_ready());
}

}  // namespace
}  // namespace conclave::zab
