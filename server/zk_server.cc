#include "server/zk_server.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/log.h"
#include "datatree/txn.h"
#include "server/four_letter_words.h"
#include "server/recovery.h"

namespace conclave::server {
namespace {

constexpr size_t kSessionSecretBytes = 32;
// Containers and TTL nodes deleted per tick, so a mass expiry cannot stall the event loop.
constexpr size_t kExpiredNodesPerTickMax = 100;

// The secret behind session passwords, created once per data directory. (The ensemble will
// agree on one secret for all members.)
Result<std::string> load_or_create_secret(const std::string& data_dir) {
  std::string path = data_dir + "/session_secret";
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (secret.size() == kSessionSecretBytes) return secret;
    return Error(ErrorCode::kSystemError,
                 path + " is damaged (expected " + std::to_string(kSessionSecretBytes) + " bytes)");
  }
  std::string secret(kSessionSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), kSessionSecretBytes) != 1) {
    return Error(ErrorCode::kSystemError, "no randomness for the session secret");
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(secret.data(), static_cast<std::streamsize>(secret.size()));
    out.flush();
    if (!out) return Error(ErrorCode::kSystemError, "cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error(ErrorCode::kSystemError, "cannot rename " + tmp + ": " + ec.message());
  return secret;
}

// The ensemble as the driver sees it: every server.N line, tickTime and the limits.
ensemble::DriverOptions ensemble_options(const Config& c) {
  ensemble::DriverOptions o;
  o.my_id = c.my_id;
  for (const ServerSpec& s : c.servers)
    o.members.push_back({s.id, s.host, s.quorum_port, s.election_port, s.observer});
  o.tick_time_ms = c.tick_time_ms;
  o.init_limit_ticks = static_cast<uint64_t>(c.init_limit_ticks);
  o.sync_limit_ticks = static_cast<uint64_t>(c.sync_limit_ticks);
  o.history_entries_max = static_cast<size_t>(c.commit_log_count);
  return o;
}

}  // namespace

ZkServer::ZkServer(asio::io_context& io, Config config, Clock& clock)
    : io_(io),
      config_(std::move(config)),
      clock_(clock),
      tracker_(config_.tick_time_ms),
      acceptor_(io),
      tick_timer_(io),
      relay_timer_(io) {
  tree_options_.extended_types_enabled = config_.extended_types_enabled;
}

ZkServer::~ZkServer() {
  stop();
}

