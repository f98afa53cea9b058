// ZkServer as an ensemble member's state machine (ensemble::StateMachine): what ZAB commits is
// applied here, what it asks to store is stored here, and a learner's clients are answered in
// the order they asked. The request side (forwarding, the leader preparing forwarded requests)
// is in request_handler.cc.
#include <algorithm>

#include "common/log.h"
#include "datatree/txn.h"
#include "server/forwarded_request.h"
#include "server/recovery.h"
#include "server/zk_server.h"
#include "wire/packet.h"

namespace conclave::server {

using wire::OpCode;

void ZkServer::on_phase(zab::PeerPhase phase, zab::PeerState role) {
  if (phase == zab::PeerPhase::kBroadcast) {
    ensemble_serving_ = true;
    if (role == zab::PeerState::kLeading) {
      session_owners_.clear();  // every client re-attaches after the election
      // A new leader gives every session a full timeout from now (as ZooKeeper's does): it has
      // not heard the touches other members relayed to the old leader.
      const int64_t now = clock_.monotonic_ms();
      for (const auto& [id, timeout] : tree_->sessions()) {
        if (!tracker_.touch(id, now)) tracker_.add(id, timeout, now);
      }
    }
    log::info("serving clients as ", ensemble_->mode(), " at zxid 0x", std::hex, last_zxid_,
              std::dec);
    return;
  }
  if (!ensemble_serving_) return;
  // No longer serving (back to election): ZooKeeper shuts its server down and every client
  // moves on to another member; what this member had not answered stays unanswered.
  ensemble_serving_ = false;
  digests_by_zxid_.clear();  // a former leader's uncommitted states may never be anyone's
  log::info("stopped serving clients (", zab::to_string(phase), ")");
  close_all_connections();
}

void ZkServer::close_all_connections() {
  auto conns = connections_;
  for (auto& [id, c] : conns)
    c->close();
  waiting_connections_.clear();
  pending_connects_.clear();
  pending_syncs_.clear();
  pending_attaches_.clear();
}

void ZkServer::apply_committed(std::vector<zab::Entry> entries) {
  Zxid top = 0;
  for (zab::Entry& e : entries) {
    top = std::max(top, e.zxid);
    // The leader applied its own proposals when it made them.
    if (e.zxid <= tree_->last_applied_zxid()) continue;
    Result<datatree::Txn> txn = datatree::decode_txn(e.data);
    if (!txn.ok() || txn->header.zxid != e.zxid) {
      // The ensemble agreed on an entry this member cannot apply: going on would diverge.
      log::error("cannot apply committed entry 0x", std::hex, e.zxid, std::dec, ": ",
                 txn.ok() ? std::string("its header names another zxid") : txn.error().to_string(),
                 "; stopping this member");
      io_.stop();
      return;
    }
    apply_txn(*txn);
    last_zxid_ = std::max(last_zxid_, e.zxid);
  }
  advance_durable(top);  // committed is what clients may see
}

Status ZkServer::append(std::vector<zab::Entry> entries) {
  for (zab::Entry& e : entries) {
    const Zxid zxid = e.zxid;
    Status submitted =
        commit_log_->submit(storage::LogEntry{zxid, std::move(e.data)}, [this, zxid](Status s) {
          asio::post(io_, [this, zxid, s = std::move(s)]() { on_logged(zxid, s); });
        });
    if (!submitted.ok()) {
      // The executor reports it (Peer::log_write_failed); the tree is rebuilt from disk.
      commit_log_->flush();
      (void)commit_log_->reset();
      Status rebuilt = rebuild_tree_from_disk();
      if (!rebuilt.ok()) log::error("cannot rebuild the tree: ", rebuilt.error().to_string());
      return submitted;
    }
  }
  return Status::success();
}

void ZkServer::on_ensemble_storage_failure(const Error& error) {
  log::error("a log write failed: ", error.to_string(),
             "; rebuilding the tree from disk and rejoining the ensemble");
  commit_log_->flush();
  auto durable = commit_log_->reset();
  if (durable.ok()) log_durable_zxid_ = *durable;
  Status rebuilt = rebuild_tree_from_disk();
  if (!rebuilt.ok()) {
    log::error("cannot rebuild the tree from disk: ", rebuilt.error().to_string());
    io_.stop();
    return;
  }
  ensemble_->log_write_failed();
}

Status ZkServer::rebuild_tree_from_disk() {
  auto recovered = recover_tree(*snapshots_, *log_, tree_options_);
  if (!recovered.ok()) return recovered.error();
  snapshotter_->abandon();
  digests_by_zxid_.clear();
  tree_ = std::move(recovered->tree);
  last_zxid_ = durable_zxid_ = tree_->last_applied_zxid();
  log_durable_zxid_ = std::min(log_durable_zxid_, last_zxid_);
  // The tracker follows the rebuilt sessions; connections are not served meanwhile.
  const int64_t now = clock_.monotonic_ms();
  std::vector<SessionId> gone;
  for (SessionId id : tracker_.ids()) {
    if (!tree_->sessions().contains(id)) gone.push_back(id);
  }
  for (SessionId id : gone)
    tracker_.remove(id);
  for (const auto& [id, timeout] : tree_->sessions()) {
    if (!tracker_.contains(id)) tracker_.add(id, timeout, now);
  }
  close_all_connections();
  log::info("rebuilt the tree from disk at zxid 0x", std::hex, last_zxid_, std::dec);
  return Status::success();
}

Status ZkServer::truncate_to(Zxid zxid) {
  // Earlier appends finish first (their completions clamp to what survives).
  commit_log_->flush();
  Status truncated = log_->truncate_after(zxid);
  if (!truncated.ok()) return truncated;
  auto durable = commit_log_->reset();
  if (!durable.ok()) return durable.error();
  log_durable_zxid_ = *durable;
  Status rebuilt = rebuild_tree_from_disk();
  if (!rebuilt.ok()) return rebuilt;
  if (tree_->last_applied_zxid() != zxid) {
    // A snapshot newer than the truncation point (ACKEPOCH's base_zxid exists to prevent it):
    // the tree no longer matches the log, and syncing on top of it could diverge silently.
    // Stopping is the safe answer; the member rejoins by SNAP once its data directory is
    // cleared.
    log::error("after truncating the log to zxid 0x", std::hex, zxid, " the tree is at 0x",
               tree_->last_applied_zxid(), std::dec,
               " (a snapshot newer than the truncation point); stopping -- clear this member's "
               "dataDir (keep myid) and restart it to resync from the leader");
    io_.stop();
    return Error(ErrorCode::kDataInconsistency, "snapshot newer than the truncation point");
  }
  log::info("truncated the log to zxid 0x", std::hex, zxid, std::dec, " (TRUNC from the leader)");
  return Status::success();
}

Status ZkServer::install_snapshot(Zxid zxid, const std::string& data) {
  commit_log_->flush();
  auto tree = datatree::DataTree::load_snapshot(data, tree_options_);
  if (!tree.ok()) return tree.error();
  if ((*tree)->last_applied_zxid() != zxid) {
    return Error(ErrorCode::kDataInconsistency, "the leader's snapshot is not at its zxid");
  }
  Status written = snapshots_->write(zxid, data);
  if (!written.ok()) return written;
  if (log_->last_zxid() > zxid) {
    Status truncated = log_->truncate_after(zxid);
    if (!truncated.ok()) return truncated;
  }
  auto durable = commit_log_->reset();
  if (!durable.ok()) return durable.error();
  snapshotter_->abandon();
  digests_by_zxid_.clear();
  tree_ = std::move(tree.value());
  last_zxid_ = durable_zxid_ = log_durable_zxid_ = zxid;
  const int64_t now = clock_.monotonic_ms();
  for (const auto& [id, timeout] : tree_->sessions()) {
    if (!tracker_.contains(id)) tracker_.add(id, timeout, now);
  }
  close_all_connections();
  ensemble_->snapshot_persisted(zxid);
  log::info("installed the leader's snapshot at zxid 0x", std::hex, zxid, std::dec, " (",
            data.size(), " bytes, ", tree_->node_count(), " znodes)");
  return Status::success();
}

std::pair<Zxid, std::string> ZkServer::snapshot_for_learner() {
  return {tree_->last_applied_zxid(), tree_->serialize_snapshot()};
}

void ZkServer::on_learner_ping(zab::ServerId from, std::string data) {
  auto ping = decode_learner_ping(data);
  if (!ping.ok()) {
    log::warn("zab: bad ping payload from member ", from, ": ", ping.error().to_string());
    return;
  }
  const int64_t now = clock_.monotonic_ms();
  for (SessionId id : ping->sessions)
    tracker_.touch(id, now);
  // Two members that applied the same zxid must hold the same tree (DESIGN.md invariant 6).
  auto ours = digests_by_zxid_.find(ping->applied_zxid);
  if (ours == digests_by_zxid_.end()) return;
  ++stats_.digest_checks;
  if (ours->second != ping->digest) {
    ++stats_.digest_mismatches;
    log::error("DIVERGENCE: member ", from, " has tree digest ", ping->digest, " at zxid 0x",
               std::hex, ping->applied_zxid, std::dec, ", this leader has ", ours->second,
               " -- the replicas differ; report this with both members' data directories");
  }
}

void ZkServer::remember_digest(Zxid zxid) {
  digests_by_zxid_[zxid] = tree_->digest();
  while (digests_by_zxid_.size() > kDigestsKept)
    digests_by_zxid_.erase(digests_by_zxid_.begin());
}

void ZkServer::relay_session_touches(bool refresh) {
  // What the ping data held has reached the leader once the learner answered a PING since it
  // was set: from then on only what was heard after. (A new leader's term restarts the count,
  // which may drop the last touches once; that leader gives every session a full timeout.)
  const uint64_t answered = ensemble_->pings_answered();
  const bool carried = answered != pings_answered_seen_;
  if (!carried && sessions_heard_.empty() && !refresh) return;
  if (carried) {
    pings_answered_seen_ = answered;
    sessions_in_ping_.clear();
  }
  sessions_in_ping_.merge(sessions_heard_);
  sessions_heard_.clear();
  LearnerPing ping;
  ping.sessions.assign(sessions_in_ping_.begin(), sessions_in_ping_.end());
  ping.applied_zxid = tree_->last_applied_zxid();
  ping.digest = tree_->digest();
  ensemble_->set_ping_data(encode_learner_ping(ping));
}

void ZkServer::schedule_relay() {
  // Often enough that the data a PING answer carries (every tickTime / 2) is at most this old.
  constexpr auto kRelayInterval = std::chrono::milliseconds(50);
  relay_timer_.expires_after(kRelayInterval);
  relay_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    if (ensemble_serving_ && !ensemble_->leading()) relay_session_touches(/*refresh=*/false);
    schedule_relay();
  });
}

