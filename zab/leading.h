// zab::Leading: an established leader's synchronization and broadcast (protocol notes B.5,
// B.6; LearnerHandler.syncFollower, Leader.processAck / tryToCommit / processSync), sans-IO.
// Built by zab::Peer once discovery established the epoch; learners are added as they finish
// discovery with us. Inputs: add_learner(), step(), tick(), propose(), the storage completions
// (Peer updates the Replica, then calls on_log_durable() / current_epoch_durable()) and
// snapshot_taken(). Outputs: take_ready() (BroadcastReady).
//
// PERSISTENCE CONTRACT:
// - currentEpoch = epoch is written only once the leader's log is durable through its history
//   at establishment (ZOOKEEPER-4643: the epoch must never claim a history the disk lacks), and
//   the leader counts itself in the NEWLEADER quorum only once that write is durable.
// - The leader's own acknowledgement of a proposal is its log being durable through it
//   (on_log_durable): a commit never counts an entry the leader could still lose, while the
//   fsync runs concurrently with the PROPOSAL on the wire.
//
// Rules, each tested in tests/unit/zab/leading_test.cc:
// - S1 sync choice for a learner at zxid p (its durable last zxid, base b): p == our last or p
//   in our History -> DIFF from p; otherwise, with q the highest of our zxids <= p, q in p's
//   epoch and q >= b -> TRUNC to q (entries of one epoch come from one leader, so the learner's
//   history up to q is ours); otherwise SNAP (asked of the caller; the snapshot must be of the
//   state with every committed entry handed out so far applied).
// - S2 the sync stream is the header (its commit_zxid: every entry up to it is committed once
//   UPTODATE arrives), a PROPOSAL per entry after the sync point (to a follower: our whole
//   history; to an observer: the committed part only, the rest comes as INFORM), then
//   NEWLEADER. From then on the learner receives the live PROPOSAL/COMMIT (INFORM) stream.
// - S3 the leader serves once the voters that acknowledged NEWLEADER, itself included, form a
//   quorum; then it sends UPTODATE to each of them, and to every later one as it acknowledges,
//   but never before the entries in a learner's snapshot are committed (a learner serves
//   clients from UPTODATE on and must not show them an entry that could still be lost).
//   The history at establishment is committed at that moment.
// - B1 propose() works only while serving; zxid = makeZxid(epoch, counter+1); past
//   last_counter the leader goes back to election instead (ZOOKEEPER-1277).
// - B2 an entry commits once the voters whose ACKs (cumulative) reached it, the leader counted
//   by its durable log, form a quorum; commits go out in zxid order: COMMIT to followers,
//   INFORM (with the entry) to observers. ACKs count only from learners past NEWLEADER
//   (ZOOKEEPER-4685).
// - B3 a PING to every learner each tick; the leader goes back to election when the voters
//   that acknowledged NEWLEADER and were heard within syncLimit ticks, itself included, are no
//   longer a quorum, and when it does not serve within initLimit ticks.
// - B4 a SYNC from a learner is answered once every entry proposed before it is committed.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "common/result.h"
#include "zab/broadcast.h"
#include "zab/quorum_verifier.h"

namespace conclave::zab {

class Leading {
 public:
  Leading(ServerId my_id, QuorumVerifier verifier, BroadcastOptions options, int64_t epoch,
          Replica& replica);

  // A learner that finished discovery with us (again, after a reconnect: its old stream is
  // dropped and it is synced from scratch).
  void add_learner(const LearnerAcked& learner);
  void step(ServerId from, const QuorumPacket& p);
  void tick();
  Result<Zxid> propose(std::string data);
  // The Replica's durable zxid moved (Peer updated it).
  void on_log_durable();
  void current_epoch_durable(int64_t epoch);
  // The caller's answer to a snapshot request: the state machine at `zxid`, between the last
  // committed and the last proposed zxid.
  void snapshot_taken(ServerId learner, Zxid zxid, std::string data);
  // The zxid the next propose() would assign (the caller prepares its transaction with it).
  Zxid next_zxid() const { return make_zxid(static_cast<uint32_t>(epoch_), counter_ + 1); }

  bool serving() const { return serving_; }
  bool ended() const { return ended_; }
  Zxid committed() const { return committed_; }
  int64_t epoch() const { return epoch_; }
  // For mntr: learners known, those past NEWLEADER and heard within syncLimit (voters and
  // observers apart), and SYNCs waiting for their commit.
  struct Stats {
    size_t learners = 0;
    size_t synced_followers = 0;
    size_t synced_observers = 0;
    size_t pending_syncs = 0;
  };
  Stats stats() const;

  bool has_ready() const { return !ready_.empty(); }
  BroadcastReady take_ready();

 private:
  struct LearnerSlot {
    bool observer = false;
    bool streaming = false;  // the sync stream was sent; the live stream follows
    bool newleader_acked = false;
    bool uptodate_sent = false;
    Zxid snapshot_zxid = 0;  // UPTODATE waits until this is committed
    Zxid acked = 0;
    uint64_t last_heard_tick = 0;
  };

  void send(ServerId to, QuorumPacket p);
  void stream_sync(ServerId to, LearnerSlot& slot, PacketType header, Zxid from, std::string data);
  Zxid sync_commit_point() const;
  void maybe_write_current_epoch();
  void maybe_serve();
  void send_uptodates();
  void try_commit();
  void commit_through(Zxid z);
  void answer_syncs();
  void end(std::string reason);
  bool voters_form_quorum(Zxid acked_at_least, bool require_recent) const;

  const ServerId my_id_;
  const QuorumVerifier verifier_;
  const BroadcastOptions options_;
  const int64_t epoch_;
  Replica& replica_;

  const Zxid established_last_;  // our history when the epoch was established
  Zxid committed_;
  uint32_t counter_ = 0;
  bool current_epoch_requested_ = false;
  bool current_epoch_durable_ = false;
  bool serving_ = false;
  bool ended_ = false;
  uint64_t ticks_ = 0;
  std::map<ServerId, LearnerSlot> learners_;  // bounded by the member count
  // SYNC asks waiting for their commit: (learner, last zxid proposed when asked). Bounded by
  // what learners send; a learner's asks are dropped when it is synced again.
  std::deque<std::pair<ServerId, Zxid>> sync_waiters_;
  BroadcastReady ready_;
};

}  // namespace conclave::zab