Status ZkServer::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec)
    return Error(ErrorCode::kSystemError,
                 "cannot create dataDir " + config_.data_dir + ": " + ec.message());
  std::filesystem::create_directories(config_.data_log_dir, ec);
  if (ec) {
    return Error(ErrorCode::kSystemError,
                 "cannot create dataLogDir " + config_.data_log_dir + ": " + ec.message());
  }

  auto secret = load_or_create_secret(config_.data_dir);
  if (!secret.ok()) return secret.error();
  secret_ = std::move(secret.value());

  auto log = storage::LevelDbTxnLog::open(config_.data_log_dir + "/txnlog");
  if (!log.ok()) return log.error();
  log_ = std::move(log.value());
  auto snaps = storage::SnapshotStore::open(config_.data_dir + "/snapshots");
  if (!snaps.ok()) return snaps.error();
  snapshots_ = std::move(snaps.value());

  auto recovered = recover_tree(*snapshots_, *log_, tree_options_);
  if (!recovered.ok()) return recovered.error();
  tree_ = std::move(recovered->tree);
  last_zxid_ = std::max(tree_->last_applied_zxid(), log_->last_zxid());
  durable_zxid_ = last_zxid_;
  log::info("recovered the tree at zxid 0x", std::hex, last_zxid_, std::dec, ": snapshot 0x",
            std::hex, recovered->snapshot_zxid, std::dec, " + ", recovered->replayed_txns,
            " logged txns, ", tree_->node_count(), " znodes, ", tree_->sessions().size(),
            " sessions");

  storage::GroupCommitOptions gc;
  gc.force_sync = config_.force_sync;
  gc.fsync_warning_threshold_ms = config_.fsync_warning_threshold_ms;
  commit_log_ = std::make_unique<storage::GroupCommitLog>(*log_, gc);
  snapshotter_ = std::make_unique<Snapshotter>(*snapshots_, *log_,
                                               static_cast<size_t>(config_.snap_retain_count));
  if (!config_.force_sync) {
    log::warn("forceSync=no: acknowledged writes can be lost if the machine loses power");
  }

  // Sessions survive a restart (as in ZooKeeper): each gets a full timeout from now.
  int64_t now = clock_.monotonic_ms();
  for (const auto& [id, timeout] : tree_->sessions())
    tracker_.add(id, timeout, now);
  id_gen_.emplace(config_.my_id, clock_.wall_ms());

  std::mt19937_64 rng(static_cast<uint64_t>(clock_.wall_ms()));
  int64_t half = config_.snap_count / 2;
  snapshot_threshold_ =
      half + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(config_.snap_count - half));

  // One server line or none is a standalone server, as in ZooKeeper (standaloneEnabled=true).
  if (config_.servers.size() >= 2) {
    log_durable_zxid_ = durable_zxid_;
    ensemble_ = std::make_unique<ensemble::QuorumPeerDriver>(
        io_, ensemble_options(config_), *log_, durable_zxid_, recovered->snapshot_zxid,
        static_cast<ensemble::StateMachine*>(this));
    Status joined = ensemble_->start();
    if (!joined.ok()) return joined;
  }

  boost::system::error_code bec;
  auto address = asio::ip::make_address(config_.client_port_address, bec);
  if (bec) {
    return Error(ErrorCode::kBadArguments,
                 "clientPortAddress '" + config_.client_port_address + "': " + bec.message());
  }
  asio::ip::tcp::endpoint endpoint(address, config_.client_port);
  acceptor_.open(endpoint.protocol(), bec);
  if (!bec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), bec);
  if (!bec) acceptor_.bind(endpoint, bec);
  if (!bec) acceptor_.listen(asio::socket_base::max_listen_connections, bec);
  if (bec) {
    return Error(ErrorCode::kSystemError, "cannot listen on " + config_.client_port_address + ":" +
                                              std::to_string(config_.client_port) + ": " +
                                              bec.message());
  }
  bound_port_ = acceptor_.local_endpoint().port();
  stats_.started_ms = clock_.monotonic_ms();
  log::info("serving clients on ", config_.client_port_address, ":", bound_port_);
  accept_next();
  schedule_tick();
  if (ensemble_) schedule_relay();
  return Status::success();
}

void ZkServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  tick_timer_.cancel();
  relay_timer_.cancel();
  if (ensemble_) ensemble_->stop();
  auto conns = connections_;
  for (auto& [id, c] : conns)
    c->close();
  if (commit_log_) commit_log_->shutdown();
  if (snapshotter_) snapshotter_->abandon();
}

void ZkServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted && !stopped_) {
        log::warn("accept failed: ", ec.message());
        accept_next();
      }
      return;
    }
    on_accepted(std::move(socket));
    accept_next();
  });
}

void ZkServer::on_accepted(asio::ip::tcp::socket socket) {
  if (config_.max_cnxns > 0 && connections_.size() >= static_cast<size_t>(config_.max_cnxns)) {
    log::warn("too many connections (maxCnxns=", config_.max_cnxns, "), refusing one");
    return;
  }
  auto conn = std::make_shared<ClientConnection>(*this, std::move(socket), next_connection_id_++,
                                                 config_.jute_max_buffer_bytes);
  if (config_.max_client_cnxns > 0 &&
      connections_per_ip_[conn->remote_ip()] >= config_.max_client_cnxns) {
    log::warn("too many connections from ", conn->remote_ip(), " - max is ",
              config_.max_client_cnxns);
    return;  // the socket closes as conn goes out of scope
  }
  ++connections_per_ip_[conn->remote_ip()];
  conn->established_wall_ms = clock_.wall_ms();
  connections_[conn->id()] = conn;
  conn->start();
}

void ZkServer::on_closed(ClientConnection& conn) {
  forwarded_outstanding_ -=
      std::min<uint64_t>(forwarded_outstanding_, conn.forwarded.size() + conn.held.size());
  conn.forwarded.clear();
  conn.held.clear();
  tree_->watches().remove_watcher(conn.id());
  waiting_connections_.erase(conn.id());
  throttled_connections_.erase(conn.id());
  if (conn.session_id != 0) {
    auto it = session_connections_.find(conn.session_id);
    if (it != session_connections_.end() && it->second == conn.id()) session_connections_.erase(it);
  }
  auto ip = connections_per_ip_.find(conn.remote_ip());
  if (ip != connections_per_ip_.end() && --ip->second <= 0) connections_per_ip_.erase(ip);
  stats_.packets_received += conn.packets_received;
  stats_.packets_sent += conn.packets_sent;
  connections_.erase(conn.id());  // may destroy conn once its handlers return
}

