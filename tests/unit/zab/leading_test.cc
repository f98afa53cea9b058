// zab::Leading: the rules S1-S3 and B1-B4 of zab/leading.h, one test (or more) each.
#include "zab/leading.h"

#include <gtest/gtest.h>

namespace conclave::zab {
namespace {

QuorumVerifier voters(std::vector<ServerId> ids, std::vector<ServerId> observers = {}) {
  return std::move(QuorumVerifier::majority(ids, observers)).value();
}

constexpr BroadcastOptions kOptions{.init_limit_ticks = 10,
                                    .sync_limit_ticks = 3,
                                    .last_counter = kZxidCounterMax - 1,
                                    .history_entries_max = 100};
constexpr int64_t kEpoch = 2;
constexpr Zxid kNewLeader = make_zxid(kEpoch, 0);

// A leader with entries 1:1..1:n, all durable and applied.
Replica replica_with(uint32_t n, Zxid base = 0) {
  Replica r;
  std::vector<Entry> entries;
  for (uint32_t c = zxid_counter(base) + 1; c <= n; ++c)
    entries.push_back({make_zxid(1, c), "e" + std::to_string(c)});
  r.history = History(base, std::move(entries));
  r.applied = r.logged = r.durable = r.history.last();
  return r;
}

LearnerAcked learner(ServerId id, Zxid last, Zxid base = 0, bool observer = false) {
  return {.id = id, .last_zxid = last, .current_epoch = 1, .base_zxid = base, .observer = observer};
}

std::vector<QuorumPacket> to(const BroadcastReady& r, ServerId id) {
  std::vector<QuorumPacket> out;
  for (const PacketOut& o : r.packets) {
    if (o.to == id) out.push_back(o.packet);
  }
  return out;
}

QuorumPacket from(ServerId id, PacketType type, Zxid zxid) {
  return {.type = type, .zxid = zxid, .sender = id};
}

// Drives `l` to serving with learners 2 (and 3) synced by DIFF from our last zxid.
void serve(Leading& l, Replica& r, std::vector<ServerId> learners) {
  for (ServerId id : learners)
    l.add_learner(learner(id, r.history.last()));
  l.current_epoch_durable(kEpoch);
  for (ServerId id : learners)
    l.step(id, from(id, PacketType::kAck, kNewLeader));
  ASSERT_TRUE(l.serving());
  l.take_ready();
}

TEST(LeadingTest, S1DiffFromALearnerPositionInOurHistory) {
  Replica r = replica_with(3);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  l.add_learner(learner(2, make_zxid(1, 1)));
  auto p = to(l.take_ready(), 2);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].type, PacketType::kDiff);
  EXPECT_EQ(p[0].zxid, make_zxid(1, 1));
  EXPECT_EQ(p[0].commit_zxid, make_zxid(1, 3));  // our history is what NEWLEADER commits
  EXPECT_EQ(p[1].type, PacketType::kProposal);
  EXPECT_EQ(p[1].zxid, make_zxid(1, 2));
  EXPECT_EQ(p[1].data, "e2");
  EXPECT_EQ(p[2].zxid, make_zxid(1, 3));
  EXPECT_EQ(p[3].type, PacketType::kNewLeader);
  EXPECT_EQ(p[3].zxid, kNewLeader);
}

TEST(LeadingTest, S1TruncALearnerAheadOfUsInTheSameEpoch) {
  Replica r = replica_with(3);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  l.add_learner(learner(2, make_zxid(1, 5)));
  auto p = to(l.take_ready(), 2);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].type, PacketType::kTrunc);
  EXPECT_EQ(p[0].zxid, make_zxid(1, 3));
  EXPECT_EQ(p[1].type, PacketType::kNewLeader);
}

