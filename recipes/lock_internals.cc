#include "recipes/lock_internals.h"

namespace conclave::recipes {
namespace {

std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

LockVerdict first_holds(const std::vector<Contender>&, size_t mine) {
  if (mine == 0) return {.holds = true};
  return {.holds = false, .watch = mine - 1};
}

LockDriver exclusive_driver(std::string node_name) {
  LockDriver d;
  d.queue_names = {node_name};
  d.node_name = std::move(node_name);
  d.decide = first_holds;
  return d;
}

LockInternals::LockInternals(Connection& conn, std::string path, LockDriver driver)
    : conn_(conn),
      path_(std::move(path)),
      driver_(std::move(driver)),
      hold_(HeldNode::attach(conn_)) {}

LockInternals::~LockInternals() {
  if (hold_->holds() > 0) {
    if (auto d = hold_->drop(/*all=*/true); d.ok() && !d->session_over) {
      if (driver_.release) {
        driver_.release(d->node);
      } else {
        release_own_node(conn_, d->node);
      }
    }
  }
  hold_->detach();
}

Result<FencingToken> LockInternals::fencing_token() const {
  auto node = hold_->held_node("lock");
  if (!node.ok()) return node.error();
  return FencingToken{node->czxid, node->sequence, node->path};
}

Result<bool> LockInternals::acquire(std::optional<Clock::time_point> deadline) {
  auto again = hold_->add_hold();
  if (!again.ok()) {
    if (again.code() != ErrorCode::kApiError) return again.error();
    return Error(
        ErrorCode::kApiError,
        "the lock is " + std::string(lock_state_name(hold_->state())) + "; unlock() it first");
  }
  if (*again) return true;
  if (driver_.admit) {
    if (Status st = driver_.admit(); !st.ok()) return st.error();
  }
  // One GUID per acquire, as Curator's protected creates: it only has to find this acquire's
  // node after a lost reply, and a node of an earlier acquire whose delete is still pending in
  // the background can never be taken for this one's.
  const std::string guid = new_guid();
  auto created = create_protected(conn_, path_, guid, driver_.node_name, "");
  if (!created.ok()) return created.error();
  OwnNode own = *created;
  std::string own_name = base_name(own.path);

  // Gives up: deletes the node so that it does not block the contenders behind it.
  auto abandon = [&](Error why) -> Result<bool> {
    release_own_node(conn_, own.path);
    return why;
  };
  for (;;) {
    auto seen = hold_->wakeups();
    if (!seen.ok()) {
      return Error(ErrorCode::kSessionExpired, "the session ended while waiting for the lock");
    }
    auto kids = conn_.sync().get_children(path_);
    if (!kids.ok()) {
      if (is_retryable(kids.code())) continue;  // waits for the reconnect, or the expiry
      return abandon(kids.error());
    }
    const auto queue = sort_queue(kids->children, driver_.queue_names);
    const auto mine = adopt_own(conn_, path_, queue, guid);
    if (!mine) {
      if (hold_->session_over()) return Error(ErrorCode::kSessionExpired, "the session ended");
      return Error(ErrorCode::kNoNode, "the lock node " + own.path + " was deleted by someone");
    }
    if (queue[*mine].name != own_name) {
      // A lost create of ours took effect after all, ahead of this one (adopt_own is deleting
      // the later one): that earlier node is this handle's place in the queue.
      own.path = child_path(path_, queue[*mine].name);
      own.sequence = queue[*mine].sequence;
      own_name = queue[*mine].name;
      auto st = conn_.sync().exists(own.path);
      if (!st.ok() || !st->has_value()) continue;
      own.czxid = (*st)->czxid;
    }
    const LockVerdict verdict = driver_.decide(queue, *mine);
    if (verdict.holds) {
      // Only a connected handle may call itself the holder; otherwise wait for the reconnect.
      if (hold_->grant(own)) return true;
    } else {
      if (verdict.watch >= *mine) {
        return abandon(Error(ErrorCode::kSystemError, "the lock driver named no node ahead"));
      }
      // Watch only the contender the driver names: its deletion is the only event that can
      // change the verdict.
      auto ahead =
          conn_.sync().exists(child_path(path_, queue[verdict.watch].name), hold_->wake_watch());
      if (!ahead.ok()) {
        if (is_retryable(ahead.code())) continue;
        return abandon(ahead.error());
      }
      if (!ahead->has_value()) continue;  // gone already: look again
    }
    if (deadline && Clock::now() >= *deadline) {
      release_own_node(conn_, own.path);
      return false;
    }
    hold_->wait(*seen, deadline);
  }
}

Status LockInternals::release() {
  auto d = hold_->drop();
  if (!d.ok()) return Error(ErrorCode::kApiError, "the lock is not held");
  if (!d->last) return Status::success();
  if (!d->session_over) {
    if (driver_.release) {
      driver_.release(d->node);
    } else {
      release_own_node(conn_, d->node);
    }
  }
  if (d->was == LockState::kLost) {
    return Error(d->session_over ? ErrorCode::kSessionExpired : ErrorCode::kNoNode,
                 "the lock was lost while held");
  }
  return Status::success();
}

}  // namespace conclave::recipes