std::string ZkServer::on_four_letter_word(ClientConnection&, const std::string& word) {
  return run_four_letter_word(*this, word);
}

void ZkServer::note_waiting_output(ClientConnection& conn) {
  waiting_connections_.insert(conn.id());
}

void ZkServer::reply(ClientConnection& conn, wire::Bytes frame, Zxid required_zxid) {
  conn.send(std::move(frame), required_zxid);
}

bool ZkServer::throttled() const {
  // A learner's outstanding work is what it forwarded to the leader and has not answered.
  if (ensemble_ && !ensemble_->leading()) {
    return forwarded_outstanding_ >= static_cast<uint64_t>(config_.global_outstanding_limit);
  }
  return last_zxid_ - durable_zxid_ >= config_.global_outstanding_limit;
}

size_t ZkServer::outstanding_requests() const {
  return commit_log_ ? commit_log_->pending_entries() : 0;
}

storage::FsyncStats ZkServer::fsync_stats() const {
  return commit_log_ ? commit_log_->fsync_stats() : storage::FsyncStats{};
}

// ---- the log ----

Result<datatree::ApplyResult> ZkServer::commit(const datatree::Txn& txn) {
  Zxid zxid = txn.header.zxid;
  if (ensemble_) {
    // The leader orders it through ZAB (which logs it: ZkServer::append), applies it at once,
    // and every output that depends on it waits until it commits.
    if (!ensemble_->leading()) return ErrorCode::kConnectionLoss;
    Result<Zxid> proposed = ensemble_->propose(datatree::encode_txn(txn));
    if (!proposed.ok()) return ErrorCode::kConnectionLoss;
    if (*proposed != zxid) {
      log::error("zab assigned zxid 0x", std::hex, *proposed, " to a txn prepared for 0x", zxid);
      std::abort();  // the tree would diverge from the log: a bug, never input
    }
    if (!ensemble_->leading()) {
      // Its append failed and the member left its role: the tree was rebuilt from disk.
      return ErrorCode::kConnectionLoss;
    }
    last_zxid_ = zxid;
    return apply_txn(txn);
  }
  if (storage_failed_) {
    --last_zxid_;  // refused before the log saw it: the zxid is given back
    return ErrorCode::kSystemError;
  }
  Status submitted = commit_log_->submit(
      storage::LogEntry{zxid, datatree::encode_txn(txn)}, [this, zxid](Status s) {
        asio::post(io_, [this, zxid, s = std::move(s)]() { on_logged(zxid, s); });
      });
  if (!submitted.ok()) {
    // Not even queued (the queue is at its bound, or a failure is latched): the txn must not
    // be applied, and its zxid is given back.
    --last_zxid_;
    if (submitted.code() == ErrorCode::kThrottledOp) return ErrorCode::kThrottledOp;
    on_storage_failure(submitted.error());
    return ErrorCode::kSystemError;
  }
  return apply_txn(txn);
}

datatree::ApplyResult ZkServer::apply_txn(const datatree::Txn& txn) {
  const Zxid zxid = txn.header.zxid;
  datatree::ApplyResult result = tree_->apply(txn);
  for (const auto& ev : result.events) {
    auto it = connections_.find(ev.watcher);
    if (it == connections_.end()) continue;
    it->second->send(wire::encode_notification(ev.zxid, ev.event), zxid);
  }
  // The session tracker follows the replicated sessions on every member.
  const int64_t now = clock_.monotonic_ms();
  if (std::holds_alternative<datatree::CreateSessionTxn>(txn.body)) {
    const auto& cs = std::get<datatree::CreateSessionTxn>(txn.body);
    if (!tracker_.contains(txn.header.session_id)) {
      tracker_.add(txn.header.session_id, cs.timeout_ms, now);
    }
  } else if (std::holds_alternative<datatree::CloseSessionTxn>(txn.body)) {
    tracker_.remove(txn.header.session_id);
    session_owners_.erase(txn.header.session_id);
  }
  if (ensemble_ && !ensemble_->leading()) after_apply_on_learner(txn, result);
  if (ensemble_ && ensemble_->leading()) remember_digest(zxid);
  ++txns_since_snapshot_;
  maybe_snapshot();
  return result;
}

