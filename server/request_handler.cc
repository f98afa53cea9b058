// ZkServer's protocol handling: the connect handshake and every request opcode, turned into
// reads of the tree or transactions, with ZooKeeper's replies.
#include <algorithm>

#include <functional>

#include "common/log.h"
#include "datatree/auth.h"
#include "server/forwarded_request.h"
#include "server/zk_server.h"
#include "wire/packet.h"

namespace conclave::server {
namespace {

using wire::OpCode;

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

using wire::is_write;

std::optional<datatree::WriteRequest> to_write_request(wire::RequestBody& body) {
  return std::visit(Overloaded{
                        [](wire::CreateRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](wire::CreateTtlRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](wire::DeleteRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](wire::SetDataRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](wire::SetAclRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](wire::CheckVersionRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](wire::MultiRequest& r) -> std::optional<datatree::WriteRequest> {
                          return std::move(r);
                        },
                        [](auto&) -> std::optional<datatree::WriteRequest> { return std::nullopt; },
                    },
                    body);
}

wire::SetWatches2 to_set_watches2(wire::SetWatches&& w) {
  wire::SetWatches2 out;
  out.relative_zxid = w.relative_zxid;
  out.data_watches = std::move(w.data_watches);
  out.exist_watches = std::move(w.exist_watches);
  out.child_watches = std::move(w.child_watches);
  return out;
}

// The four-letter names ZooKeeper's `cons` shows as `lop`.
std::string_view op_abbreviation(OpCode op) {
  switch (op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      return "CREA";
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      return "DELE";
    case OpCode::kExists:
      return "EXIS";
    case OpCode::kGetData:
      return "GETD";
    case OpCode::kSetData:
      return "SETD";
    case OpCode::kGetAcl:
      return "GETA";
    case OpCode::kSetAcl:
      return "SETA";
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
      return "GETC";
    case OpCode::kSync:
      return "SYNC";
    case OpCode::kPing:
      return "PING";
    case OpCode::kCheck:
      return "CHEC";
    case OpCode::kMulti:
    case OpCode::kMultiRead:
      return "MULT";
    case OpCode::kCloseSession:
      return "CLOS";
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
      return "SETW";
    case OpCode::kAddWatch:
      return "ADDW";
    case OpCode::kRemoveWatches:
    case OpCode::kCheckWatches:
      return "REMW";
    case OpCode::kAuth:
      return "AUTH";
    case OpCode::kGetEphemerals:
      return "GETE";
    case OpCode::kGetAllChildrenNumber:
      return "GACN";
    case OpCode::kWhoAmI:
      return "HOMI";
    default:
      return "UNKN";
  }
}

}  // namespace

datatree::RequestContext ZkServer::context_for(const ClientConnection& conn, int32_t xid) const {
  datatree::RequestContext ctx;
  ctx.session_id = conn.session_id;
  ctx.auth_ids = conn.auth_ids;
  ctx.is_super = conn.is_super;
  ctx.cxid = xid;
  return ctx;
}

void ZkServer::on_packet(ClientConnection& conn, std::string_view body) {
  if (!conn.handshake_done) {
    handle_connect(conn, body);
  } else {
    handle_request(conn, body);
  }
}

void ZkServer::handle_connect(ClientConnection& conn, std::string_view body) {
  if (conn.awaiting_session) {
    // A client sends nothing before its connect is answered.
    log::warn("closing ", conn.remote_endpoint(), ": a packet before the connect response");
    conn.close();
    return;
  }
  if (!accepts_sessions()) {
    // As ZooKeeper does while its server is not running: close right after the connect
    // request; the client tries the next server.
    log::info("refusing session from ", conn.remote_endpoint(), ": not serving");
    conn.close();
    return;
  }
  auto req = wire::decode_connect_request(body);
  if (!req.ok()) {
    log::warn("closing ", conn.remote_endpoint(),
              ": bad connect request: ", req.error().to_string());
    conn.close();
    return;
  }
  if (req->last_zxid_seen > last_zxid_) {
    // The client has seen a newer state than ours (it talked to a member ahead of us).
    log::info("refusing session from ", conn.remote_endpoint(), ": it has seen zxid 0x", std::hex,
              req->last_zxid_seen, ", ours is 0x", last_zxid_, std::dec);
    conn.close();
    return;
  }
  int32_t timeout = session::SessionTracker::negotiate_timeout_ms(
      req->timeout_ms, config_.min_session_timeout(), config_.max_session_timeout());

  if (req->session_id == 0) {
    if (writes_refused()) {
      conn.close();  // a new session needs a transaction; the client will retry
      return;
    }
    SessionId id = id_gen_->next();
    std::string password = session::session_password(id, secret_);
    if (learner_serving()) {
      // The session is created through the leader; the handshake finishes when it commits.
      ForwardedRequest fr;
      fr.kind = ForwardedRequest::Kind::kCreateSession;
      fr.session_id = id;
      fr.connection = conn.id();
      fr.timeout_ms = timeout;
      fr.password = password;
      if (!ensemble_->forward(encode_forwarded_request(fr)).ok()) {
        conn.close();
        return;
      }
      conn.awaiting_session = true;
      conn.connect_read_only = req->has_read_only;
      pending_connects_[id] = conn.id();
      return;
    }
    datatree::Txn txn =
        tree_->prepare_create_session(id, timeout, next_zxid(), clock_.wall_ms(), password);
    if (!commit(txn).ok()) {
      conn.close();
      return;
    }
    if (ensemble_) session_owners_[id] = {config_.my_id, conn.id()};
    finish_handshake(conn, id, timeout, std::move(password), req->has_read_only, txn.header.zxid);
    return;
  }
  SessionId id = req->session_id;
  // The password travels with the session (replicated); sessions from before that are checked
  // against this member's secret.
  const wire::Bytes* stored = tree_->session_password(id);
  bool password_ok = stored != nullptr &&
                     (stored->empty() ? session::check_session_password(id, secret_, req->passwd)
                                      : *stored == req->passwd);
  bool valid = password_ok && tracker_.contains(id) && !tracker_.is_closing(id);
  if (!valid) {
    // ZooKeeper's answer to an expired or unknown session: all zeros, then close.
    log::info("session 0x", std::hex, id, std::dec, " from ", conn.remote_endpoint(),
              " is expired or invalid");
    wire::ConnectResponse resp;
    resp.has_read_only = req->has_read_only;
    resp.passwd.assign(session::kPasswordBytes, '\0');
    reply(conn, wire::encode_connect_response(resp), last_zxid_);
    conn.close_after_flush();
    return;
  }
  // The session moves to this connection; an older connection of it is closed.
  auto old = session_connections_.find(id);
  if (old != session_connections_.end() && old->second != conn.id()) {
    auto c = connections_.find(old->second);
    if (c != connections_.end()) {
      c->second->session_id = 0;
      c->second->close();
    }
  }
  tracker_.touch(id, clock_.monotonic_ms());
  std::string password = stored->empty() ? session::session_password(id, secret_) : *stored;
  if (learner_serving()) {
    // Kazoo numbers a new connection's requests from 1 again: a write its old connection
    // forwarded could still commit and be taken for this connection's request with the same
    // xid. So the leader hears that the session is here now (and drops later writes from the
    // old connection), and the handshake waits for a SYNC sent after that: every write the
    // leader took before is applied here by then.
    ForwardedRequest fr;
    fr.kind = ForwardedRequest::Kind::kAttachSession;
    fr.session_id = id;
    fr.connection = conn.id();
    if (!ensemble_->forward(encode_forwarded_request(fr)).ok() || !ensemble_->request_sync().ok()) {
      conn.close();
      return;
    }
    pending_syncs_.push_back(conn.id());
    pending_attaches_[conn.id()] = {id, timeout, std::move(password), req->has_read_only};
    conn.awaiting_session = true;
    return;
  }
  if (ensemble_) session_owners_[id] = {config_.my_id, conn.id()};
  finish_handshake(conn, id, timeout, std::move(password), req->has_read_only, last_zxid_);
}

void ZkServer::finish_handshake(ClientConnection& conn, SessionId id, int32_t timeout_ms,
                                std::string password, bool read_only_field, Zxid required) {
  wire::ConnectResponse resp;
  resp.has_read_only = read_only_field;
  resp.read_only = false;
  resp.session_id = id;
  resp.timeout_ms = timeout_ms;
  resp.passwd = std::move(password);
  conn.awaiting_session = false;
  conn.session_id = id;
  conn.session_timeout_ms = timeout_ms;
  conn.handshake_done = true;
  conn.auth_ids = {wire::Id{"ip", conn.remote_ip()}};
  session_connections_[id] = conn.id();
  if (ensemble_ && !ensemble_->leading()) sessions_heard_.insert(id);
  reply(conn, wire::encode_connect_response(resp), required);
}

void ZkServer::reply_write(ClientConnection& conn, OpCode op, int32_t xid, Zxid zxid,
                           datatree::ApplyResult& r) {
  auto header_only = [&](ErrorCode err) {
    reply(conn, wire::encode_reply(wire::ReplyHeader{xid, zxid, to_int(err)}), zxid);
  };
  // A failed multi still answers OK in the header; its errors are in the per-op results.
  if (r.err != ErrorCode::kOk && op != OpCode::kMulti) {
    header_only(r.err);
    return;
  }
  wire::ReplyHeader h{xid, zxid, 0};
  switch (op) {
    case OpCode::kCreate:
      reply(conn, wire::encode_reply(h, wire::CreateResponse{r.path}), zxid);
      break;
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      reply(conn, wire::encode_reply(h, wire::Create2Response{r.path, r.stat}), zxid);
      break;
    case OpCode::kSetData:
      reply(conn, wire::encode_reply(h, wire::SetDataResponse{r.stat}), zxid);
      break;
    case OpCode::kSetAcl:
      reply(conn, wire::encode_reply(h, wire::SetAclResponse{r.stat}), zxid);
      break;
    case OpCode::kMulti:
      reply(conn, wire::encode_reply(h, wire::MultiResponse{std::move(r.multi_results)}), zxid);
      break;
    default:  // delete, check, deleteContainer
      header_only(ErrorCode::kOk);
      break;
  }
}

void ZkServer::handle_request(ClientConnection& conn, std::string_view body, bool replaying) {
  int64_t started = clock_.monotonic_ms();
  auto decoded = wire::decode_request(body);
  if (!decoded.ok()) {
    auto header = wire::decode_request_header(body);
    if (header.ok() && decoded.code() == ErrorCode::kUnimplemented) {
      log::warn(conn.remote_endpoint(), ": unknown opcode ", header->type);
      reply(conn,
            wire::encode_reply(
                wire::ReplyHeader{header->xid, last_zxid_, to_int(ErrorCode::kUnimplemented)}),
            last_zxid_);
      conn.close_after_flush();  // as ZooKeeper does; the session itself stays
      return;
    }
    // A record we cannot read: the stream can no longer be trusted (ZooKeeper closes too).
    log::warn("closing ", conn.remote_endpoint(), ": ", decoded.error().to_string());
    conn.close();
    return;
  }
  wire::DecodedRequest& req = decoded.value();
  const int32_t xid = req.header.xid;
  const auto op = static_cast<OpCode>(req.header.type);
  SessionId sid = conn.session_id;
  if (ensemble_ && !ensemble_->leading()) sessions_heard_.insert(sid);
  if (!tracker_.touch(sid, started) && op != OpCode::kCloseSession) {
    // The session expired or is closing while the connection lingers.
    reply(
        conn,
        wire::encode_reply(wire::ReplyHeader{xid, last_zxid_, to_int(ErrorCode::kSessionExpired)}),
        last_zxid_);
    conn.close_after_flush();
    return;
  }

  auto header_only = [&](ErrorCode err, Zxid zxid) {
    reply(conn, wire::encode_reply(wire::ReplyHeader{xid, zxid, to_int(err)}), zxid);
  };
  if (learner_serving()) {
    // A session's requests are answered in the order sent: what goes to the leader (writes,
    // sync, close) goes at once unless something is held; everything else waits until nothing
    // before it is still at the leader.
    const bool to_leader = is_write(op) || op == OpCode::kSync || op == OpCode::kCloseSession;
    if (!replaying && (!conn.held.empty() || (!to_leader && !conn.forwarded.empty()))) {
      conn.held.emplace_back(body);
      ++forwarded_outstanding_;  // waiting too: it counts toward globalOutstandingLimit
      return;
    }
    if (to_leader) {
      if (is_write(op) && !to_write_request(req.body)) {
        header_only(ErrorCode::kMarshallingError, last_zxid_);
        return;
      }
      std::string path;
      if (auto* sync = std::get_if<wire::SyncRequest>(&req.body)) path = sync->path;
      conn.last_op = std::string(op_abbreviation(op));
      conn.last_cxid = xid;
      forward(conn, body, op, xid, std::move(path));
      return;
    }
  }
  // Per-request statistics for `cons`/`stat`/`mntr`, kept whichever way the request ends.
  conn.last_op = std::string(op_abbreviation(op));
  conn.last_cxid = xid;
  struct OnExit {
    std::function<void()> run;
    ~OnExit() { run(); }
  } record_stats{[&]() {
    int64_t ms = clock_.monotonic_ms() - started;
    conn.last_latency_ms = ms;
    conn.latency.record(ms);
    conn.last_zxid = last_zxid_;
    conn.last_response_wall_ms = clock_.wall_ms();
    stats_.latency.record(ms);
  }};

  if (is_write(op)) {
    if (ensemble_ && !from_session_owner(sid, {config_.my_id, conn.id()})) {
      // The session has moved to another connection since this one was read: the client no
      // longer listens here, and the write must not commit with an xid the new one may use.
      conn.close();
      return;
    }
    if (writes_refused()) {
      // Answered from durable state only: a probe may be in flight past it.
      header_only(ErrorCode::kSystemError, durable_zxid_);
      return;
    }
    auto write = to_write_request(req.body);
    if (!write) {
      header_only(ErrorCode::kMarshallingError, last_zxid_);
      return;
    }
    datatree::Txn txn =
        tree_->prepare(op, *write, context_for(conn, xid), next_zxid(), clock_.wall_ms());
    auto committed = commit(txn);
    if (!committed.ok()) {
      header_only(committed.code(), durable_zxid_);  // nothing new was applied
      return;
    }
    reply_write(conn, op, xid, txn.header.zxid, committed.value());
    return;
  }

  const Zxid zxid = last_zxid_;
  wire::ReplyHeader h{xid, zxid, 0};
  datatree::RequestContext ctx = context_for(conn, xid);
  const uint64_t watcher = conn.id();
  auto answer = [&](const auto& result, auto&& make_body) {
    if (!result.ok()) {
      header_only(result.code(), zxid);
    } else {
      reply(conn, wire::encode_reply(h, make_body(result.value())), zxid);
    }
  };

  std::visit(
      Overloaded{
          [&](wire::NoBody&) {
            switch (op) {
              case OpCode::kPing:
                reply(conn, wire::encode_reply(wire::ReplyHeader{wire::xid::kPing, zxid, 0}), zxid);
                break;
              case OpCode::kCloseSession: {
                if (sid != 0 && tracker_.contains(sid) && !tracker_.is_closing(sid)) {
                  close_session_txn(sid);
                }
                header_only(ErrorCode::kOk, last_zxid_);
                session_connections_.erase(sid);
                conn.session_id = 0;
                conn.close_after_flush();
                break;
              }
              case OpCode::kWhoAmI: {
                // As ZooKeeper's AuthUtil.getClientInfos: one entry per authenticated id, the
                // user as its provider names it (digest: the part before ':'); the super user
                // also holds the id ("super", "").
                wire::WhoAmIResponse who;
                for (const auto& id : conn.auth_ids) {
                  if (id.scheme == "digest") {
                    if (!config_.super_digest.empty() && id.id == config_.super_digest)
                      who.client_info.push_back({"super", ""});
                    who.client_info.push_back({id.scheme, id.id.substr(0, id.id.find(':'))});
                  } else {
                    who.client_info.push_back({id.scheme, id.id});
                  }
                }
                reply(conn, wire::encode_reply(h, who), zxid);
                break;
              }
              default:
                header_only(ErrorCode::kUnimplemented, zxid);
            }
          },
          [&](wire::ExistsRequest& r) {
            answer(tree_->exists(r, ctx, watcher), [](const wire::ExistsResponse& v) { return v; });
          },
          [&](wire::GetDataRequest& r) {
            answer(tree_->get_data(r, ctx, watcher),
                   [](const wire::GetDataResponse& v) { return v; });
          },
          [&](wire::GetChildrenRequest& r) {
            auto result = tree_->get_children(r, ctx, watcher);
            if (op == OpCode::kGetChildren) {
              answer(result, [](const wire::GetChildren2Response& v) {
                return wire::GetChildrenResponse{v.children};
              });
            } else {
              answer(result, [](const wire::GetChildren2Response& v) { return v; });
            }
          },
          [&](wire::GetAclRequest& r) {
            answer(tree_->get_acl(r, ctx), [](const wire::GetAclResponse& v) { return v; });
          },
          [&](wire::SyncRequest& r) {
            // Standalone: this member is the leader, so it is always caught up.
            reply(conn, wire::encode_reply(h, wire::SyncResponse{r.path}), zxid);
          },
          [&](wire::GetEphemeralsRequest& r) {
            wire::GetEphemeralsResponse resp{tree_->get_ephemerals(sid, r.prefix_path)};
            reply(conn, wire::encode_reply(h, resp), zxid);
          },
          [&](wire::GetAllChildrenNumberRequest& r) {
            answer(tree_->get_all_children_number(r.path, ctx),
                   [](int32_t n) { return wire::GetAllChildrenNumberResponse{n}; });
          },
          [&](wire::MultiRequest& r) {  // multiRead
            wire::MultiResponse resp{tree_->multi_read(r, ctx, watcher)};
            reply(conn, wire::encode_reply(h, resp), zxid);
          },
          [&](wire::AddWatchRequest& r) {
            // ZooKeeper answers a successful addWatch with an ErrorResponse body (err 0) after
            // the header, and the Java client reads it: without it, it drops the connection.
            Status s = tree_->add_watch(r, watcher);
            if (!s.ok()) {
              header_only(s.code(), zxid);
              return;
            }
            reply(conn, wire::encode_reply(h, wire::ErrorResponse{0}), zxid);
          },
          [&](wire::CheckWatchesRequest& r) {
            ErrorCode err = tree_->watches().check_watches(
                r.path, static_cast<wire::WatcherType>(r.type), watcher);
            header_only(err, zxid);
          },
          [&](wire::RemoveWatchesRequest& r) {
            ErrorCode err = tree_->watches().remove_watches(
                r.path, static_cast<wire::WatcherType>(r.type), watcher);
            header_only(err, zxid);
          },
          [&](wire::SetWatches& r) {
            for (auto& ev : tree_->set_watches(to_set_watches2(std::move(r)), watcher)) {
              conn.send(wire::encode_notification(ev.zxid, ev.event), zxid);
            }
            // The request's own xid back, as ZooKeeper does: the C client sends -8, but the
            // Java client's NIO socket numbers it like any request and checks the order.
            reply(conn, wire::encode_reply(wire::ReplyHeader{xid, zxid, 0}), zxid);
          },
          [&](wire::SetWatches2& r) {
            for (auto& ev : tree_->set_watches(r, watcher)) {
              conn.send(wire::encode_notification(ev.zxid, ev.event), zxid);
            }
            reply(conn, wire::encode_reply(wire::ReplyHeader{xid, zxid, 0}), zxid);
          },
          [&](wire::AuthPacket& r) {
            if (r.scheme == "digest") {
              // ZooKeeper accepts any credential: without ':' the whole string is the user.
              wire::Id id{"digest", datatree::digest_id(r.auth)};
              if (std::find(conn.auth_ids.begin(), conn.auth_ids.end(), id) == conn.auth_ids.end())
                conn.auth_ids.push_back(id);
              if (!config_.super_digest.empty() && id.id == config_.super_digest)
                conn.is_super = true;
              reply(conn, wire::encode_reply(wire::ReplyHeader{wire::xid::kAuth, zxid, 0}), zxid);
              return;
            }
            if (r.scheme == "ip") {  // the ip provider authenticates by the peer address
              reply(conn, wire::encode_reply(wire::ReplyHeader{wire::xid::kAuth, zxid, 0}), zxid);
              return;
            }
            ++stats_.auth_failed_count;
            log::warn(conn.remote_endpoint(), ": authentication with scheme '", r.scheme,
                      "' failed");
            reply(conn,
                  wire::encode_reply(
                      wire::ReplyHeader{wire::xid::kAuth, zxid, to_int(ErrorCode::kAuthFailed)}),
                  zxid);
            conn.close_after_flush();
          },
          [&](wire::ReconfigRequest&) { header_only(ErrorCode::kReconfigDisabled, zxid); },
          [&](auto&) { header_only(ErrorCode::kUnimplemented, zxid); },
      },
      req.body);
}

// ---- the leader: requests learners forwarded (REQUEST) ----

void ZkServer::on_forwarded_request(zab::ServerId from, std::string request) {
  auto fr = decode_forwarded_request(request);
  if (!fr.ok()) {
    log::warn("zab: bad forwarded request from member ", from, ": ", fr.error().to_string());
    return;
  }
  const SessionId sid = fr->session_id;
  switch (fr->kind) {
    case ForwardedRequest::Kind::kCreateSession: {
      session_owners_[sid] = {from, fr->connection};
      if (tree_->sessions().contains(sid)) return;  // a resend: it exists already
      datatree::Txn txn = tree_->prepare_create_session(sid, fr->timeout_ms, next_zxid(),
                                                        clock_.wall_ms(), fr->password);
      (void)commit(txn);
      return;
    }
    case ForwardedRequest::Kind::kCloseSession:
      if (tracker_.contains(sid) && !tracker_.is_closing(sid)) close_session_txn(sid);
      return;
    case ForwardedRequest::Kind::kAttachSession:
      if (tree_->sessions().contains(sid)) session_owners_[sid] = {from, fr->connection};
      return;
    case ForwardedRequest::Kind::kWrite:
      if (!from_session_owner(sid, {from, fr->connection})) {
        log::info("dropping a write of session 0x", std::hex, sid, std::dec,
                  " forwarded by member ", from,
                  ": the session has moved to another connection since");
        return;
      }
      break;
  }
  auto decoded = wire::decode_request(fr->packet);
  if (!decoded.ok()) {
    log::warn("zab: undecodable request forwarded by member ", from, ": ",
              decoded.error().to_string());
    return;
  }
  const int32_t xid = decoded->header.xid;
  const auto op = static_cast<OpCode>(decoded->header.type);
  auto write = to_write_request(decoded->body);
  datatree::Txn txn;
  if (!write) {
    return;  // the learner forwards writes only
  }
  if (!tracker_.contains(sid) || tracker_.is_closing(sid)) {
    // The session expired meanwhile: the learner's client hears it through the log, in order.
    txn =
        datatree::Txn{datatree::TxnHeader{sid, xid, next_zxid(), clock_.wall_ms(), OpCode::kError},
                      datatree::ErrorTxn{ErrorCode::kSessionExpired}};
  } else {
    tracker_.touch(sid, clock_.monotonic_ms());
    datatree::RequestContext ctx;
    ctx.session_id = sid;
    ctx.auth_ids = fr->auth_ids;
    ctx.is_super = fr->is_super;
    ctx.cxid = xid;
    txn = tree_->prepare(op, *write, ctx, next_zxid(), clock_.wall_ms());
  }
  (void)commit(txn);
}

}  // namespace conclave::server
