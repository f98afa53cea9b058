#include "recipes/double_barrier.h"

#include <algorithm>
#include <vector>

#include "recipes/protected_node.h"

namespace conclave::recipes {
namespace {

// Worth another try after a pause: the connection dropped, or a call's deadline passed (the
// session may live on). SessionExpired is here too: the session listener, which ends the
// wait, may not have run yet.
bool may_pass(ErrorCode code) {
  return is_retryable(code) || code == ErrorCode::kSessionExpired;
}

// The participants' node names (every child but "ready"), in the order all participants
// agree on: by name, as Curator sorts them.
std::vector<std::string> participants(std::vector<std::string> children) {
  std::erase(children, std::string(DoubleBarrier::kReadyNode));
  std::sort(children.begin(), children.end());
  return children;
}

}  // namespace

DoubleBarrier::DoubleBarrier(Connection& conn, std::string path, int member_count)
    : conn_(conn),
      path_(std::move(path)),
      ready_path_(child_path(path_, kReadyNode)),
      member_count_(member_count),
      waker_(conn_) {}

DoubleBarrier::~DoubleBarrier() {
  delete_own();
}

std::string DoubleBarrier::node_path() const {
  return own_ ? child_path(path_, own_->name) : std::string();
}

Error DoubleBarrier::own_node_gone(std::string_view while_doing) const {
  if (waker_.session_over()) {
    return Error(ErrorCode::kSessionExpired, "the session ended while " + std::string(while_doing) +
                                                 ": this participant's node is gone with it");
  }
  return Error(ErrorCode::kNoNode, "this participant's node " + node_path() +
                                       " was deleted by someone else while " +
                                       std::string(while_doing));
}

void DoubleBarrier::delete_own() {
  if (!own_ || own_->deleted) {
    own_.reset();
    return;
  }
  const std::string node = node_path();
  own_.reset();
  if (waker_.session_over()) return;  // gone with the session
  Status st = conn_.sync().remove(node);
  if (st.ok() || st.code() == ErrorCode::kNoNode || st.code() == ErrorCode::kSessionExpired) {
    return;
  }
  conn_.delete_in_background(node);
}

Status DoubleBarrier::create_own(const std::string& name) {
  const std::string node = child_path(path_, name);
  Error last(ErrorCode::kSystemError, "no attempt made");
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    auto r = conn_.sync().create(node, {}, {.mode = client::CreateMode::kEphemeral});
    // The GUID is this call's own: NodeExists means an earlier attempt whose reply was lost.
    if (r.ok() || r.code() == ErrorCode::kNodeExists) return Status::success();
    last = r.error();
    if (r.code() == ErrorCode::kNoNode) {
      // The barrier path is missing (never made, or removed by the server as an empty
      // container).
      if (Status st = ensure_containers(conn_.sync(), path_); !st.ok()) return st;
      continue;
    }
    if (r.code() != ErrorCode::kConnectionLoss && r.code() != ErrorCode::kOperationTimeout) {
      return r.error();
    }
  }
  return Error(last.code, "joining the barrier " + path_ + " failed " +
                              std::to_string(kCreateAttemptsMax) + " times: " + last.detail);
}

Result<bool> DoubleBarrier::give_up_entering(Result<bool> why) {
  delete_own();
  return why;
}

Result<bool> DoubleBarrier::enter(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (member_count_ < 1) {
    return Error(ErrorCode::kBadArguments,
                 "a barrier needs at least one member, not " + std::to_string(member_count_));
  }
  if (own_) return Error(ErrorCode::kApiError, "already in the barrier; leave() first");
  if (waker_.session_over()) return Error(ErrorCode::kSessionExpired, "the session is over");

  // A fresh name per round: a node of an earlier round may still be waiting for its
  // background delete.
  own_ = Own{new_guid()};
  if (Status st = create_own(own_->name); !st.ok()) {
    // A create that failed in the end after a lost reply may still have taken effect.
    return give_up_entering(st.error());
  }
  for (;;) {
    const uint64_t seen = waker_.mark();
    if (waker_.session_over()) return give_up_entering(own_node_gone("entering"));
    auto in = enter_step();
    if (in.ok() && *in) return true;
    Waker::Woken woken = Waker::Woken::kChanged;
    if (in.ok()) {
      woken = waker_.wait(seen, deadline);
    } else if (may_pass(in.code())) {
      woken = waker_.retry_pause(seen, deadline);
    } else {
      return give_up_entering(in.error());
    }
    if (woken == Waker::Woken::kTimedOut) return give_up_entering(false);
    if (woken == Waker::Woken::kSessionOver) return give_up_entering(own_node_gone("entering"));
  }
}

