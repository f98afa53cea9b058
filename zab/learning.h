// zab::Learning: a follower's or observer's synchronization with its leader and the broadcast
// that follows (protocol notes B.5, B.6; Learner.syncWithLeader, Follower.processPacket,
// Observer.processPacket), sans-IO. Built by zab::Peer once the learner acknowledged the
// leader's epoch. Inputs: step(), tick(), forward(), request_sync(), set_ping_data(), and the
// storage completions (Peer updates the Replica, then calls on_log_durable() /
// current_epoch_durable()). Outputs: take_ready() (BroadcastReady).
//
// PERSISTENCE CONTRACT (the order ZOOKEEPER-3911, 4643, 4646 and 4685 got wrong):
// - The entries received during sync are appended at NEWLEADER; currentEpoch is written only
//   once they are all durable; the ACK of NEWLEADER leaves only once currentEpoch is durable.
// - An ACK of a proposal leaves only once the log is durable through it, and never before the
//   ACK of NEWLEADER.
//
// Rules, each tested in tests/unit/zab/learning_test.cc:
// - L1 the first packet of the sync is its header: DIFF (the history continues from our last
//   zxid; in-memory entries past it that never became durable are dropped), TRUNC (drop the
//   entries above it; the state machine is rebuilt there) or SNAP (replace log and state
//   machine). Anything else before it, except PING, ends the role.
// - L2 every entry received must follow the previous one without a gap (ZOOKEEPER-4925's
//   enforceContinuousProposal); a gap ends the role.
// - L3 COMMIT may only name an entry received; committed entries are handed out in zxid order,
//   and only once the leader said UPTODATE (so that a learner never applies a history a failed
//   establishment could still take back without a TRUNC).
// - L4 a follower acknowledges proposals cumulatively: ACK(d) for the durable zxid d once it
//   passes the last acknowledged one, in the leader's epoch only. Observers never ACK
//   proposals; INFORM carries a committed entry.
// - L5 a learner not serving within initLimit ticks of the ACKEPOCH, or, once serving, hearing
//   nothing from the leader for syncLimit ticks, goes back to election.
// - L6 PING is answered with the caller's latest ping data (session touches), every time until
//   the caller replaces it: the leader's session deadlines must not depend on whether the
//   caller refreshed it between two pings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "zab/broadcast.h"

namespace conclave::zab {

class Learning {
 public:
  Learning(ServerId my_id, ServerId leader, bool observer, BroadcastOptions options, int64_t epoch,
           Replica& replica);

  void step(const QuorumPacket& p);  // a packet from the leader
  void tick();
  void on_log_durable();
  void current_epoch_durable(int64_t epoch);

  // A client write for the leader (REQUEST), and a sync() (SYNC); both need serving().
  Status forward(std::string request);
  Status request_sync();
  void set_ping_data(std::string data) { ping_data_ = std::move(data); }
  // How many PINGs this learner has answered (each with the ping data set then): the caller
  // learns that what it set has reached the leader and can hand over what came since.
  uint64_t pings_answered() const { return pings_answered_; }

  enum class Stage : uint8_t {
    kAwaitingHeader,
    kSyncing,     // header received; entries buffered until NEWLEADER
    kPersisting,  // NEWLEADER received; waiting for the appends, then currentEpoch
    kAcked,       // NEWLEADER acknowledged; waiting for UPTODATE
    kServing,
  };
  Stage stage() const { return stage_; }
  bool serving() const { return stage_ == Stage::kServing; }
  bool ended() const { return ended_; }
  ServerId leader() const { return leader_; }
  Zxid committed() const { return commit_upto_; }
  // Our history when NEWLEADER arrived: durable before NEWLEADER is acknowledged.
  Zxid newleader_last() const { return newleader_last_; }

  bool has_ready() const { return !ready_.empty(); }
  BroadcastReady take_ready();

 private:
  void send(QuorumPacket p);
  void on_header(const QuorumPacket& p);
  bool receive_entry(Zxid zxid, std::string data, bool log_now);
  void maybe_write_current_epoch();
  void send_acks();
  void deliver();
  void end(std::string reason);

  const ServerId my_id_;
  const ServerId leader_;
  const bool observer_;
  const BroadcastOptions options_;
  const int64_t epoch_;
  Replica& replica_;

  Stage stage_ = Stage::kAwaitingHeader;
  bool ended_ = false;
  uint64_t ticks_ = 0;
  uint64_t silent_ticks_ = 0;
  Zxid commit_upto_ = 0;
  std::vector<Entry> unlogged_;  // received during sync, appended at NEWLEADER
  Zxid newleader_last_ = 0;      // our history when NEWLEADER arrived
  bool current_epoch_requested_ = false;
  Zxid last_ack_sent_ = 0;
  std::string ping_data_;
  uint64_t pings_answered_ = 0;
  BroadcastReady ready_;
};

}  // namespace conclave::zab
