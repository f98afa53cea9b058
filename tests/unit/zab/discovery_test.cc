// One test per discovery rule (D1..D7 in zab/discovery.h, from the protocol notes B.4:
// Learner.registerWithLeader, Leader.getEpochToPropose, Leader.waitForEpochAck), plus the
// persistence contract: nothing that promises acceptedEpoch leaves before it is durable.
#include "zab/discovery.h"

#include <gtest/gtest.h>

namespace conclave::zab {
namespace {

QuorumVerifier majority(std::vector<ServerId> voters, std::vector<ServerId> observers = {}) {
  return std::move(QuorumVerifier::majority(voters, observers)).value();
}

constexpr DiscoveryOptions kOptions{.init_limit_ticks = 10, .followerinfo_resend_ticks = 2};

QuorumPacket follower_info(ServerId from, uint32_t accepted_epoch) {
  return {.type = PacketType::kFollowerInfo, .zxid = make_zxid(accepted_epoch, 0), .sender = from};
}
QuorumPacket leader_info(ServerId from, uint32_t epoch) {
  return {.type = PacketType::kLeaderInfo, .zxid = make_zxid(epoch, 0), .sender = from};
}
QuorumPacket ack_epoch(ServerId from, Zxid last, int64_t current_epoch, int64_t epoch) {
  return {.type = PacketType::kAckEpoch,
          .zxid = last,
          .current_epoch = current_epoch,
          .epoch = epoch,
          .sender = from};
}

TEST(DiscoveryTest, D1LearnerSendsFollowerInfoWithAcceptedEpochAndResends) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 4, .current_epoch = 3, .last_zxid = make_zxid(3, 7)});
  DiscoveryReady r = d.take_ready();
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].to, 1);
  EXPECT_EQ(r.packets[0].packet, follower_info(2, 4));
  d.tick();
  EXPECT_FALSE(d.has_ready());
  d.tick();  // followerinfo_resend_ticks: the leader may not have been listening yet
  EXPECT_EQ(d.take_ready().packets.size(), 1u);
}

TEST(DiscoveryTest, D1LearnerSendsFollowerInfoAgainWhenTheLeaderLinkComesUp) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 4, .current_epoch = 3, .last_zxid = make_zxid(3, 7)});
  d.take_ready();
  d.leader_link_up();  // the first was sent before the link existed: it went nowhere
  DiscoveryReady r = d.take_ready();
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].packet, follower_info(2, 4));
  d.step(1, leader_info(1, 4));  // acknowledged: a later link-up sends nothing more
  d.take_ready();
  d.leader_link_up();
  EXPECT_TRUE(d.take_ready().packets.empty());
}

