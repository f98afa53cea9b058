#include "recipes/lock.h"

#include <condition_variable>
#include <mutex>
#include <optional>

#include "recipes/protected_node.h"

namespace conclave::recipes {
namespace {

constexpr std::string_view kLockName = "lock-";

bool is_retryable(ErrorCode code) {
  return code == ErrorCode::kConnectionLoss || code == ErrorCode::kOperationTimeout;
}

// A read-only server is cut off from the quorum: the session may expire there without this
// handle hearing of it, so a lock is only trusted on a read-write connection.
bool is_connected(SessionState s) {
  return s == SessionState::kConnected;
}

}  // namespace

std::string_view lock_state_name(LockState s) {
  switch (s) {
    case LockState::kUnlocked:
      return "unlocked";
    case LockState::kHeld:
      return "held";
    case LockState::kSuspended:
      return "suspended";
    case LockState::kLost:
      return "lost";
  }
  return "?";
}

// What the session listener and the predecessor watch share with the handle. Held by
// shared_ptr from both, since either may run after the Lock is gone.
struct Lock::Core {
  Connection* conn = nullptr;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  // Bumped by every event that may let a waiter proceed (the predecessor's watch, a session
  // change): a waiter that saw the same value before listing the children missed nothing.
  uint64_t wakeups = 0;
  bool connected = false;
  bool session_over = false;
  LockState state = LockState::kUnlocked;
  int holds = 0;
  std::optional<OwnNode> node;  // while held or suspended
  uint64_t verify_round = 0;    // ignores the answer of an older reconnection check
  std::function<void(LockState)> listener;