void ZkServer::on_syncs_done(uint64_t count) {
  for (uint64_t i = 0; i < count && !pending_syncs_.empty(); ++i) {
    uint64_t conn_id = pending_syncs_.front();
    pending_syncs_.pop_front();
    auto it = connections_.find(conn_id);
    auto attach = pending_attaches_.find(conn_id);
    if (attach != pending_attaches_.end()) {
      PendingAttach a = std::move(attach->second);
      pending_attaches_.erase(attach);
      if (it == connections_.end()) continue;
      if (!tracker_.contains(a.session_id) || tracker_.is_closing(a.session_id)) {
        it->second->close();  // expired meanwhile: the client hears it on its next attempt
        continue;
      }
      finish_handshake(*it->second, a.session_id, a.timeout_ms, std::move(a.password),
                       a.read_only_field, last_zxid_);
      continue;
    }
    if (it == connections_.end()) continue;
    ClientConnection& conn = *it->second;
    if (conn.forwarded.empty() || conn.forwarded.front().op != OpCode::kSync) continue;
    ClientConnection::Forwarded f = std::move(conn.forwarded.front());
    conn.forwarded.pop_front();
    --forwarded_outstanding_;
    // Everything committed before the leader answered is applied here: the answer came after.
    reply(conn,
          wire::encode_reply(wire::ReplyHeader{f.xid, last_zxid_, 0}, wire::SyncResponse{f.path}),
          last_zxid_);
    process_held(conn);
  }
  resume_if_unthrottled();
}