void ZkServer::on_logged(Zxid zxid, Status status) {
  if (stopped_) return;
  if (ensemble_) {
    // Durable here is not yet visible: outputs wait for the commit (apply_committed).
    if (!status.ok()) {
      on_ensemble_storage_failure(status.error());
      return;
    }
    log_durable_zxid_ = std::max(log_durable_zxid_, zxid);
    ensemble_->log_durable(zxid);
    return;
  }
  if (!status.ok()) {
    on_storage_failure(status.error());
    return;
  }
  advance_durable(zxid);
}

// The log is durable through `zxid`: outputs that waited for it go out, and connections
// throttled by globalOutstandingLimit read again.
void ZkServer::advance_durable(Zxid zxid) {
  if (zxid <= durable_zxid_) return;
  durable_zxid_ = zxid;
  for (auto it = waiting_connections_.begin(); it != waiting_connections_.end();) {
    auto c = connections_.find(*it);
    if (c == connections_.end()) {
      it = waiting_connections_.erase(it);
      continue;
    }
    c->second->release(durable_zxid_);
    it = c->second->has_waiting_output() ? std::next(it) : waiting_connections_.erase(it);
  }
  resume_if_unthrottled();
}

void ZkServer::resume_if_unthrottled() {
  if (throttled_connections_.empty() || throttled()) return;
  auto ids = std::move(throttled_connections_);
  throttled_connections_.clear();
  for (uint64_t id : ids) {
    auto c = connections_.find(id);
    if (c != connections_.end()) c->second->resume_reading();
  }
}

// A write failed to reach the disk (a full disk, an I/O error). Everything applied to the
// tree after the durable point was never shown to anyone, so the tree is rebuilt from disk
// and every connection is closed: clients see a connection loss for writes in flight (their
// outcome is unknown to them; in fact they did not happen), reconnect to their sessions and
// re-register their watches.
void ZkServer::on_storage_failure(const Error& error) {
  if (stopped_) return;
  bool first = !storage_failed_;
  storage_failed_ = true;
  last_probe_ms_ = clock_.monotonic_ms();
  if (first)
    log::error("storage write failed, refusing writes until it works again: ", error.to_string());
  if (last_zxid_ == durable_zxid_ && tree_->last_applied_zxid() <= durable_zxid_) return;

  auto durable = commit_log_->reset();
  if (!durable.ok()) {
    log::error("cannot recover the log after a failed write: ", durable.error().to_string());
    io_.stop();
    return;
  }
  auto recovered = recover_tree(*snapshots_, *log_, tree_options_);
  if (!recovered.ok()) {
    log::error("cannot rebuild the tree from disk: ", recovered.error().to_string());
    io_.stop();
    return;
  }
  tree_ = std::move(recovered->tree);
  last_zxid_ = durable_zxid_ = std::max(*durable, tree_->last_applied_zxid());
  snapshotter_->abandon();
  // Sessions created by lost txns are gone; surviving ones keep their deadlines.
  int64_t now = clock_.monotonic_ms();
  for (const auto& [id, timeout] : tree_->sessions()) {
    if (!tracker_.contains(id)) tracker_.add(id, timeout, now);
  }
  auto conns = connections_;
  for (auto& [id, c] : conns)
    c->close();
  waiting_connections_.clear();
  log::warn("rebuilt the tree from disk at zxid 0x", std::hex, last_zxid_, std::dec,
            " and closed all connections");
}

bool ZkServer::writes_refused() const {
  return storage_failed_;
}

void ZkServer::probe_storage() {
  if (!storage_failed_ || probe_in_flight_ ||
      clock_.monotonic_ms() - last_probe_ms_ < kStorageProbeIntervalMs) {
    return;
  }
  auto durable = commit_log_->reset();  // clears the latched failure; the log reopens on write
  if (!durable.ok()) return;
  last_zxid_ = durable_zxid_ = std::max(*durable, tree_->last_applied_zxid());
  probe_in_flight_ = true;
  last_probe_ms_ = clock_.monotonic_ms();
  datatree::Txn probe{
      datatree::TxnHeader{0, 0, next_zxid(), clock_.wall_ms(), wire::OpCode::kError},
      datatree::ErrorTxn{ErrorCode::kOk}};
  Status submitted = commit_log_->submit(
      storage::LogEntry{probe.header.zxid, datatree::encode_txn(probe)}, [this, probe](Status s) {
        asio::post(io_, [this, probe, s]() { on_probe_logged(probe, s); });
      });
  if (!submitted.ok()) on_probe_logged(probe, submitted);
}

