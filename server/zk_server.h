// The standalone server: accepts client connections, turns their requests into reads of the
// tree or transactions, logs every transaction before anything that depends on it is sent,
// expires sessions, and snapshots the tree in the background.
//
// Threads: everything here runs on one Asio event loop (the tree, sessions and connections
// are single-threaded). The group-commit writer thread only appends to the log and posts its
// completions back; the snapshot thread only writes files from bytes it is handed.
//
// The write path, for each write request in arrival order:
//   prepare (validate, resolve, assign the next zxid) -> submit to the log -> apply to the tree
//   -> queue watch events and the reply behind the durability gate (client_connection.h).
// The tree may run ahead of the disk, but no client sees anything until it is durable, so a
// crash can lose only transactions nobody was told about.
//
// In an ensemble (two or more server lines) the member runs ZAB (server/ensemble/) and this
// class is its state machine (server/replication.cc): the serving leader prepares each write,
// proposes it, applies it at once and holds every output behind the gate until the write is
// COMMITTED (a quorum has it durable); followers and observers forward writes, connects and
// closes to the leader, apply what commits, answer their own clients' requests in the order
// sent, and serve reads from their tree. Sessions are global: created and closed through the
// log, expired by the leader, touched by the pings of the members holding their connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/asio.h"
#include "common/clock.h"
#include "datatree/data_tree.h"
#include "server/client_connection.h"
#include "server/config.h"
#include "server/ensemble/quorum_peer_driver.h"
#include "server/server_stats.h"
#include "server/snapshotter.h"
#include "session/session_ids.h"
#include "session/session_tracker.h"
#include "storage/group_commit_log.h"
#include "storage/leveldb_txn_log.h"
#include "storage/snapshot_store.h"

namespace conclave::server {

class ZkServer : private ensemble::StateMachine {
 public:
  ZkServer(asio::io_context& io, Config config, Clock& clock = SystemClock::instance());
  ~ZkServer();
  ZkServer(const ZkServer&) = delete;
  ZkServer& operator=(const ZkServer&) = delete;

  // Opens storage, recovers the tree, starts listening. Errors are fatal for the daemon.
  Status start();
  // Stops accepting, closes connections, flushes the log. Safe to call twice.
  void stop();

  uint16_t bound_port() const { return bound_port_; }

  // ---- called by ClientConnection ----
  void on_packet(ClientConnection& conn, std::string_view body);
  std::string on_four_letter_word(ClientConnection& conn, const std::string& word);
  void on_closed(ClientConnection& conn);
  void note_waiting_output(ClientConnection& conn);
  // globalOutstandingLimit: too many transactions wait for the log to read more requests.
  bool throttled() const;
  void note_throttled(ClientConnection& conn) { throttled_connections_.insert(conn.id()); }
  Zxid durable_zxid() const { return durable_zxid_; }

  // ---- for four-letter words ----
  const Config& config() const { return config_; }
  const datatree::DataTree& tree() const { return *tree_; }
  const ServerStats& stats() const { return stats_; }
  ServerStats& mutable_stats() { return stats_; }
  Zxid last_zxid() const { return last_zxid_; }
  size_t session_count() const { return tracker_.size(); }
  const session::SessionTracker& tracker() const { return tracker_; }
  int64_t wall_ms() const { return clock_.wall_ms(); }
  size_t outstanding_requests() const;
  storage::FsyncStats fsync_stats() const;
  const std::unordered_map<uint64_t, std::shared_ptr<ClientConnection>>& connections() const {
    return connections_;
  }
  int64_t now_ms() const { return clock_.monotonic_ms(); }
  uint64_t snapshots_written() const { return snapshotter_ ? snapshotter_->published_count() : 0; }
  // The ensemble member's ZAB; null when standalone (one server line or none).
  const ensemble::QuorumPeerDriver* ensemble() const { return ensemble_.get(); }
  // What ZooKeeper's four-letter words call running: standalone, or a member in broadcast.
  // Otherwise most words answer that the server is not serving.
  bool serving() const { return !ensemble_ || ensemble_->serving(); }
  // srvr's Mode and mntr's zk_server_state: standalone, leader, follower or observer.
  std::string_view mode() const { return ensemble_ ? ensemble_->mode() : "standalone"; }
  // An ensemble member serves clients only in broadcast (ZooKeeper's running server).
  bool accepts_sessions() const { return !ensemble_ || ensemble_serving_; }