void ZkServer::after_apply_on_learner(const datatree::Txn& txn, datatree::ApplyResult& r) {
  const SessionId sid = txn.header.session_id;
  if (std::holds_alternative<datatree::CreateSessionTxn>(txn.body)) {
    auto pending = pending_connects_.find(sid);
    if (pending == pending_connects_.end()) return;
    auto c = connections_.find(pending->second);
    pending_connects_.erase(pending);
    if (c == connections_.end()) return;
    ClientConnection& conn = *c->second;
    const auto& cs = std::get<datatree::CreateSessionTxn>(txn.body);
    finish_handshake(conn, sid, cs.timeout_ms, cs.password, conn.connect_read_only,
                     txn.header.zxid);
    return;
  }
  auto s = session_connections_.find(sid);
  if (s == session_connections_.end()) return;
  auto c = connections_.find(s->second);
  if (c == connections_.end()) return;
  ClientConnection& conn = *c->second;
  if (std::holds_alternative<datatree::CloseSessionTxn>(txn.body)) {
    // Asked by the client (answer it) or expired by the leader: the connection goes.
    if (!conn.forwarded.empty() && conn.forwarded.front().op == OpCode::kCloseSession) {
      reply(conn,
            wire::encode_reply(wire::ReplyHeader{conn.forwarded.front().xid, txn.header.zxid, 0}),
            txn.header.zxid);
    }
    session_connections_.erase(s);
    conn.session_id = 0;
    forwarded_outstanding_ -=
        std::min<uint64_t>(forwarded_outstanding_, conn.forwarded.size() + conn.held.size());
    conn.forwarded.clear();
    conn.held.clear();
    conn.close_after_flush();
    return;
  }
  if (conn.forwarded.empty() || conn.forwarded.front().xid != txn.header.cxid) return;
  ClientConnection::Forwarded f = std::move(conn.forwarded.front());
  conn.forwarded.pop_front();
  --forwarded_outstanding_;
  reply_write(conn, f.op, f.xid, txn.header.zxid, r);
  process_held(conn);
}