void ZkServer::on_probe_logged(const datatree::Txn& probe, Status status) {
  probe_in_flight_ = false;
  if (stopped_) return;
  if (!status.ok()) {
    last_zxid_ = durable_zxid_;  // the probe's zxid was never used
    return;
  }
  tree_->apply(probe);
  storage_failed_ = false;
  advance_durable(probe.header.zxid);
  log::info("storage writes work again at zxid 0x", std::hex, durable_zxid_, std::dec);
}

// ---- time ----

void ZkServer::schedule_tick() {
  // Session buckets are multiples of tickTime on the monotonic clock: ticking on those
  // boundaries expires a session when its bucket is due, not up to a tick later (ZooKeeper's
  // expirer wakes at the bucket's time too).
  const int64_t tick = config_.tick_time_ms;
  const int64_t delay = tick - clock_.monotonic_ms() % tick + 1;
  tick_timer_.expires_after(std::chrono::milliseconds(delay));
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    on_tick();
    schedule_tick();
  });
}

void ZkServer::on_tick() {
  if (ensemble_) {
    // A snapshot is published once the local log is durable through it.
    snapshotter_->poll(log_durable_zxid_);
    maybe_snapshot();
    // Only the leader orders transactions, so only it expires sessions and reaps nodes
    // (ZooKeeper's followers never do); learners tell it which sessions are alive.
    if (ensemble_->leading()) {
      sessions_heard_.clear();  // what this member heard as a learner, if it was one
      sessions_in_ping_.clear();
      expire_sessions();
      reap_expired_nodes();
    } else if (ensemble_serving_) {
      relay_session_touches(/*refresh=*/true);
    }
    return;
  }
  probe_storage();
  snapshotter_->poll(durable_zxid_);
  maybe_snapshot();  // a burst may have outrun the snapshot that was under way
  if (!storage_failed_) {
    expire_sessions();
    reap_expired_nodes();
  }
}

void ZkServer::expire_sessions() {
  for (SessionId id : tracker_.take_expired(clock_.monotonic_ms())) {
    log::info("expiring session 0x", std::hex, id, std::dec);
    close_session_txn(id);
    auto it = session_connections_.find(id);
    if (it != session_connections_.end()) {
      auto c = connections_.find(it->second);
      if (c != connections_.end()) c->second->close_after_flush();
    }
  }
}

void ZkServer::close_session_txn(SessionId id) {
  tracker_.set_closing(id);
  datatree::Txn txn = tree_->prepare_close_session(id, next_zxid(), clock_.wall_ms());
  if (commit(txn).ok()) {
    tracker_.remove(id);
  } else {
    // Storage is failing: keep the session and try again once it expires anew.
    tracker_.add(id, tree_->sessions().count(id) ? tree_->sessions().at(id) : 0,
                 clock_.monotonic_ms());
  }
}

void ZkServer::reap_expired_nodes() {
  auto paths = tree_->expired_nodes(clock_.wall_ms(), kExpiredNodesPerTickMax);
  for (const auto& path : paths) {
    datatree::RequestContext ctx;
    ctx.is_super = true;
    wire::DeleteRequest del{path, -1};
    datatree::Txn txn = tree_->prepare(wire::OpCode::kDeleteContainer, datatree::WriteRequest(del),
                                       ctx, next_zxid(), clock_.wall_ms());
    if (!commit(txn).ok()) return;
  }
}

void ZkServer::maybe_snapshot() {
  if (txns_since_snapshot_ < snapshot_threshold_ || storage_failed_ ||
      snapshotter_->in_progress()) {
    return;
  }
  if (snapshotter_->start(*tree_)) {
    txns_since_snapshot_ = 0;
    // From now on the log may be purged below this snapshot: no truncation can go below it.
    if (ensemble_) ensemble_->snapshot_persisted(tree_->last_applied_zxid());
  }
}

}  // namespace conclave::server