  void wake() {
    {
      std::lock_guard lock(mu);
      ++wakeups;
    }
    cv.notify_all();
  }
  void on_session(const std::shared_ptr<Core>& self, SessionState s);
  void verified(uint64_t round, Result<std::optional<client::Stat>> r);
};

void Lock::Core::on_session(const std::shared_ptr<Core>& self, SessionState s) {
  std::function<void(LockState)> notify;
  LockState now = LockState::kUnlocked;
  std::optional<std::string> verify_path;
  uint64_t round = 0;
  {
    std::lock_guard lock(mu);
    ++wakeups;
    connected = is_connected(s);
    if (client::is_terminal(s)) session_over = true;
    const LockState before = state;
    const bool holding = state == LockState::kHeld || state == LockState::kSuspended;
    if (holding && session_over) {
      state = LockState::kLost;
    } else if (state == LockState::kHeld && !connected) {
      state = LockState::kSuspended;
    } else if (state == LockState::kSuspended && connected) {
      // Same session, so the node should still be there; ask rather than assume (someone
      // may have deleted it). Until the answer the lock stays suspended.
      verify_path = node->path;
      round = ++verify_round;
    }
    if (state != before) {
      notify = listener;
      now = state;
    }
  }
  cv.notify_all();
  if (notify) notify(now);
  if (verify_path) {
    conn->client().exists(
        *verify_path, {},
        [self, round](Result<std::optional<client::Stat>> r) { self->verified(round, r); },
        client::kDefaultDeadline);
  }
}

void Lock::Core::verified(uint64_t round, Result<std::optional<client::Stat>> r) {
  std::function<void(LockState)> notify;
  {
    std::lock_guard lock(mu);
    if (round != verify_round || state != LockState::kSuspended || !connected) return;
    if (!r.ok()) return;  // the connection dropped again: the next reconnect asks again
    state = r->has_value() ? LockState::kHeld : LockState::kLost;
    notify = listener;
  }
  cv.notify_all();
  if (notify) notify(r->has_value() ? LockState::kHeld : LockState::kLost);
}

Lock::Lock(Connection& conn, std::string path)
    : conn_(conn), path_(std::move(path)), guid_(new_guid()), core_(std::make_shared<Core>()) {
  core_->conn = &conn_;
  std::weak_ptr<Core> weak = core_;
  // One identity for every watch this handle sets, so watching the same node twice (after a
  // spurious wake-up) registers it once.
  wake_watch_ = client::Watcher([weak](const client::WatchedEvent&) {
    if (auto core = weak.lock()) core->wake();
  });
  listener_id_ = conn_.add_listener([weak](SessionState s) {
    if (auto core = weak.lock()) core->on_session(core, s);
  });
  // After registering, so no change is missed: a later event overwrites this.
  std::lock_guard lock(core_->mu);
  if (core_->wakeups == 0) {
    core_->connected = is_connected(conn_.state());
    core_->session_over = client::is_terminal(conn_.state());
  }
}

Lock::~Lock() {
  bool held = false;
  {
    std::lock_guard lock(core_->mu);
    held = core_->holds > 0;
    if (held) core_->holds = 1;
  }
  if (held) (void)unlock();
  conn_.remove_listener(listener_id_);
}

void Lock::on_state_change(std::function<void(LockState)> listener) {
  std::lock_guard lock(core_->mu);
  core_->listener = std::move(listener);
}

LockState Lock::state() const {
  std::lock_guard lock(core_->mu);
  return core_->state;
}

int Lock::hold_count() const {
  std::lock_guard lock(core_->mu);
  return core_->holds;
}

Result<FencingToken> Lock::fencing_token() const {
  std::lock_guard lock(core_->mu);
  switch (core_->state) {
    case LockState::kHeld:
      return FencingToken{core_->node->czxid, core_->node->sequence, core_->node->path};
    case LockState::kSuspended:
      return Error(ErrorCode::kConnectionLoss, "the lock is suspended (connection lost)");
    case LockState::kLost:
      return Error(ErrorCode::kSessionExpired, "the lock was lost");
    case LockState::kUnlocked:
      break;
  }
  return Error(ErrorCode::kApiError, "the lock is not held by this handle");
}

LockState Lock::await_not_suspended(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(core_->mu);
  core_->cv.wait_for(lock, timeout, [&] { return core_->state != LockState::kSuspended; });
  return core_->state;
}

Status Lock::lock() {
  auto r = acquire(std::nullopt);
  if (!r.ok()) return r.error();
  return Status::success();
}

Result<bool> Lock::try_lock(std::chrono::milliseconds timeout) {
  return acquire(Clock::now() + timeout);
}

void Lock::release_node(const std::string& node) {
  Status st = conn_.sync().remove(node);
  if (st.ok() || st.code() == ErrorCode::kNoNode || st.code() == ErrorCode::kSessionExpired) {
    return;
  }
  conn_.delete_in_background(node);
}

Result<bool> Lock::acquire(std::optional<Clock::time_point> deadline) {
  {
    std::lock_guard lock(core_->mu);
    if (core_->holds > 0) {
      if (core_->state != LockState::kHeld) {
        return Error(ErrorCode::kApiError, std::string("the lock is ") +
                                               std::string(lock_state_name(core_->state)) +
                                               "; unlock() it first");
      }
      ++core_->holds;
      return true;
    }
    if (core_->session_over) return Error(ErrorCode::kSessionExpired, "the session is over");
  }
  auto created = create_protected(conn_, path_, guid_, kLockName, "");
  if (!created.ok()) return created.error();
  OwnNode own = *created;
  const std::string own_name = own.path.substr(own.path.rfind('/') + 1);

  // Gives up: deletes the node so that it does not block the contenders behind it.
  auto abandon = [&](Error why) -> Result<bool> {
    release_node(own.path);
    return why;
  };
  for (;;) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(core_->mu);
      if (core_->session_over) {
        return Error(ErrorCode::kSessionExpired, "the session ended while waiting for the lock");
      }
      seen = core_->wakeups;
    }
    auto kids = conn_.sync().get_children(path_);
    if (!kids.ok()) {
      if (is_retryable(kids.code())) continue;  // waits for the reconnect, or the expiry
      return abandon(kids.error());
    }
    const auto sorted = sort_contenders(kids->children, kLockName);
    const auto mine = adopt_own(conn_, path_, sorted, guid_);
    if (!mine) {
      std::lock_guard lock(core_->mu);
      if (core_->session_over) return Error(ErrorCode::kSessionExpired, "the session ended");
      return Error(ErrorCode::kNoNode, "the lock node " + own.path + " was deleted by someone");
    }
    if (sorted[*mine].name != own_name) {
      // A lost create of ours took effect after all, ahead of this one (adopt_own is deleting
      // the later one): that earlier node is this handle's place in the queue.
      own.path = child_path(path_, sorted[*mine].name);
      own.sequence = sorted[*mine].sequence;
      auto st = conn_.sync().exists(own.path);
      if (!st.ok() || !st->has_value()) continue;
      own.czxid = (*st)->czxid;
    }
    if (*mine == 0) {
      std::lock_guard lock(core_->mu);
      // Only a connected handle may call itself the holder. Had the connection dropped since
      // the listing, the listener has seen it already: then wait for the reconnect below.
      if (core_->connected && !core_->session_over) {
        core_->node = own;
        core_->holds = 1;
        core_->state = LockState::kHeld;
        return true;
      }
    } else {
      // Watch only the contender just ahead: its deletion is the only event that can make
      // this handle the first.
      auto ahead = conn_.sync().exists(child_path(path_, sorted[*mine - 1].name), wake_watch_);
      if (!ahead.ok()) {
        if (is_retryable(ahead.code())) continue;
        return abandon(ahead.error());
      }
      if (!ahead->has_value()) continue;  // gone already: look again
    }
    if (deadline && Clock::now() >= *deadline) {
      release_node(own.path);
      return false;
    }
    std::unique_lock lock(core_->mu);
    auto ready = [&] { return core_->wakeups != seen || core_->session_over; };
    if (deadline) {
      core_->cv.wait_until(lock, *deadline, ready);
    } else {
      core_->cv.wait(lock, ready);
    }
  }
}

Status Lock::unlock() {
  std::string node;
  LockState was = LockState::kUnlocked;
  bool session_over = false;
  {
    std::lock_guard lock(core_->mu);
    if (core_->holds == 0) return Error(ErrorCode::kApiError, "the lock is not held");
    if (--core_->holds > 0) return Status::success();
    was = core_->state;
    node = core_->node->path;
    session_over = core_->session_over;
    core_->node.reset();
    core_->state = LockState::kUnlocked;
  }
  if (!session_over) release_node(node);
  if (was == LockState::kLost) {
    return Error(session_over ? ErrorCode::kSessionExpired : ErrorCode::kNoNode,
                 "the lock was lost while held");
  }
  return Status::success();
}

}  // namespace conclave::recipes
