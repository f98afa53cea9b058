#include "client/session_core.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace conclave::client {
namespace {

constexpr int32_t kProtocolVersion = 0;
constexpr int64_t kNever = INT64_MAX;

Error closed_error() {
  return Error(ErrorCode::kConnectionLoss, "the client handle is closed");
}

// The request header at the start of a frame is {int xid, int type}; the xid is patched in
// when the request is written, so xids follow the order on the wire.
void patch_xid(Bytes& frame, int32_t xid) {
  const auto u = static_cast<uint32_t>(xid);
  frame[wire::kFrameLengthBytes + 0] = static_cast<char>(u >> 24);
  frame[wire::kFrameLengthBytes + 1] = static_cast<char>(u >> 16);
  frame[wire::kFrameLengthBytes + 2] = static_cast<char>(u >> 8);
  frame[wire::kFrameLengthBytes + 3] = static_cast<char>(u);
}

}  // namespace

std::string_view session_state_name(SessionState s) {
  switch (s) {
    case SessionState::kConnecting:
      return "connecting";
    case SessionState::kConnected:
      return "connected";
    case SessionState::kConnectedReadOnly:
      return "connected_read_only";
    case SessionState::kDisconnected:
      return "disconnected";
    case SessionState::kExpired:
      return "expired";
    case SessionState::kAuthFailed:
      return "auth_failed";
    case SessionState::kClosed:
      return "closed";
  }
  return "unknown";
}

int64_t SessionCore::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SessionCore::SessionCore(ConnectString cs, ClientOptions options)
    : options_(std::move(options)),
      chroot_(std::move(cs.chroot)),
      hosts_(std::move(cs.hosts), options_.shuffle_seed),
      work_(asio::make_work_guard(io_)),
      socket_(io_),
      resolver_(io_),
      timer_(io_) {
  session_id_ = options_.session_id;
  session_password_ = options_.session_password;
  backoff_ms_ = options_.reconnect_backoff_initial_ms;
  asio::post(io_, [this] { start_connect(); });
  io_thread_ = std::thread([this] { io_.run(); });
}

SessionCore::~SessionCore() {
  close();
}

std::string SessionCore::session_password() const {
  std::lock_guard lock(state_mu_);
  return session_password_;
}

// ---- Submission (any thread) ----

void SessionCore::submit(Call call) {
  const int64_t d =
      call.deadline.count() > 0 ? call.deadline.count() : options_.default_deadline_ms;
  // +1: now_ms() truncates, and a deadline must never fire before the time asked for.
  call.deadline_at_ms = now_ms() + d + 1;
  std::unique_lock lock(accept_mu_);
  if (!accepting_) {
    lock.unlock();
    submit_error(std::move(call.handler), closed_error());
    return;
  }
  asio::post(io_, [this, c = std::move(call)]() mutable { on_submit(std::move(c)); });
}

void SessionCore::submit_error(ReplyHandler handler, Error error) {
  // The handler only decodes and hands the result to deliver(), so running it here is safe.
  handler(Result<Reply>(std::move(error)));
}

void SessionCore::deliver(bool inline_delivery, std::function<void()> fn) {
  if (inline_delivery || !callbacks_.post(fn)) fn();
}

Status SessionCore::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_mu_);
  const bool done = state_cv_.wait_for(lock, timeout, [&] {
    const SessionState s = state_.load();
    return s == SessionState::kConnected || s == SessionState::kConnectedReadOnly || is_terminal(s);
  });
  const SessionState s = state_.load();
  if (!done) return Error(ErrorCode::kOperationTimeout, "not connected in time");
  switch (s) {
    case SessionState::kExpired:
      return Error(ErrorCode::kSessionExpired, "the session expired");
    case SessionState::kAuthFailed:
      return Error(ErrorCode::kAuthFailed, "authentication failed");
    case SessionState::kClosed:
      return closed_error();
    default:
      return Status::success();
  }
}

// ---- Close ----

void SessionCore::close() {
  std::unique_lock lock(close_mu_, std::defer_lock);
  if (callbacks_.on_callback_thread()) {
    // Another thread is closing and will join this thread: waiting for it here would
    // deadlock, and returning lets it finish.
    if (!lock.try_lock()) return;
  } else {
    lock.lock();
  }
  if (closed_) return;
  closed_ = true;
  std::future<void> done = close_done_.get_future();
  asio::post(io_, [this] { begin_close(); });
  done.wait();
  io_thread_.join();
  callbacks_.stop();
}

