// zab::Learning: the rules L1-L6 and the persistence contract of zab/learning.h.
#include "zab/learning.h"

#include <gtest/gtest.h>

namespace conclave::zab {
namespace {

constexpr BroadcastOptions kOptions{.init_limit_ticks = 10,
                                    .sync_limit_ticks = 3,
                                    .last_counter = kZxidCounterMax - 1,
                                    .history_entries_max = 100};
constexpr int64_t kEpoch = 2;
constexpr ServerId kLeader = 1;
constexpr Zxid kNewLeader = make_zxid(kEpoch, 0);

Replica replica_with(uint32_t n) {
  Replica r;
  std::vector<Entry> entries;
  for (uint32_t c = 1; c <= n; ++c)
    entries.push_back({make_zxid(1, c), "e" + std::to_string(c)});
  r.history = History(0, std::move(entries));
  r.applied = r.logged = r.durable = r.history.last();
  return r;
}

QuorumPacket packet(PacketType type, Zxid zxid, std::string data = {}, Zxid commit = 0) {
  QuorumPacket p{.type = type, .zxid = zxid, .sender = kLeader};
  p.data = std::move(data);
  p.commit_zxid = commit;
  return p;
}

std::vector<QuorumPacket> sent(const BroadcastReady& r) {
  std::vector<QuorumPacket> out;
  for (const PacketOut& o : r.packets) {
    EXPECT_EQ(o.to, kLeader);
    out.push_back(o.packet);
  }
  return out;
}

// Syncs `l` by DIFF from 1:2 with entries 1:3 (committed) and 2:1 (pending), through
// NEWLEADER; the appends are not durable yet.
void sync_to_newleader(Learning& l) {
  l.step(packet(PacketType::kDiff, make_zxid(1, 2), {}, make_zxid(1, 3)));
  l.step(packet(PacketType::kProposal, make_zxid(1, 3), "e3"));
  l.step(packet(PacketType::kProposal, make_zxid(kEpoch, 1), "p1"));
  l.step(packet(PacketType::kNewLeader, kNewLeader));
}

// Completes sync_to_newleader's writes and the UPTODATE.
void finish_sync(Learning& l, Replica& r) {
  r.durable = r.logged;
  l.on_log_durable();
  l.current_epoch_durable(kEpoch);
  l.step(packet(PacketType::kUpToDate, kNewLeader));
  ASSERT_TRUE(l.serving());
}

TEST(LearningTest, L1AnythingButASyncHeaderFirstEndsTheRole) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.step(packet(PacketType::kPing, 0));  // pings are fine
  EXPECT_FALSE(l.ended());
  l.step(packet(PacketType::kProposal, make_zxid(1, 3), "x"));
  EXPECT_TRUE(l.ended());
}

TEST(LearningTest, L1DiffThenNewLeaderPersistsEntriesThenCurrentEpochThenAcks) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.step(packet(PacketType::kDiff, make_zxid(1, 2), {}, make_zxid(1, 3)));
  l.step(packet(PacketType::kProposal, make_zxid(1, 3), "e3"));
  EXPECT_TRUE(l.take_ready().storage.empty());  // buffered until NEWLEADER
  l.step(packet(PacketType::kNewLeader, kNewLeader));
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.storage.size(), 1u);  // the append; currentEpoch waits for its fsync
  EXPECT_EQ(ready.storage[0].kind, StorageOp::Kind::kAppend);
  EXPECT_EQ(ready.storage[0].entries.size(), 1u);
  EXPECT_TRUE(ready.packets.empty());
  r.durable = make_zxid(1, 3);
  l.on_log_durable();
  ready = l.take_ready();
  ASSERT_EQ(ready.storage.size(), 1u);
  EXPECT_EQ(ready.storage[0].kind, StorageOp::Kind::kSetCurrentEpoch);
  EXPECT_TRUE(ready.packets.empty());  // no ACK before currentEpoch is durable
  l.current_epoch_durable(kEpoch);
  auto p = sent(l.take_ready());
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].type, PacketType::kAck);
  EXPECT_EQ(p[0].zxid, kNewLeader);
}

TEST(LearningTest, L1TruncRewindsStorageAndStateMachine) {
  Replica r = replica_with(5);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.step(packet(PacketType::kTrunc, make_zxid(1, 3), {}, make_zxid(1, 3)));
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.storage.size(), 1u);
  EXPECT_EQ(ready.storage[0].kind, StorageOp::Kind::kTruncate);
  EXPECT_EQ(ready.storage[0].zxid, make_zxid(1, 3));
  EXPECT_EQ(r.history.last(), make_zxid(1, 3));
  EXPECT_EQ(r.applied, make_zxid(1, 3));
  EXPECT_EQ(r.durable, make_zxid(1, 3));
}

TEST(LearningTest, L1TruncBelowOurSnapshotEndsTheRole) {
  Replica r = replica_with(5);
  r.base = make_zxid(1, 4);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.step(packet(PacketType::kTrunc, make_zxid(1, 3)));
  EXPECT_TRUE(l.ended());
}

TEST(LearningTest, L1SnapReplacesEverything) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.step(packet(PacketType::kSnap, make_zxid(1, 9), "tree", make_zxid(1, 9)));
  BroadcastReady ready = l.take_ready();
  ASSERT_EQ(ready.storage.size(), 1u);
  EXPECT_EQ(ready.storage[0].kind, StorageOp::Kind::kInstallSnapshot);
  EXPECT_EQ(ready.storage[0].data, "tree");
  EXPECT_EQ(r.history.last(), make_zxid(1, 9));
  EXPECT_EQ(r.applied, make_zxid(1, 9));
  EXPECT_EQ(r.base, make_zxid(1, 9));
}