TEST(DiscoveryTest, D1ObserverSendsObserverInfo) {
  Discovery d(9, majority({1, 2, 3}, {9}), kOptions);
  d.start_following(1, {.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  EXPECT_EQ(d.take_ready().packets.at(0).packet.type, PacketType::kObserverInfo);
}

TEST(DiscoveryTest, D2LeaderPicksMaxAcceptedEpochPlusOneOnceAQuorumIsHeard) {
  Discovery d(1, majority({1, 2, 3, 4, 5}), kOptions);
  d.start_leading({.accepted_epoch = 3, .current_epoch = 3, .last_zxid = make_zxid(3, 5)});
  EXPECT_FALSE(d.take_ready().persist_accepted_epoch);
  d.step(2, follower_info(2, 7));
  EXPECT_FALSE(d.take_ready().persist_accepted_epoch);  // {1, 2} is not a quorum of 5
  d.step(3, follower_info(3, 2));
  DiscoveryReady r = d.take_ready();
  ASSERT_TRUE(r.persist_accepted_epoch);
  EXPECT_EQ(*r.persist_accepted_epoch, 8);
  EXPECT_TRUE(r.packets.empty());  // D3: nothing before the write is durable
}

TEST(DiscoveryTest, D2ObserverEpochRaisesTheMaxButDoesNotMakeAQuorum) {
  Discovery d(1, majority({1, 2, 3}, {9}), kOptions);
  d.start_leading({.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  d.step(9, {PacketType::kObserverInfo, make_zxid(6, 0), 0, 0, 9});
  EXPECT_FALSE(d.take_ready().persist_accepted_epoch);
  d.step(2, follower_info(2, 1));
  EXPECT_EQ(d.take_ready().persist_accepted_epoch, 7);
}

TEST(DiscoveryTest, D3LeaderInfoOnlyAfterTheEpochIsDurableAndToLateLearners) {
  Discovery d(1, majority({1, 2, 3}), kOptions);
  d.start_leading({.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  d.step(2, follower_info(2, 1));
  EXPECT_EQ(d.take_ready().persist_accepted_epoch, 2);
  d.step(2, follower_info(2, 1));  // a resend while the write is in flight
  EXPECT_TRUE(d.take_ready().packets.empty());
  d.accepted_epoch_durable(2);
  DiscoveryReady r = d.take_ready();
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].to, 2);
  EXPECT_EQ(r.packets[0].packet, leader_info(1, 2));
  d.step(3, follower_info(3, 1));  // heard after the epoch was chosen
  r = d.take_ready();
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].to, 3);
  EXPECT_FALSE(r.persist_accepted_epoch);
}

TEST(DiscoveryTest, D4NewerEpochIsPersistedBeforeAckEpoch) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 4, .current_epoch = 3, .last_zxid = make_zxid(3, 7)});
  d.take_ready();
  d.step(1, leader_info(1, 5));
  DiscoveryReady r = d.take_ready();
  EXPECT_EQ(r.persist_accepted_epoch, 5);
  EXPECT_TRUE(r.packets.empty());
  EXPECT_FALSE(r.outcome);
  d.accepted_epoch_durable(4);  // not the write we asked for
  EXPECT_FALSE(d.has_ready());
  d.accepted_epoch_durable(5);
  r = d.take_ready();
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].packet, ack_epoch(2, make_zxid(3, 7), 3, 5));
  ASSERT_TRUE(r.outcome);
  EXPECT_EQ(r.outcome->kind, DiscoveryOutcome::Kind::kAcknowledged);
  EXPECT_EQ(r.outcome->epoch, 5);
}

TEST(DiscoveryTest, D4EqualEpochAcksWithMinusOneAtOnce) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 5, .current_epoch = 3, .last_zxid = make_zxid(3, 7)});
  d.take_ready();
  d.step(1, leader_info(1, 5));
  DiscoveryReady r = d.take_ready();
  EXPECT_FALSE(r.persist_accepted_epoch);
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].packet, ack_epoch(2, make_zxid(3, 7), kNotAnAck, 5));
}

TEST(DiscoveryTest, D4OlderEpochSendsTheLearnerBackToElection) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 6, .current_epoch = 3, .last_zxid = 0});
  d.take_ready();
  d.step(1, leader_info(1, 5));
  DiscoveryReady r = d.take_ready();
  EXPECT_TRUE(r.packets.empty());
  ASSERT_TRUE(r.outcome);
  EXPECT_EQ(r.outcome->kind, DiscoveryOutcome::Kind::kBackToElection);
}

TEST(DiscoveryTest, D4LeaderInfoFromAnotherMemberIsIgnored) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  d.take_ready();
  d.step(3, leader_info(3, 5));
  EXPECT_FALSE(d.has_ready());
}

// Drives a 3-member leader (id 1) to the point where LEADERINFO(epoch 2) went to 2 and 3.
Discovery leader_with_epoch_sent(DurableState mine) {
  Discovery d(1, majority({1, 2, 3}), kOptions);
  d.start_leading(mine);
  d.step(2, follower_info(2, 1));
  d.step(3, follower_info(3, 1));
  d.accepted_epoch_durable(*d.take_ready().persist_accepted_epoch);
  d.take_ready();
  return d;
}

TEST(DiscoveryTest, D5LeaderAbdicatesForAMoreRecentLearner) {
  Discovery d = leader_with_epoch_sent(
      {.accepted_epoch = 1, .current_epoch = 1, .last_zxid = make_zxid(1, 4)});
  d.step(2, ack_epoch(2, make_zxid(1, 5), 1, d.epoch()));  // same epoch, longer log
  DiscoveryReady r = d.take_ready();
  ASSERT_TRUE(r.outcome);
  EXPECT_EQ(r.outcome->kind, DiscoveryOutcome::Kind::kBackToElection);
}

