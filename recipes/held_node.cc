#include "recipes/held_node.h"

namespace conclave::recipes {
namespace {

bool is_connected(SessionState s) {
  return s == SessionState::kConnected;
}

}  // namespace

std::shared_ptr<HeldNode> HeldNode::attach(Connection& conn) {
  std::shared_ptr<HeldNode> self(new HeldNode());
  self->conn_ = &conn;
  std::weak_ptr<HeldNode> weak = self;
  self->wake_watch_ = client::Watcher([weak](const client::WatchedEvent&) {
    if (auto h = weak.lock()) h->wake();
  });
  const Connection::ListenerId id = conn.add_listener([weak](SessionState s) {
    if (auto h = weak.lock()) h->on_session(h, s);
  });
  // After registering, so no change is missed: a later event overwrites this.
  std::lock_guard lock(self->mu_);
  self->listener_id_ = id;
  if (self->wakeups_ == 0) {
    self->connected_ = is_connected(conn.state());
    self->session_over_ = client::is_terminal(conn.state());
  }
  return self;
}

void HeldNode::detach() {
  std::optional<Connection::ListenerId> id;
  {
    std::lock_guard lock(mu_);
    id.swap(listener_id_);
  }
  // Outside mu_: the connection may be delivering a state to this very listener, which takes
  // mu_.
  if (id) conn_->remove_listener(*id);
}

void HeldNode::wake() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

Result<uint64_t> HeldNode::wakeups() const {
  std::lock_guard lock(mu_);
  if (session_over_) return Error(ErrorCode::kSessionExpired, "the session is over");
  return wakeups_;
}

void HeldNode::wait(uint64_t seen, std::optional<Clock::time_point> deadline) const {
  std::unique_lock lock(mu_);
  auto ready = [&] { return wakeups_ != seen || session_over_; };
  if (deadline) {
    cv_.wait_until(lock, *deadline, ready);
  } else {
    cv_.wait(lock, ready);
  }
}

bool HeldNode::session_over() const {
  std::lock_guard lock(mu_);
  return session_over_;
}

Result<bool> HeldNode::add_hold() {
  std::lock_guard lock(mu_);
  if (holds_ > 0) {
    if (state_ != LockState::kHeld) {
      return Error(ErrorCode::kApiError,
                   "it is " + std::string(lock_state_name(state_)) + "; release it first");
    }
    ++holds_;
    return true;
  }
  if (session_over_) return Error(ErrorCode::kSessionExpired, "the session is over");
  return false;
}

bool HeldNode::grant(const OwnNode& node) {
  std::lock_guard lock(mu_);
  if (!connected_ || session_over_) return false;
  node_ = node;
  holds_ = 1;
  state_ = LockState::kHeld;
  return true;
}

Result<HeldNode::Drop> HeldNode::drop(bool all) {
  std::lock_guard lock(mu_);
  if (holds_ == 0) return Error(ErrorCode::kApiError, "not held");
  holds_ = all ? 0 : holds_ - 1;
  if (holds_ > 0) return Drop{};
  Drop d{true, node_->path, state_, session_over_};
  node_.reset();
  state_ = LockState::kUnlocked;
  return d;
}

LockState HeldNode::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

int HeldNode::holds() const {
  std::lock_guard lock(mu_);
  return holds_;
}

Result<OwnNode> HeldNode::held_node(std::string_view what) const {
  std::lock_guard lock(mu_);
  const std::string the = "the " + std::string(what);
  switch (state_) {
    case LockState::kHeld:
      return *node_;
    case LockState::kSuspended:
      return Error(ErrorCode::kConnectionLoss, the + " is suspended (connection lost)");
    case LockState::kLost:
      return Error(ErrorCode::kSessionExpired, the + " was lost");
    case LockState::kUnlocked:
      break;
  }
  return Error(ErrorCode::kApiError, the + " is not held by this handle");
}

LockState HeldNode::await_not_suspended(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return state_ != LockState::kSuspended; });
  return state_;
}

void HeldNode::on_state_change(std::function<void(LockState)> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

void HeldNode::on_session(const std::shared_ptr<HeldNode>& self, SessionState s) {
  std::function<void(LockState)> notify;
  LockState now = LockState::kUnlocked;
  std::optional<std::string> verify_path;
  uint64_t round = 0;
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
    connected_ = is_connected(s);
    if (client::is_terminal(s)) session_over_ = true;
    const LockState before = state_;
    const bool holding = state_ == LockState::kHeld || state_ == LockState::kSuspended;
    if (holding && session_over_) {
      state_ = LockState::kLost;
    } else if (state_ == LockState::kHeld && !connected_) {
      state_ = LockState::kSuspended;
    } else if (state_ == LockState::kSuspended && connected_) {
      // Same session, so the node should still be there; ask rather than assume (someone
      // may have deleted it). Until the answer the hold stays suspended.
      verify_path = node_->path;
      round = ++verify_round_;
    }
    if (state_ != before) {
      notify = listener_;
      now = state_;
    }
  }
  cv_.notify_all();
  if (notify) notify(now);
  if (verify_path) {
    conn_->client().exists(
        *verify_path, {},
        [self, round](Result<std::optional<client::Stat>> r) { self->verified(round, r); },
        client::kDefaultDeadline);
  }
}

void HeldNode::verified(uint64_t round, Result<std::optional<client::Stat>> r) {
  std::function<void(LockState)> notify;
  {
    std::lock_guard lock(mu_);
    if (round != verify_round_ || state_ != LockState::kSuspended || !connected_) return;
    if (!r.ok()) return;  // the connection dropped again: the next reconnect asks again
    state_ = r->has_value() ? LockState::kHeld : LockState::kLost;
    notify = listener_;
  }
  cv_.notify_all();
  if (notify) notify(r->has_value() ? LockState::kHeld : LockState::kLost);
}

void release_own_node(Connection& conn, const std::string& node) {
  Status st = conn.sync().remove(node);
  if (st.ok() || st.code() == ErrorCode::kNoNode || st.code() == ErrorCode::kSessionExpired) {
    return;
  }
  conn.delete_in_background(node);
}

}  // namespace conclave::recipes