 private:
  void accept_next();
  void on_accepted(asio::ip::tcp::socket socket);
  void schedule_tick();
  void on_tick();

  void handle_connect(ClientConnection& conn, std::string_view body);
  // `replaying`: a request held behind a forwarded one, now taken in order (learners).
  void handle_request(ClientConnection& conn, std::string_view body, bool replaying = false);
  void finish_handshake(ClientConnection& conn, SessionId id, int32_t timeout_ms,
                        std::string password, bool read_only_field, Zxid required);
  // The reply to a write, from the result of applying its transaction.
  void reply_write(ClientConnection& conn, wire::OpCode op, int32_t xid, Zxid zxid,
                   datatree::ApplyResult& r);
  // Applies a transaction to the tree and does what follows from it: watch events, the
  // session tracker, and on a learner the reply to the request it answers.
  datatree::ApplyResult apply_txn(const datatree::Txn& txn);
  void reply(ClientConnection& conn, wire::Bytes frame, Zxid required_zxid);

  datatree::RequestContext context_for(const ClientConnection& conn, int32_t xid) const;
  // Logs and applies `txn`, queues its watch events; the caller queues the reply after.
  // An error means the txn was refused (log queue full, storage failed) and not applied.
  Result<datatree::ApplyResult> commit(const datatree::Txn& txn);
  bool writes_refused() const;
  // Standalone: the next zxid (given back by commit() if the txn is refused). Ensemble leader:
  // the zxid ZAB will assign to the next proposal.
  Zxid next_zxid() { return ensemble_ ? ensemble_->next_proposal_zxid() : ++last_zxid_; }

  void on_logged(Zxid zxid, Status status);
  void advance_durable(Zxid zxid);
  // Connections paused by globalOutstandingLimit read again once below it.
  void resume_if_unthrottled();
  void on_storage_failure(const Error& error);
  void probe_storage();
  void on_probe_logged(const datatree::Txn& probe, Status status);
  void expire_sessions();
  void close_session_txn(SessionId id);
  void maybe_snapshot();
  void reap_expired_nodes();

  // ---- the ensemble (server/replication.cc) ----
  // A serving follower or observer: writes go to the leader.
  bool learner_serving() const { return ensemble_serving_ && !ensemble_->leading(); }
  bool orders_writes() const { return !ensemble_ || ensemble_->leading(); }
  void forward(ClientConnection& conn, std::string_view body, wire::OpCode op, int32_t xid,
               std::string sync_path);
  void process_held(ClientConnection& conn);
  void after_apply_on_learner(const datatree::Txn& txn, datatree::ApplyResult& r);
  Status rebuild_tree_from_disk();
  void close_all_connections();
  void on_ensemble_storage_failure(const Error& error);
  // Learner: hands the sessions heard since to the ping data (`refresh`: also the applied
  // zxid and digest, even if no session was heard).
  void relay_session_touches(bool refresh);
  void schedule_relay();
  // Leader: the tree's digest after each zxid it applied (the newest kDigestsKept), to compare
  // with the digests learners report at theirs.
  void remember_digest(Zxid zxid);
  static constexpr size_t kDigestsKept = 4096;
  std::map<Zxid, uint64_t> digests_by_zxid_;
  // ensemble::StateMachine
  void on_phase(zab::PeerPhase phase, zab::PeerState role) override;
  void apply_committed(std::vector<zab::Entry> entries) override;
  Status append(std::vector<zab::Entry> entries) override;
  Status truncate_to(Zxid zxid) override;
  Status install_snapshot(Zxid zxid, const std::string& data) override;
  std::pair<Zxid, std::string> snapshot_for_learner() override;
  void on_forwarded_request(zab::ServerId from, std::string request) override;
  void on_learner_ping(zab::ServerId from, std::string data) override;
  void on_syncs_done(uint64_t count) override;

  asio::io_context& io_;
  Config config_;
  Clock& clock_;