Result<bool> DoubleBarrier::enter_step() {
  // Watch "ready" before counting: the N-th participant creates it after its own count, which
  // includes this node, so the watch set here fires for it.
  auto ready = conn_.sync().exists(ready_path_, waker_.watcher());
  if (!ready.ok()) return ready.error();
  if (ready->has_value()) return true;
  auto kids = conn_.sync().get_children(path_);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return own_node_gone("entering");
    return kids.error();
  }
  const auto present = participants(kids->children);
  if (!std::binary_search(present.begin(), present.end(), own_->name)) {
    return own_node_gone("entering");
  }
  if (present.size() < static_cast<size_t>(member_count_)) return false;
  auto made = conn_.sync().create(ready_path_);
  if (made.ok() || made.code() == ErrorCode::kNodeExists) return true;
  return made.error();  // after a lost reply, the next exists() tells
}

Result<bool> DoubleBarrier::leave(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!own_) return Error(ErrorCode::kApiError, "not in the barrier; enter() first");
  for (;;) {
    const uint64_t seen = waker_.mark();
    if (waker_.session_over()) {
      Error why = own_node_gone("leaving");
      own_.reset();
      return why;
    }
    auto step = leave_step();
    if (!step.ok() && !may_pass(step.code())) {
      // NoNode: the node is gone. Any other refusal leaves it to the destructor.
      if (step.code() == ErrorCode::kNoNode) own_.reset();
      return step.error();
    }
    if (step.ok() && *step == Leaving::kDone) {
      own_.reset();
      return true;
    }
    if (step.ok() && *step == Leaving::kLookAgain) continue;
    const auto woken = step.ok() ? waker_.wait(seen, deadline) : waker_.retry_pause(seen, deadline);
    if (woken == Waker::Woken::kTimedOut) return false;
    if (woken == Waker::Woken::kSessionOver) {
      Error why = own_node_gone("leaving");
      own_.reset();
      return why;
    }
  }
}

Result<DoubleBarrier::Leaving> DoubleBarrier::leave_step() {
  const std::string own_path = node_path();
  auto kids = conn_.sync().get_children(path_);
  std::vector<std::string> present;
  if (kids.ok()) {
    present = participants(kids->children);
  } else if (kids.code() != ErrorCode::kNoNode) {  // NoNode: the path (a container) is gone
    return kids.error();
  }
  const auto mine = std::lower_bound(present.begin(), present.end(), own_->name);
  const bool listed = mine != present.end() && *mine == own_->name;
  if (!listed && !own_->deleted) return own_node_gone("leaving");
  if (present.empty()) {
    // Everyone has left. The last of them deleted "ready" already, unless it died first:
    // then whoever sees the end deletes it, so that the next round does not pass at once.
    (void)conn_.sync().remove(ready_path_);
    return Leaving::kDone;
  }
  if (listed && present.size() == 1) {
    // The last one: "ready" first, so it is gone before anyone's leave() returns.
    Status st = conn_.sync().remove(ready_path_);
    if (!st.ok() && st.code() != ErrorCode::kNoNode) return st.error();
    st = conn_.sync().remove(own_path);
    if (!st.ok() && st.code() != ErrorCode::kNoNode) return st.error();
    return Leaving::kDone;
  }
  Result<std::optional<client::Stat>> waited_for = std::optional<client::Stat>();
  if (listed && mine == present.begin()) {
    // The lowest waits for the highest. Every other participant deletes its own node, so
    // this one is woken once per departure at most, and the others only by its own.
    waited_for = conn_.sync().exists(child_path(path_, present.back()), waker_.watcher());
  } else {
    waited_for = conn_.sync().exists(child_path(path_, present.front()), waker_.watcher());
    if (!own_->deleted) {
      Status st = conn_.sync().remove(own_path);
      if (!st.ok() && st.code() != ErrorCode::kNoNode) return st.error();
      own_->deleted = true;
    }
  }
  if (!waited_for.ok()) return waited_for.error();
  return waited_for->has_value() ? Leaving::kWait : Leaving::kLookAgain;
}

}  // namespace conclave::recipes