TEST(LearningTest, L2AGapEndsTheRole) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.step(packet(PacketType::kDiff, make_zxid(1, 2)));
  l.step(packet(PacketType::kProposal, make_zxid(1, 4), "skipped 1:3"));
  EXPECT_TRUE(l.ended());
  EXPECT_NE(l.take_ready().end->reason.find("does not follow"), std::string::npos);
}

TEST(LearningTest, L3CommittedEntriesAreAppliedOnlyAfterUpToDateAndInOrder) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  sync_to_newleader(l);
  r.durable = r.logged;
  l.on_log_durable();
  l.current_epoch_durable(kEpoch);
  l.step(packet(PacketType::kCommit, make_zxid(kEpoch, 1)));
  EXPECT_TRUE(l.take_ready().committed.empty());  // not before UPTODATE
  l.step(packet(PacketType::kUpToDate, kNewLeader));
  BroadcastReady ready = l.take_ready();
  EXPECT_TRUE(ready.serving);
  ASSERT_EQ(ready.committed.size(), 2u);
  EXPECT_EQ(ready.committed[0].data, "e3");
  EXPECT_EQ(ready.committed[1].data, "p1");
  EXPECT_EQ(r.applied, make_zxid(kEpoch, 1));
  l.step(packet(PacketType::kCommit, make_zxid(kEpoch, 5)));  // never received
  EXPECT_TRUE(l.ended());
}

TEST(LearningTest, L4AcksAreCumulativeDurableAndAfterNewLeader) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  sync_to_newleader(l);
  l.step(packet(PacketType::kProposal, make_zxid(kEpoch, 2), "p2"));
  r.durable = r.logged;  // everything durable, but currentEpoch is not written yet
  l.on_log_durable();
  for (const QuorumPacket& p : sent(l.take_ready()))
    EXPECT_NE(p.type, PacketType::kAck);
  l.current_epoch_durable(kEpoch);
  auto p = sent(l.take_ready());
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].zxid, kNewLeader);            // NEWLEADER first (ZOOKEEPER-4685)
  EXPECT_EQ(p[1].zxid, make_zxid(kEpoch, 2));  // then one ACK for both proposals
  l.step(packet(PacketType::kProposal, make_zxid(kEpoch, 3), "p3"));
  EXPECT_TRUE(sent(l.take_ready()).empty());  // not durable yet
  r.durable = make_zxid(kEpoch, 3);
  l.on_log_durable();
  p = sent(l.take_ready());
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].zxid, make_zxid(kEpoch, 3));
}

TEST(LearningTest, L4ObserversNeverAckProposalsAndApplyInform) {
  Replica r = replica_with(2);
  Learning l(4, kLeader, /*observer=*/true, kOptions, kEpoch, r);
  l.step(packet(PacketType::kDiff, make_zxid(1, 2), {}, make_zxid(1, 2)));
  l.step(packet(PacketType::kNewLeader, kNewLeader));
  l.current_epoch_durable(kEpoch);
  l.take_ready();
  l.step(packet(PacketType::kUpToDate, kNewLeader));
  l.step(packet(PacketType::kInform, make_zxid(kEpoch, 1), "i1"));
  r.durable = make_zxid(kEpoch, 1);
  l.on_log_durable();
  BroadcastReady ready = l.take_ready();
  EXPECT_TRUE(ready.packets.empty());
  ASSERT_EQ(ready.committed.size(), 1u);
  EXPECT_EQ(ready.committed[0].data, "i1");
}

TEST(LearningTest, L5InitLimitBeforeServingSyncLimitAfter) {
  Replica r = replica_with(2);
  Learning slow(2, kLeader, false, kOptions, kEpoch, r);
  for (uint64_t t = 0; t <= kOptions.init_limit_ticks; ++t)
    slow.tick();
  EXPECT_TRUE(slow.ended());

  Replica r2 = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r2);
  sync_to_newleader(l);
  finish_sync(l, r2);
  for (uint64_t t = 0; t < kOptions.sync_limit_ticks; ++t)
    l.tick();
  l.step(packet(PacketType::kPing, 0));  // heard: the silence restarts
  for (uint64_t t = 0; t < kOptions.sync_limit_ticks; ++t)
    l.tick();
  EXPECT_FALSE(l.ended());
  l.tick();
  EXPECT_TRUE(l.ended());
}

TEST(LearningTest, L6PingsAreAnsweredWithTheLatestPingData) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  l.set_ping_data("old");
  l.set_ping_data("touches");
  l.step(packet(PacketType::kPing, 0));
  auto p = sent(l.take_ready());
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].type, PacketType::kPing);
  EXPECT_EQ(p[0].data, "touches");
  l.step(packet(PacketType::kPing, 0));
  EXPECT_EQ(sent(l.take_ready())[0].data, "touches");  // every answer, until replaced
  // The caller learns that what it set went out (it then sets only what came since).
  EXPECT_EQ(l.pings_answered(), 2u);
}

TEST(LearningTest, ForwardAndSyncNeedServing) {
  Replica r = replica_with(2);
  Learning l(2, kLeader, false, kOptions, kEpoch, r);
  EXPECT_FALSE(l.forward("w").ok());
  EXPECT_FALSE(l.request_sync().ok());
  sync_to_newleader(l);
  finish_sync(l, r);
  l.take_ready();
  ASSERT_TRUE(l.forward("w").ok());
  ASSERT_TRUE(l.request_sync().ok());
  auto p = sent(l.take_ready());
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].type, PacketType::kRequest);
  EXPECT_EQ(p[0].data, "w");
  EXPECT_EQ(p[1].type, PacketType::kSync);
  l.step(packet(PacketType::kSync, 0));
  EXPECT_EQ(l.take_ready().syncs_done, 1u);
}

}  // namespace
}  // namespace conclave::zab
