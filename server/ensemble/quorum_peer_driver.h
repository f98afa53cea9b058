// QuorumPeerDriver: one ensemble member's ZAB, run on the server's event loop. It owns
// - zab::Peer, built from the member's DURABLE state (acceptedEpoch and currentEpoch from the
//   log, recovered and checked as ZooKeeper's loadDataBase does; the newest durable zxid; the
//   newest snapshot's zxid as the base storage can truncate to);
// - two PeerTransports: the election port (notifications; a bounded queue that drops the
//   oldest, ZooKeeper's 512 KiB frame limit) and the quorum port (quorum packets; a link is
//   dropped rather than a packet, larger frames for the snapshots sync sends);
// - a steady_timer ticking the Peer every tickTime ms;
// - ReadyExecutor, which carries out what the Peer hands back (the one place that does).
// Failure detection is the core's (pings, initLimit, syncLimit); the driver adds what only it
// can see: a learner whose quorum link to its leader drops goes back to election at once, as
// ZooKeeper's Learner does when its socket to the leader closes. Without it, a leader that
// stepped down (dropping its links) would be redialed within milliseconds and its learners
// would wait out syncLimit.
//
// Not wired yet (see ready_executor.h): the tree. A member serves no client session; ensembles
// whose members start from the same history elect, sync and reach broadcast.
//
// Threading: every member function runs on the io_context's thread, as do all callbacks.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/asio.h"
#include "common/result.h"
#include "common/zxid.h"
#include "server/ensemble/device_seeded_rng.h"
#include "server/ensemble/driver_options.h"
#include "server/ensemble/ready_executor.h"
#include "server/ensemble/state_machine.h"
#include "server/peer/peer_transport.h"
#include "storage/txn_log.h"
#include "zab/peer.h"

namespace conclave::ensemble {

// Quorum frames carry snapshots once sync exists; ZooKeeper has no fixed bound there, this is
// ours. The queue holds two frames so that one large frame never blocks the next.
inline constexpr size_t kQuorumFrameBytesMax = size_t{64} << 20;
inline constexpr size_t kQuorumQueueBytesMax = 2 * kQuorumFrameBytesMax;
// Only a member's newest notification matters (each carries its whole state), so one waits per
// member, as QuorumCnxManager's SEND_CAPACITY = 1.
inline constexpr size_t kElectionQueueFramesMax = 1;

class QuorumPeerDriver {
 public:
  // `log` holds the epochs and must outlive the driver. `last_zxid` is the newest durable zxid
  // (the newest snapshot's or the log's, whichever is larger); `base_zxid` the newest
  // snapshot's (0 with none): storage cannot truncate below it.
  // `state_machine` (may be null: then the member refuses everything but election and
  // discovery) must outlive the driver.
  QuorumPeerDriver(asio::io_context& io, DriverOptions options, storage::TxnLog& log,
                   Zxid last_zxid, Zxid base_zxid, StateMachine* state_machine = nullptr);
  ~QuorumPeerDriver();
  QuorumPeerDriver(const QuorumPeerDriver&) = delete;
  QuorumPeerDriver& operator=(const QuorumPeerDriver&) = delete;

  // Recovers the epochs, binds both ports, then starts the transports, the Peer and the tick.
  // Fails on options that name no valid ensemble, inconsistent epochs, or ports it cannot bind.
  Status start();
  // Closes every link and stops the tick; idempotent.
  void stop();

  // The member serves in its role (broadcast): what ZooKeeper's four-letter words call running.
  bool serving() const;
  // "leader", "follower" or "observer" while serving, else "" (srvr's Mode).
  std::string_view mode() const;
  // The `zabs` four-letter word: one `key<TAB>value` line each.
  std::string state_text() const;
  // The core, for inspection; null until start() succeeded.
  const zab::Peer* peer() const { return peer_.get(); }

  // ---- inputs from the state machine (each carries out what the core hands back) ----
  // The log is durable through zxid / an append failed.
  void log_durable(Zxid zxid);
  void log_write_failed();
  // A snapshot at zxid is (being) written: storage cannot truncate below it from now on.
  void snapshot_persisted(Zxid zxid);
  // Leader: the zxid the next proposal gets, and the proposal.
  Zxid next_proposal_zxid() const { return peer_ ? peer_->next_proposal_zxid() : 0; }
  Result<Zxid> propose(std::string txn);
  // Learner: a client write for the leader, a sync(), the next ping's payload.
  Status forward(std::string request);
  Status request_sync();
  void set_ping_data(std::string data);
  uint64_t pings_answered() const { return peer_ ? peer_->pings_answered() : 0; }
  bool leading() const { return serving() && peer_->role() == zab::PeerState::kLeading; }

 private:
  void on_message(zab::ServerId from, std::span<const uint8_t> payload, bool election_port);
  void on_quorum_link_down(zab::ServerId id);
  void schedule_tick();
  void on_tick();

  asio::io_context& io_;
  const DriverOptions options_;
  storage::TxnLog& log_;
  const Zxid last_zxid_;
  const Zxid base_zxid_;
  StateMachine* const state_machine_;

  DeviceSeededRng rng_;
  asio::steady_timer tick_timer_;
  std::unique_ptr<zab::QuorumVerifier> verifier_;
  std::unique_ptr<zab::Peer> peer_;
  std::unique_ptr<peer::PeerTransport> election_;
  std::unique_ptr<peer::PeerTransport> quorum_;
  std::unique_ptr<ReadyExecutor> executor_;
  bool stopped_ = false;
};

}  // namespace conclave::ensemble