void SessionCore::begin_close() {
  closing_ = true;
  if (phase_ != Phase::kConnected) {
    finish_close();
    return;
  }
  Call c;
  c.op = wire::OpCode::kCloseSession;
  c.frame = wire::encode_request(wire::RequestHeader{0, to_int(wire::OpCode::kCloseSession)});
  c.deadline_at_ms = now_ms() + options_.close_timeout_ms;
  // Whatever the answer (or a timeout, or the connection dropping), the handle is done.
  c.handler = [this](Result<Reply>) { finish_close(); };
  on_submit(std::move(c));
}

void SessionCore::finish_close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  ++generation_;
  {
    std::lock_guard lock(accept_mu_);
    accepting_ = false;
  }
  fail_all(closed_error());
  watches_.clear();
  boost::system::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  timer_.cancel();
  set_state(SessionState::kClosed);
  work_.reset();
  close_done_.set_value();
}

// ---- Requests ----

void SessionCore::on_submit(Call call) {
  Pending p;
  p.call = std::move(call);
  switch (phase_) {
    case Phase::kClosed:
      complete(p, closed_error());
      return;
    case Phase::kDead:
      complete(p, state_.load() == SessionState::kAuthFailed
                      ? Error(ErrorCode::kAuthFailed, "authentication failed")
                      : Error(ErrorCode::kSessionExpired, "the session expired"));
      return;
    default:
      break;
  }
  if (closing_ && p.call.op != wire::OpCode::kCloseSession) {
    complete(p, closed_error());
    return;
  }
  const size_t pending = unsent_.size() + sent_.size() + auth_sent_.size();
  if (pending >= options_.max_pending_requests) {
    complete(
        p, Error(ErrorCode::kThrottledOp, "too many requests pending (max_pending_requests = " +
                                              std::to_string(options_.max_pending_requests) + ")"));
    return;
  }
  p.deadline_ms = p.call.deadline_at_ms;
  const int64_t deadline = p.deadline_ms;
  unsent_.push_back(std::move(p));
  if (phase_ == Phase::kConnected) flush_unsent();
  if (deadline < timer_due_ms_) arm_timer_at(deadline);
}

void SessionCore::complete(Pending& p, Result<Reply> r) {
  if (!p.call.handler) return;
  ReplyHandler h = std::move(p.call.handler);
  p.call.handler = nullptr;
  h(std::move(r));
}

void SessionCore::fail_all(const Error& error) {
  for (auto* q : {&sent_, &auth_sent_, &unsent_}) {
    std::deque<Pending> items = std::move(*q);
    q->clear();
    for (Pending& p : items)
      complete(p, error);
  }
  resent_auths_outstanding_ = 0;
}

void SessionCore::flush_unsent() {
  while (!unsent_.empty()) {
    Pending p = std::move(unsent_.front());
    unsent_.pop_front();
    if (p.call.op == wire::OpCode::kAuth) {
      // The frame carries xid -4 already; remember the packet for later reconnects.
      out_pending_ += p.call.frame;
      wire::JuteReader r(std::string_view(p.call.frame)
                             .substr(wire::kFrameLengthBytes + wire::kRequestHeaderBytes));
      wire::AuthPacket a;
      wire::decode(r, a);
      auths_.push_back(std::move(a));
      auth_sent_.push_back(std::move(p));
      continue;
    }
    p.xid = next_xid_;
    next_xid_ = next_xid_ == INT32_MAX ? limits::kFirstXid : next_xid_ + 1;
    patch_xid(p.call.frame, p.xid);
    out_pending_ += p.call.frame;
    p.call.frame.clear();
    p.call.frame.shrink_to_fit();
    sent_.push_back(std::move(p));
  }
  start_write();
}

void SessionCore::send_raw(Bytes frame) {
  out_pending_ += frame;
  last_send_ms_ = now_ms();  // also when a write is in flight, or pings would repeat
  start_write();
}

void SessionCore::start_write() {
  if (writing_ || out_pending_.empty()) return;
  auto buf = std::make_shared<Bytes>(std::move(out_pending_));
  out_pending_.clear();
  writing_ = true;
  last_send_ms_ = now_ms();
  const uint64_t gen = generation_;
  asio::async_write(socket_, asio::buffer(*buf),
                    [this, buf, gen](const boost::system::error_code& ec, size_t) {
                      if (gen != generation_) return;
                      writing_ = false;
                      if (ec) {
                        connection_lost("write failed: " + ec.message());
                        return;
                      }
                      start_write();
                    });
}