TEST(LeadingTest, S1SnapWhenTruncWouldCrossAnEpochOrTheLearnersSnapshot) {
  Replica r = replica_with(3);
  Leading l(1, voters({1, 2, 3, 4, 5}), kOptions, kEpoch, r);
  l.add_learner(learner(2, make_zxid(3, 7)));                   // an epoch we never had
  l.add_learner(learner(3, make_zxid(1, 5), make_zxid(1, 4)));  // TRUNC to 1:3 < its base
  BroadcastReady ready = l.take_ready();
  EXPECT_EQ(ready.snapshot_requests, (std::vector<ServerId>{2, 3}));
  EXPECT_TRUE(ready.packets.empty());
  // The snapshot is of the applied state; the entries after it follow, then NEWLEADER.
  r.applied = make_zxid(1, 2);
  l.snapshot_taken(2, make_zxid(1, 2), "tree");
  auto p = to(l.take_ready(), 2);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].type, PacketType::kSnap);
  EXPECT_EQ(p[0].zxid, make_zxid(1, 2));
  EXPECT_EQ(p[0].data, "tree");
  EXPECT_EQ(p[1].zxid, make_zxid(1, 3));
  EXPECT_EQ(p[2].type, PacketType::kNewLeader);
}

TEST(LeadingTest, S3ASnapshotAheadOfTheCommitPointDelaysUpToDate) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  serve(l, r, {2});
  ASSERT_TRUE(l.propose("a").ok());  // the caller applied it at once: its state is at 2:1
  l.add_learner(learner(3, make_zxid(5, 5)));
  ASSERT_EQ(l.take_ready().snapshot_requests, (std::vector<ServerId>{3}));
  l.snapshot_taken(3, make_zxid(kEpoch, 1), "tree with a");
  auto p = to(l.take_ready(), 3);
  ASSERT_EQ(p.size(), 2u);  // SNAP at 2:1, NEWLEADER
  l.step(3, from(3, PacketType::kAck, kNewLeader));
  EXPECT_TRUE(to(l.take_ready(), 3).empty());  // 2:1 is not committed: no UPTODATE yet
  l.step(2, from(2, PacketType::kAck, make_zxid(kEpoch, 1)));
  r.durable = make_zxid(kEpoch, 1);
  l.on_log_durable();
  p = to(l.take_ready(), 3);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].type, PacketType::kCommit);
  EXPECT_EQ(p[1].type, PacketType::kUpToDate);
}

TEST(LeadingTest, S1SnapWhenTheLearnerIsBelowOurWindow) {
  Replica r = replica_with(6, make_zxid(1, 4));  // entries 1:5, 1:6 kept
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  l.add_learner(learner(2, make_zxid(1, 4)));  // the base itself: DIFF works
  l.add_learner(learner(3, make_zxid(1, 3)));
  BroadcastReady ready = l.take_ready();
  EXPECT_EQ(to(ready, 2).front().type, PacketType::kDiff);
  EXPECT_EQ(ready.snapshot_requests, (std::vector<ServerId>{3}));
}

TEST(LeadingTest, S2ObserversGetOnlyTheCommittedPartAndThenInform) {
  Replica r = replica_with(2);
  Leading l(1, voters({1, 2, 3}, {4}), kOptions, kEpoch, r);
  serve(l, r, {2});
  ASSERT_TRUE(l.propose("p1").ok());
  l.take_ready();
  l.add_learner(learner(4, make_zxid(1, 2), 0, /*observer=*/true));
  l.add_learner(learner(3, make_zxid(1, 2)));
  BroadcastReady ready = l.take_ready();
  auto obs = to(ready, 4);
  ASSERT_EQ(obs.size(), 2u);  // DIFF, NEWLEADER: the pending 2:1 is not committed yet
  EXPECT_EQ(obs[0].commit_zxid, make_zxid(1, 2));
  auto fol = to(ready, 3);
  ASSERT_EQ(fol.size(), 3u);  // DIFF, PROPOSAL 2:1, NEWLEADER
  EXPECT_EQ(fol[1].zxid, make_zxid(kEpoch, 1));
  // 2:1 commits (2 acked, we are durable once the log says so): INFORM to the observer.
  l.step(2, from(2, PacketType::kAck, make_zxid(kEpoch, 1)));
  r.durable = make_zxid(kEpoch, 1);
  l.on_log_durable();
  ready = l.take_ready();
  ASSERT_EQ(to(ready, 4).size(), 1u);
  EXPECT_EQ(to(ready, 4)[0].type, PacketType::kInform);
  EXPECT_EQ(to(ready, 4)[0].data, "p1");
  EXPECT_EQ(to(ready, 3)[0].type, PacketType::kCommit);
}