void ZkServer::forward(ClientConnection& conn, std::string_view body, OpCode op, int32_t xid,
                       std::string sync_path) {
  Status sent;
  if (op == OpCode::kSync) {
    sent = ensemble_->request_sync();
    if (sent.ok()) pending_syncs_.push_back(conn.id());
  } else {
    ForwardedRequest fr;
    fr.session_id = conn.session_id;
    fr.connection = conn.id();
    if (op == OpCode::kCloseSession) {
      fr.kind = ForwardedRequest::Kind::kCloseSession;
    } else {
      fr.packet = std::string(body);
      fr.auth_ids = conn.auth_ids;
      fr.is_super = conn.is_super;
    }
    sent = ensemble_->forward(encode_forwarded_request(fr));
  }
  if (!sent.ok()) {
    // The leader is gone: the member leaves broadcast and closes every connection anyway.
    conn.close();
    return;
  }
  conn.forwarded.push_back({xid, op, std::move(sync_path)});
  ++forwarded_outstanding_;
}

void ZkServer::process_held(ClientConnection& conn) {
  // Requests held behind forwarded ones go in order: forwarded ones at once, local ones only
  // once nothing before them is still at the leader.
  while (!conn.held.empty() && !conn.closed()) {
    auto header = wire::decode_request_header(conn.held.front());
    const bool to_leader =
        header.ok() && (wire::is_write(static_cast<OpCode>(header->type)) ||
                        static_cast<OpCode>(header->type) == OpCode::kSync ||
                        static_cast<OpCode>(header->type) == OpCode::kCloseSession);
    if (!to_leader && !conn.forwarded.empty()) return;
    std::string body = std::move(conn.held.front());
    conn.held.pop_front();
    --forwarded_outstanding_;
    handle_request(conn, body, /*replaying=*/true);
  }
}

bool ZkServer::from_session_owner(SessionId id, SessionOwner from) const {
  auto owner = session_owners_.find(id);
  return owner == session_owners_.end() || owner->second == from;
}

}  // namespace conclave::server