// ---- Connecting ----

void SessionCore::start_connect() {
  if (phase_ == Phase::kDead || phase_ == Phase::kClosed) return;
  phase_ = Phase::kConnecting;
  ++generation_;
  const uint64_t gen = generation_;
  decoder_ = wire::FrameDecoder(limits::kMaxReplyBytes);
  const HostPort& hp = hosts_.next();
  attempt_deadline_ms_ = now_ms() + attempt_timeout_ms();
  log::debug("client: connecting to ", hp.host, ":", hp.port);
  resolver_.async_resolve(
      hp.host, std::to_string(hp.port),
      [this, gen](const boost::system::error_code& ec, asio::ip::tcp::resolver::results_type res) {
        if (gen != generation_) return;
        if (ec) {
          connection_lost("resolve failed: " + ec.message());
          return;
        }
        asio::async_connect(
            socket_, res,
            [this, gen](const boost::system::error_code& ec2, const asio::ip::tcp::endpoint&) {
              if (gen != generation_) return;
              if (ec2) {
                connection_lost("connect failed: " + ec2.message());
                return;
              }
              on_connected_socket();
            });
      });
  arm_timer();
}

// A server that took the TCP connection may still never answer the ConnectRequest (Apache
// ZooKeeper 3.8.0 does so with a connection that arrives while it starts up: it fails to close
// it, ZOOKEEPER-5051). An attempt that hears nothing for 2/3 of the session timeout is given
// up, as ZooKeeper's C client does (its connect shares the 2/3 read timeout), leaving the last
// third to re-attach before the server expires the session; with several hosts, ZooKeeper's
// Java rule (the timeout split between them) is the shorter one.
int64_t SessionCore::attempt_timeout_ms() const {
  if (options_.connect_timeout_ms > 0) return options_.connect_timeout_ms;
  const int64_t session_ms =
      session_established_ ? negotiated_timeout_ms_.load() : options_.session_timeout_ms;
  return std::min<int64_t>(session_ms * 2 / 3, session_ms / static_cast<int64_t>(hosts_.size()));
}

void SessionCore::on_connected_socket() {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  phase_ = Phase::kHandshaking;
  wire::ConnectRequest req;
  req.protocol_version = kProtocolVersion;
  req.last_zxid_seen = last_zxid_seen_.load();
  req.timeout_ms = options_.session_timeout_ms;
  req.session_id = session_id_.load();
  {
    std::lock_guard lock(state_mu_);
    req.passwd = session_password_;
  }
  if (req.passwd.empty()) req.passwd = Bytes(wire::kSessionPasswdBytes, '\0');
  req.read_only = options_.read_only;
  req.has_read_only = true;
  log::debug("client: connected, asking for session ", req.session_id, " (last zxid seen ",
             req.last_zxid_seen, ")");
  send_raw(wire::encode_connect_request(req));
  start_read();
}

void SessionCore::start_read() {
  const uint64_t gen = generation_;
  socket_.async_read_some(
      asio::buffer(read_buf_), [this, gen](const boost::system::error_code& ec, size_t n) {
        if (gen != generation_) return;
        if (ec) {
          connection_lost(ec == asio::error::eof ? "server closed the connection"
                                                 : "read failed: " + ec.message());
          return;
        }
        decoder_.append(std::string_view(read_buf_.data(), n));
        for (;;) {
          auto next = decoder_.next();
          if (!next.ok()) {
            connection_lost("bad frame from server: " + next.error().to_string());
            return;
          }
          if (!next->has_value()) break;
          on_frame(**next);
          if (gen != generation_) return;  // the frame ended this connection
        }
        start_read();
      });
}

void SessionCore::on_frame(std::string_view body) {
  if (phase_ == Phase::kHandshaking) {
    on_handshake(body);
    return;
  }
  last_recv_ms_ = now_ms();
  wire::JuteReader r(body);
  wire::ReplyHeader h;
  wire::decode(r, h);
  if (!r.ok()) {
    connection_lost("short reply header");
    return;
  }
  switch (h.xid) {
    case wire::xid::kNotification:
      on_notification(h, r);
      return;
    case wire::xid::kPing:
      return;
    case wire::xid::kAuth:
      on_auth_reply(h);
      return;
    case wire::xid::kSetWatches:
      if (h.err != 0) log::warn("client: setWatches2 refused: ", error_message(ErrorCode(h.err)));
      return;
    default:
      on_reply(h, body.substr(r.position()));
  }
}