TEST(LeadingTest, S3ServesOnceAQuorumAckedNewLeaderAndOurCurrentEpochIsDurable) {
  Replica r = replica_with(2);
  r.applied = make_zxid(1, 1);  // 1:2 logged but not known committed before this epoch
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  BroadcastReady first = l.take_ready();
  ASSERT_EQ(first.storage.size(), 1u);
  EXPECT_EQ(first.storage[0].kind, StorageOp::Kind::kSetCurrentEpoch);
  EXPECT_EQ(first.storage[0].epoch, kEpoch);
  l.add_learner(learner(2, make_zxid(1, 2)));
  l.step(2, from(2, PacketType::kAck, kNewLeader));
  EXPECT_FALSE(l.serving());  // our own currentEpoch is not durable yet
  l.take_ready();
  l.current_epoch_durable(kEpoch);
  ASSERT_TRUE(l.serving());
  BroadcastReady ready = l.take_ready();
  EXPECT_TRUE(ready.serving);
  ASSERT_EQ(ready.committed.size(), 1u);  // our history is committed now
  EXPECT_EQ(ready.committed[0].zxid, make_zxid(1, 2));
  EXPECT_EQ(to(ready, 2)[0].type, PacketType::kUpToDate);
  // A learner acknowledging later gets UPTODATE at once.
  l.add_learner(learner(3, make_zxid(1, 2)));
  l.take_ready();
  l.step(3, from(3, PacketType::kAck, kNewLeader));
  EXPECT_EQ(to(l.take_ready(), 3)[0].type, PacketType::kUpToDate);
}

TEST(LeadingTest, S3CurrentEpochWaitsForOurHistoryToBeDurable) {
  Replica r = replica_with(3);
  r.durable = make_zxid(1, 1);  // 1:2 and 1:3 appended in an earlier role, fsync in flight
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  EXPECT_TRUE(l.take_ready().storage.empty());
  r.durable = make_zxid(1, 3);
  l.on_log_durable();
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.storage.size(), 1u);
  EXPECT_EQ(ready.storage[0].kind, StorageOp::Kind::kSetCurrentEpoch);
}

TEST(LeadingTest, B1ProposeOnlyWhileServingAndNotPastTheLastCounter) {
  Replica r = replica_with(0);
  BroadcastOptions o = kOptions;
  o.last_counter = 2;
  Leading l(1, voters({1, 2, 3}), o, kEpoch, r);
  EXPECT_FALSE(l.propose("too early").ok());
  serve(l, r, {2});
  EXPECT_EQ(*l.propose("a"), make_zxid(kEpoch, 1));
  EXPECT_EQ(*l.propose("b"), make_zxid(kEpoch, 2));
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.storage.size(), 2u);
  EXPECT_EQ(ready.storage[0].kind, StorageOp::Kind::kAppend);
  EXPECT_EQ(to(ready, 2).size(), 2u);  // the PROPOSALs go out with our own fsync in flight
  EXPECT_FALSE(l.propose("c").ok());
  EXPECT_TRUE(l.ended());
  EXPECT_TRUE(l.take_ready().end.has_value());
}