  std::unique_ptr<storage::LevelDbTxnLog> log_;
  std::unique_ptr<storage::SnapshotStore> snapshots_;
  std::unique_ptr<storage::GroupCommitLog> commit_log_;
  std::unique_ptr<datatree::DataTree> tree_;
  datatree::DataTreeOptions tree_options_;

  session::SessionTracker tracker_;
  std::optional<session::SessionIdGenerator> id_gen_;
  std::string secret_;

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer tick_timer_;
  asio::steady_timer relay_timer_;  // a learner's relay of session touches
  uint16_t bound_port_ = 0;
  bool stopped_ = false;

  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<ClientConnection>> connections_;
  std::unordered_map<SessionId, uint64_t> session_connections_;
  // A learner's clients ping it, not the leader, so it tells the leader in its PING answers
  // which sessions it heard from (any request, pings included) -- only those, each once, as
  // ZooKeeper's learners do: a client that hangs with its connection open must expire.
  std::unordered_set<SessionId> sessions_heard_;    // not yet in the ping data
  std::unordered_set<SessionId> sessions_in_ping_;  // in it, until a PING answer carries it
  uint64_t pings_answered_seen_ = 0;
  std::unordered_set<uint64_t> waiting_connections_;
  std::unordered_set<uint64_t> throttled_connections_;
  std::unordered_map<std::string, int32_t> connections_per_ip_;

  Zxid last_zxid_ = 0;     // the last zxid handed to a transaction
  Zxid durable_zxid_ = 0;  // the log is fsynced through this zxid

  // Storage failure (disk full): the tree is rebuilt from disk and client writes are refused
  // until a probe (a no-op ErrorTxn, one per kStorageProbeIntervalMs) reaches the disk.
  // The probe is applied only after it is durable, so a failed probe leaves nothing to undo.
  static constexpr int64_t kStorageProbeIntervalMs = 1000;
  bool storage_failed_ = false;
  bool probe_in_flight_ = false;
  int64_t last_probe_ms_ = 0;

  // Snapshots: taken after a random count in [snapCount/2+1, snapCount] (so members of an
  // ensemble do not all snapshot at once), written without stopping the loop (snapshotter.h).
  int64_t txns_since_snapshot_ = 0;
  int64_t snapshot_threshold_ = 0;
  std::unique_ptr<Snapshotter> snapshotter_;

  // Declared after log_, which it writes the epochs to, so that it is destroyed first.
  std::unique_ptr<ensemble::QuorumPeerDriver> ensemble_;
  bool ensemble_serving_ = false;
  Zxid log_durable_zxid_ = 0;  // ensemble: the local fsync point (durable_zxid_ is the commit)
  // Learner: connects waiting for their session to commit, and syncs for the leader's answer.
  std::unordered_map<SessionId, uint64_t> pending_connects_;
  std::deque<uint64_t> pending_syncs_;
  // Learner: requests forwarded and not answered, and requests held behind them, over all
  // connections: what globalOutstandingLimit bounds on a learner (so `held` is bounded too).
  uint64_t forwarded_outstanding_ = 0;
  // Leader: the member and client connection each session last attached to (ZooKeeper's
  // session owner); a write from any other connection of the session is dropped
  // (forwarded_request.h says why). Rebuilt by every leader: clients re-attach after an
  // election, and a session without an entry takes writes from anywhere.
  struct SessionOwner {
    zab::ServerId member = 0;
    uint64_t connection = 0;
    bool operator==(const SessionOwner&) const = default;
  };
  std::unordered_map<SessionId, SessionOwner> session_owners_;
  bool from_session_owner(SessionId id, SessionOwner from) const;
  // Learner: re-attached connections answered once the leader has answered the SYNC sent after
  // their kAttachSession, i.e. once every write of the session's older connections that the
  // leader took is applied here (keyed by connection id; the SYNC is in pending_syncs_).
  struct PendingAttach {
    SessionId session_id = 0;
    int32_t timeout_ms = 0;
    std::string password;
    bool read_only_field = false;
  };
  std::unordered_map<uint64_t, PendingAttach> pending_attaches_;

  ServerStats stats_;
};

}  // namespace conclave::server