void SessionCore::on_handshake(std::string_view body) {
  auto resp = wire::decode_connect_response(body);
  if (!resp.ok()) {
    connection_lost("bad connect response: " + resp.error().to_string());
    return;
  }
  if (resp->timeout_ms <= 0) {
    // ZooKeeper's answer to an unknown or expired session: all zeros.
    enter_terminal(Phase::kDead, SessionState::kExpired, ErrorCode::kSessionExpired,
                   "the server reports the session expired");
    return;
  }
  log::debug("client: session ", resp->session_id, " established, timeout ", resp->timeout_ms,
             " ms");
  phase_ = Phase::kConnected;
  session_established_ = true;
  last_recv_ms_ = now_ms();
  negotiated_timeout_ms_ = resp->timeout_ms;
  {
    std::lock_guard lock(state_mu_);
    session_password_ = resp->passwd;
  }
  session_id_ = resp->session_id;
  hosts_.on_connected();
  backoff_ms_ = options_.reconnect_backoff_initial_ms;
  set_state(resp->read_only ? SessionState::kConnectedReadOnly : SessionState::kConnected);
  prime_connection();
  arm_timer();
}

// Re-registers every watch (setWatches2, relative to the last zxid seen, so the server fires
// at once what changed while we were away) and every auth, before any queued request.
void SessionCore::prime_connection() {
  using Kind = WatchRegistry::Kind;
  if (!watches_.empty()) {
    auto server_paths = [&](Kind k) {
      std::vector<std::string> out = watches_.paths(k);
      for (std::string& p : out)
        p = chroot_.prepend(p);
      return out;
    };
    struct Source {
      std::vector<std::string> paths;
      std::vector<std::string> wire::SetWatches2::*field;
    };
    Source sources[] = {
        {server_paths(Kind::kData), &wire::SetWatches2::data_watches},
        {server_paths(Kind::kExist), &wire::SetWatches2::exist_watches},
        {server_paths(Kind::kChild), &wire::SetWatches2::child_watches},
        {server_paths(Kind::kPersistent), &wire::SetWatches2::persistent_watches},
        {server_paths(Kind::kPersistentRecursive),
         &wire::SetWatches2::persistent_recursive_watches},
    };
    wire::SetWatches2 sw;
    sw.relative_zxid = last_zxid_seen_.load();
    size_t bytes = 0;
    auto flush = [&] {
      send_raw(wire::encode_request(
          wire::RequestHeader{wire::xid::kSetWatches, to_int(wire::OpCode::kSetWatches2)}, sw));
      sw = wire::SetWatches2{};
      sw.relative_zxid = last_zxid_seen_.load();
      bytes = 0;
    };
    for (Source& s : sources) {
      for (std::string& p : s.paths) {
        const size_t cost = p.size() + 4;
        if (bytes > 0 && bytes + cost > limits::kSetWatchesMaxBytes) flush();
        (sw.*s.field).push_back(std::move(p));
        bytes += cost;
      }
    }
    if (bytes > 0) flush();
  }
  for (const wire::AuthPacket& a : auths_) {
    send_raw(wire::encode_request(
        wire::RequestHeader{wire::xid::kAuth, to_int(wire::OpCode::kAuth)}, a));
    ++resent_auths_outstanding_;
  }
  flush_unsent();
}

// ---- Replies and events ----

void SessionCore::on_notification(const wire::ReplyHeader&, wire::JuteReader& r) {
  wire::WatcherEvent ev;
  wire::decode(r, ev);
  if (!r.ok()) {
    connection_lost("bad watch notification");
    return;
  }
  const auto type = static_cast<wire::EventType>(ev.type);
  if (type == wire::EventType::kNone) return;  // state changes are the client's own business
  WatchedEvent event{type, chroot_.strip(ev.path)};
  std::vector<Watcher> targets = watches_.take_for_event(type, event.path);
  if (targets.empty()) return;
  deliver(false, [targets = std::move(targets), event = std::move(event)] {
    for (const Watcher& w : targets)
      w(event);
  });
}