TEST(LeadingTest, B2CommitNeedsAQuorumCountingOurOwnFsyncAndGoesInOrder) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3, 4, 5}), kOptions, kEpoch, r);
  serve(l, r, {2, 3});
  ASSERT_TRUE(l.propose("a").ok());
  ASSERT_TRUE(l.propose("b").ok());
  l.take_ready();
  // 2 and 3 acknowledge both (cumulatively); we have not fsynced: 2 of 5, no quorum.
  l.step(2, from(2, PacketType::kAck, make_zxid(kEpoch, 2)));
  l.step(3, from(3, PacketType::kAck, make_zxid(kEpoch, 2)));
  EXPECT_TRUE(l.take_ready().committed.empty());
  // Our fsync covers the first only: it commits alone.
  r.durable = make_zxid(kEpoch, 1);
  l.on_log_durable();
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.committed.size(), 1u);
  EXPECT_EQ(ready.committed[0].data, "a");
  EXPECT_EQ(to(ready, 2)[0].type, PacketType::kCommit);
  r.durable = make_zxid(kEpoch, 2);
  l.on_log_durable();
  ready = l.take_ready();
  ASSERT_EQ(ready.committed.size(), 1u);
  EXPECT_EQ(ready.committed[0].data, "b");
  EXPECT_EQ(l.committed(), make_zxid(kEpoch, 2));
}

TEST(LeadingTest, B2AcksCountOnlyFromLearnersPastNewLeader) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  serve(l, r, {2});
  ASSERT_TRUE(l.propose("a").ok());
  l.add_learner(learner(3, 0));  // synced, NEWLEADER not acknowledged yet
  l.take_ready();
  l.step(3, from(3, PacketType::kAck, make_zxid(kEpoch, 1)));
  EXPECT_TRUE(l.take_ready().committed.empty());
  l.step(2, from(2, PacketType::kAck, make_zxid(kEpoch, 1)));
  EXPECT_TRUE(l.take_ready().committed.empty());  // ours: not durable yet
  r.durable = make_zxid(kEpoch, 1);
  l.on_log_durable();
  EXPECT_EQ(l.take_ready().committed.size(), 1u);
}

TEST(LeadingTest, B3PingsEveryTickAndStepsDownWithoutAQuorumWithinSyncLimit) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  serve(l, r, {2});
  for (uint64_t t = 0; t < kOptions.sync_limit_ticks; ++t) {
    l.tick();
    auto p = to(l.take_ready(), 2);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].type, PacketType::kPing);
  }
  EXPECT_FALSE(l.ended());
  l.step(2, from(2, PacketType::kPing, 0));  // heard: the clock restarts
  for (uint64_t t = 0; t < kOptions.sync_limit_ticks; ++t)
    l.tick();
  EXPECT_FALSE(l.ended());
  l.tick();
  EXPECT_TRUE(l.ended());
}

TEST(LeadingTest, B3NotServingWithinInitLimitEnds) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  for (uint64_t t = 0; t <= kOptions.init_limit_ticks; ++t)
    l.tick();
  EXPECT_TRUE(l.ended());
  EXPECT_NE(l.take_ready().end->reason.find("initLimit"), std::string::npos);
}

TEST(LeadingTest, B4SyncIsAnsweredOnceEverythingProposedBeforeItCommits) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  serve(l, r, {2});
  ASSERT_TRUE(l.propose("a").ok());
  l.take_ready();
  l.step(2, from(2, PacketType::kSync, 0));
  EXPECT_TRUE(to(l.take_ready(), 2).empty());
  l.step(2, from(2, PacketType::kAck, make_zxid(kEpoch, 1)));
  r.durable = make_zxid(kEpoch, 1);
  l.on_log_durable();
  auto p = to(l.take_ready(), 2);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].type, PacketType::kCommit);
  EXPECT_EQ(p[1].type, PacketType::kSync);  // after the COMMIT, on the same connection
}

TEST(LeadingTest, ForwardedRequestsAndPingPayloadsReachTheCaller) {
  Replica r = replica_with(0);
  Leading l(1, voters({1, 2, 3}), kOptions, kEpoch, r);
  serve(l, r, {2});
  QuorumPacket req = from(2, PacketType::kRequest, 0);
  req.data = "create /a";
  l.step(2, req);
  QuorumPacket ping = from(2, PacketType::kPing, 0);
  ping.data = "touch";
  l.step(2, ping);
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.requests.size(), 1u);
  EXPECT_EQ(ready.requests[0], (std::pair<ServerId, std::string>{2, "create /a"}));
  ASSERT_EQ(ready.pings.size(), 1u);
  EXPECT_EQ(ready.pings[0].second, "touch");
}

}  // namespace
}  // namespace conclave::zab