TEST(DiscoveryTest, D5HigherCurrentEpochWinsOverALongerLog) {
  Discovery d = leader_with_epoch_sent(
      {.accepted_epoch = 1, .current_epoch = 0, .last_zxid = make_zxid(0, 9)});
  d.step(2, ack_epoch(2, make_zxid(1, 1), 1, d.epoch()));
  EXPECT_EQ(d.take_ready().outcome->kind, DiscoveryOutcome::Kind::kBackToElection);
}

TEST(DiscoveryTest, D6EstablishedWhenAQuorumAckedItsEpoch) {
  Discovery d = leader_with_epoch_sent(
      {.accepted_epoch = 1, .current_epoch = 1, .last_zxid = make_zxid(1, 4)});
  d.step(2, ack_epoch(2, make_zxid(1, 4), 1, d.epoch() + 1));  // names another epoch: stale
  EXPECT_FALSE(d.take_ready().outcome);
  d.step(3, ack_epoch(3, make_zxid(1, 2), kNotAnAck, d.epoch()));  // -1 is not an ack
  DiscoveryReady r = d.take_ready();
  EXPECT_FALSE(r.outcome);
  EXPECT_EQ(r.learners_acked.size(), 1u);  // but 3 goes on to sync
  d.step(2, ack_epoch(2, make_zxid(1, 3), 1, d.epoch()));
  r = d.take_ready();
  ASSERT_TRUE(r.outcome);
  EXPECT_EQ(r.outcome->kind, DiscoveryOutcome::Kind::kEstablished);
  EXPECT_EQ(r.outcome->epoch, 2);
}

TEST(DiscoveryTest, D7LeaderNotEstablishedWithinInitLimitGoesBackToElection) {
  Discovery d(1, majority({1, 2, 3}), kOptions);
  d.start_leading({.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  for (uint64_t t = 1; t < kOptions.init_limit_ticks; ++t) {
    d.tick();
    EXPECT_FALSE(d.take_ready().outcome);
  }
  d.tick();
  EXPECT_EQ(d.take_ready().outcome->kind, DiscoveryOutcome::Kind::kBackToElection);
}

TEST(DiscoveryTest, D7LearnerWithoutLeaderInfoWithinInitLimitGoesBackToElection) {
  Discovery d(2, majority({1, 2, 3}), kOptions);
  d.start_following(1, {.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  std::optional<DiscoveryOutcome> outcome;
  for (uint64_t t = 0; t < kOptions.init_limit_ticks && !outcome; ++t) {
    d.tick();
    outcome = d.take_ready().outcome;
  }
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->kind, DiscoveryOutcome::Kind::kBackToElection);
}

TEST(DiscoveryTest, D8LeaderLeavesForALearnerThatAcceptedAHigherEpoch) {
  Discovery d = leader_with_epoch_sent({.accepted_epoch = 1, .current_epoch = 1, .last_zxid = 0});
  d.step(2, ack_epoch(2, 0, 1, d.epoch()));
  ASSERT_EQ(d.take_ready().outcome->kind, DiscoveryOutcome::Kind::kEstablished);
  d.step(3, follower_info(3, static_cast<uint32_t>(d.epoch())));  // equal: joins with -1
  EXPECT_FALSE(d.take_ready().outcome);
  d.step(3, follower_info(3, static_cast<uint32_t>(d.epoch() + 1)));  // would reject us forever
  EXPECT_EQ(d.take_ready().outcome->kind, DiscoveryOutcome::Kind::kBackToElection);
}

TEST(DiscoveryTest, EncodingRoundTrips) {
  QuorumPacket p = ack_epoch(2, make_zxid(3, 7), kNotAnAck, 5);
  Result<PeerMessage> m = decode_peer_message(encode_quorum_packet(p));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<QuorumPacket>(*m), p);
  Notification n{PeerState::kLooking, Vote{1, 2, 3}, 4, 1};
  Result<PeerMessage> m2 = decode_peer_message(encode_notification(n));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(std::get<Notification>(*m2), n);
}

}  // namespace
}  // namespace conclave::zab