void SessionCore::on_auth_reply(const wire::ReplyHeader& h) {
  std::optional<Pending> p;
  if (resent_auths_outstanding_ > 0) {
    --resent_auths_outstanding_;
  } else if (!auth_sent_.empty()) {
    p = std::move(auth_sent_.front());
    auth_sent_.pop_front();
    if (p->abandoned) p.reset();
  }
  if (h.err == to_int(ErrorCode::kAuthFailed)) {
    // The server closes the connection after refusing credentials, and would refuse them
    // again on every reconnect: the handle is dead, as ZooKeeper's client declares it.
    if (p) complete(*p, Error(ErrorCode::kAuthFailed, "the server refused the credentials"));
    enter_terminal(Phase::kDead, SessionState::kAuthFailed, ErrorCode::kAuthFailed,
                   "authentication failed");
    return;
  }
  if (p) complete(*p, Reply{h, {}});
}

void SessionCore::on_reply(const wire::ReplyHeader& h, std::string_view body) {
  if (sent_.empty() || sent_.front().xid != h.xid) {
    connection_lost("reply xid " + std::to_string(h.xid) + " out of order");
    return;
  }
  Pending p = std::move(sent_.front());
  sent_.pop_front();
  if (h.zxid > 0) last_zxid_seen_ = std::max(last_zxid_seen_.load(), h.zxid);
  if (p.abandoned) return;
  apply_watch_intent(p.call.watch, h.err);
  complete(p, Reply{h, body});
}

void SessionCore::apply_watch_intent(const WatchIntent& w, int32_t err) {
  using On = WatchIntent::On;
  using Kind = WatchRegistry::Kind;
  const bool ok = err == 0;
  switch (w.on) {
    case On::kNone:
      return;
    case On::kExists:
      if (ok) watches_.add(Kind::kData, w.client_path, w.watcher);
      if (err == to_int(ErrorCode::kNoNode)) watches_.add(Kind::kExist, w.client_path, w.watcher);
      return;
    case On::kGetData:
      if (ok) watches_.add(Kind::kData, w.client_path, w.watcher);
      return;
    case On::kGetChildren:
      if (ok) watches_.add(Kind::kChild, w.client_path, w.watcher);
      return;
    case On::kAddWatch:
      if (ok) watches_.add(w.add_watch_kind, w.client_path, w.watcher);
      return;
    case On::kRemoveWatches: {
      if (!ok) return;
      auto removed = watches_.remove(w.client_path, w.remove_type);
      if (removed.empty()) return;
      deliver(false, [removed = std::move(removed), path = w.client_path] {
        for (const auto& [watcher, type] : removed)
          watcher(WatchedEvent{type, path});
      });
      return;
    }
  }
}

// ---- Failures ----

// Closes the socket and forgets what was queued for it; the generation bump makes handlers
// still in flight for the old socket ignore their completions.
void SessionCore::drop_connection() {
  ++generation_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  writing_ = false;
  out_pending_.clear();
}

void SessionCore::connection_lost(std::string_view why) {
  if (phase_ == Phase::kDead || phase_ == Phase::kClosed) return;
  log::debug("client: connection lost: ", why);
  const bool was_connected = phase_ == Phase::kConnected;
  drop_connection();
  // Requests on the wire may or may not have been applied: ZooKeeper's answer is
  // ConnectionLoss, and the caller decides. Requests not yet written wait for the next
  // connection (or their deadline).
  {
    std::deque<Pending> items = std::move(sent_);
    sent_.clear();
    for (Pending& p : items) {
      if (!p.abandoned) complete(p, Error(ErrorCode::kConnectionLoss, std::string(why)));
    }
    items = std::move(auth_sent_);
    auth_sent_.clear();
    for (Pending& p : items)
      complete(p, Error(ErrorCode::kConnectionLoss, std::string(why)));
  }
  resent_auths_outstanding_ = 0;
  if (closing_) {
    finish_close();
    return;
  }
  if (was_connected) set_state(SessionState::kDisconnected);
  phase_ = Phase::kBackoff;
  const int64_t now = now_ms();
  if (hosts_.round_complete()) {
    backoff_until_ms_ = now + backoff_ms_;
    backoff_ms_ = std::min<int64_t>(backoff_ms_ * 2, options_.reconnect_backoff_max_ms);
    hosts_.start_round();
  } else {
    backoff_until_ms_ = now;  // try the next host right away
  }
  arm_timer();
}

void SessionCore::enter_terminal(Phase phase, SessionState state, ErrorCode code, std::string why) {
  log::info("client: session ", session_id_.load(), " ", session_state_name(state), ": ", why);
  phase_ = phase;
  drop_connection();
  set_state(state);
  fail_all(Error(code, why));
  watches_.clear();
  arm_timer();
  if (closing_) finish_close();
}

void SessionCore::set_state(SessionState s) {
  {
    std::lock_guard lock(state_mu_);
    state_ = s;
  }
  state_cv_.notify_all();
  if (options_.on_session_event) {
    auto fn = options_.on_session_event;
    deliver(false, [fn, s] { fn(s); });
  }
}

// ---- Time ----

void SessionCore::on_timer() {
  const int64_t now = now_ms();
  // Deadlines. A request already written stays queued (abandoned) so the reply that may
  // still come matches its xid. Handlers run after the scan: one may close the handle,
  // which empties the queues.
  std::vector<ReplyHandler> expired;
  for (auto* q : {&sent_, &auth_sent_}) {
    for (Pending& p : *q) {
      if (!p.abandoned && p.deadline_ms <= now) {
        p.abandoned = true;
        if (p.call.handler) expired.push_back(std::move(p.call.handler));
        p.call.handler = nullptr;
      }
    }
  }
  for (auto it = unsent_.begin(); it != unsent_.end();) {
    if (it->deadline_ms <= now) {
      if (it->call.handler) expired.push_back(std::move(it->call.handler));
      it = unsent_.erase(it);
    } else {
      ++it;
    }
  }
  for (ReplyHandler& h : expired) {
    h(Error(ErrorCode::kOperationTimeout, "no reply before the deadline"));
  }
  if (phase_ == Phase::kDead || phase_ == Phase::kClosed) return;

  if (phase_ != Phase::kConnected && session_established_ && options_.expire_when_disconnected &&
      now - last_recv_ms_ >= negotiated_timeout_ms_.load()) {
    enter_terminal(Phase::kDead, SessionState::kExpired, ErrorCode::kSessionExpired,
                   "no server reachable for the whole session timeout");
    return;
  }
  const int32_t negotiated = negotiated_timeout_ms_.load();
  switch (phase_) {
    case Phase::kConnecting:
    case Phase::kHandshaking:
      if (now >= attempt_deadline_ms_) {
        connection_lost("connect timed out");
        return;
      }
      break;
    case Phase::kConnected: {
      // ZooKeeper's ClientCnxn: a server silent for 2/3 of the session timeout is presumed
      // gone (leaving the last third to find another before the session expires), and an
      // idle client pings after 1/3 so a live server is never silent that long.
      const int64_t read_timeout = negotiated * 2 / 3;
      if (now - last_recv_ms_ >= read_timeout) {
        connection_lost("no answer from the server for " + std::to_string(read_timeout) + " ms");
        return;
      }
      if (now - last_send_ms_ >= negotiated / 3) {
        send_raw(wire::encode_request(
            wire::RequestHeader{wire::xid::kPing, to_int(wire::OpCode::kPing)}));
      }
      break;
    }
    case Phase::kBackoff:
      if (now >= backoff_until_ms_) {
        start_connect();
        return;
      }
      break;
    default:
      break;
  }
  arm_timer();
}

void SessionCore::arm_timer() {
  int64_t due = kNever;
  for (const auto* q : {&unsent_, &sent_, &auth_sent_}) {
    for (const Pending& p : *q) {
      if (!p.abandoned) due = std::min(due, p.deadline_ms);
    }
  }
  const int32_t negotiated = negotiated_timeout_ms_.load();
  switch (phase_) {
    case Phase::kConnecting:
    case Phase::kHandshaking:
      due = std::min(due, attempt_deadline_ms_);
      break;
    case Phase::kConnected:
      due = std::min(due, last_send_ms_ + negotiated / 3);
      due = std::min(due, last_recv_ms_ + negotiated * 2 / 3);
      break;
    case Phase::kBackoff:
      due = std::min(due, backoff_until_ms_);
      break;
    default:
      break;
  }
  if (phase_ != Phase::kConnected && phase_ != Phase::kDead && phase_ != Phase::kClosed &&
      session_established_ && options_.expire_when_disconnected) {
    due = std::min(due, last_recv_ms_ + negotiated);
  }
  if (due == kNever) {
    timer_due_ms_ = kNever;
    timer_.cancel();
    return;
  }
  arm_timer_at(due);
}

void SessionCore::arm_timer_at(int64_t due_ms) {
  if (phase_ == Phase::kClosed) return;
  timer_due_ms_ = due_ms;
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(due_ms)));
  timer_.async_wait([this, due_ms](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || due_ms != timer_due_ms_) return;
    timer_due_ms_ = kNever;
    on_timer();
  });
}

}  // namespace conclave::client
