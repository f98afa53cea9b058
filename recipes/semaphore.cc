#include "recipes/semaphore.h"

#include <algorithm>

#include "recipes/held_node.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {
namespace {

// Curator InterProcessSemaphoreV2's names.
constexpr std::string_view kLocksName = "locks";
constexpr std::string_view kLeasesName = "leases";
constexpr std::string_view kLeaseName = "lease-";

std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace

Lease::Lease(Connection& conn, std::shared_ptr<HeldNode> hold)
    : conn_(&conn), hold_(std::move(hold)) {}

Lease::Lease(Lease&& other) noexcept
    : conn_(other.conn_), hold_(std::move(other.hold_)), node_(std::move(other.node_)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Lease gone(std::move(*this));  // releases what this held
    conn_ = other.conn_;
    hold_ = std::move(other.hold_);
    node_ = std::move(other.node_);
  }
  return *this;
}

Lease::~Lease() {
  if (!hold_) return;  // moved from
  if (hold_->holds() > 0) (void)release();
  hold_->detach();
}

Status Lease::release() {
  if (!hold_) return Error(ErrorCode::kApiError, "no lease here (moved from)");
  auto d = hold_->drop();
  if (!d.ok()) return Error(ErrorCode::kApiError, "the lease was released already");
  hold_->detach();  // nothing left to report
  if (!d->session_over) release_own_node(*conn_, d->node);
  if (d->was == LockState::kLost) {
    return Error(d->session_over ? ErrorCode::kSessionExpired : ErrorCode::kNoNode,
                 "the lease was lost while held");
  }
  return Status::success();
}

LockState Lease::state() const {
  return hold_ ? hold_->state() : LockState::kUnlocked;
}

LockState Lease::await_not_suspended(std::chrono::milliseconds timeout) const {
  return hold_ ? hold_->await_not_suspended(timeout) : LockState::kUnlocked;
}

void Lease::on_state_change(std::function<void(LockState)> listener) {
  if (hold_) hold_->on_state_change(std::move(listener));
}

Semaphore::Semaphore(Connection& conn, std::string path, int max_leases)
    : conn_(conn),
      path_(std::move(path)),
      locks_path_(child_path(path_, kLocksName)),
      leases_path_(child_path(path_, kLeasesName)),
      max_leases_(max_leases) {}

Result<Lease> Semaphore::acquire() {
  auto r = acquire_leases(1, std::nullopt);
  if (!r.ok()) return r.error();
  if (!r->has_value()) return Error(ErrorCode::kSystemError, "no lease, and no deadline passed");
  return std::move((**r)[0]);
}

Result<std::optional<Lease>> Semaphore::try_acquire(std::chrono::milliseconds timeout) {
  auto r = acquire_leases(1, Clock::now() + timeout);
  if (!r.ok()) return r.error();
  if (!r->has_value()) return std::optional<Lease>();
  return std::optional<Lease>(std::move((**r)[0]));
}

Result<std::optional<std::vector<Lease>>> Semaphore::try_acquire(
    int count, std::chrono::milliseconds timeout) {
  return acquire_leases(count, Clock::now() + timeout);
}

Result<std::vector<std::string>> Semaphore::participants() const {
  auto kids = conn_.sync().get_children(leases_path_);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return std::vector<std::string>();
    return kids.error();
  }
  std::vector<std::string> out;
  for (const Contender& c : sort_contenders(kids->children, kLeaseName))
    out.push_back(c.name);
  return out;
}

Result<std::optional<std::vector<Lease>>> Semaphore::acquire_leases(
    int count, std::optional<Clock::time_point> deadline) {
  if (max_leases_ < 1) return Error(ErrorCode::kBadArguments, "a semaphore needs a lease");
  if (count < 1 || count > max_leases_) {
    return Error(ErrorCode::kBadArguments, "asked for " + std::to_string(count) + " of " +
                                               std::to_string(max_leases_) + " leases");
  }
  // A Lock per acquire, not one per Semaphore: a Lock is one contender, and acquires on
  // several threads must queue behind each other rather than re-enter one another's hold.
  Lock lock(conn_, locks_path_);
  if (deadline) {
    auto got = lock.try_lock(remaining(*deadline));
    if (!got.ok()) return got.error();
    if (!*got) return std::optional<std::vector<Lease>>();
  } else if (Status st = lock.lock(); !st.ok()) {
    return st.error();
  }
  // On every early return the leases taken so far are released (before the lock, which is
  // declared first).
  std::vector<Lease> leases;
  for (int i = 0; i < count; ++i) {
    auto one = acquire_one(deadline);
    if (!one.ok()) return one.error();
    if (!one->has_value()) return std::optional<std::vector<Lease>>();
    leases.push_back(std::move(**one));
  }
  // If the lock's delete fails (a dropped connection) it is retried in the background; the
  // leases are held either way.
  (void)lock.unlock();
  return std::optional<std::vector<Lease>>(std::move(leases));
}

Result<std::optional<Lease>> Semaphore::acquire_one(std::optional<Clock::time_point> deadline) {
  // Listening from before the node exists, so a connection lost while waiting is seen.
  auto hold = HeldNode::attach(conn_);
  Lease lease(conn_, hold);
  // One GUID per lease: another lease of this client must never be taken for this one's
  // duplicate (adopt_own deletes those).
  const std::string guid = new_guid();
  auto created = create_protected(conn_, leases_path_, guid, kLeaseName, "");
  if (!created.ok()) return created.error();
  OwnNode own = *created;
  std::string own_name = own.path.substr(own.path.rfind('/') + 1);

  // Gives up: deletes the node so that it is not counted against the others.
  auto abandon = [&](Error why) -> Result<std::optional<Lease>> {
    release_own_node(conn_, own.path);
    return why;
  };
  for (;;) {
    auto seen = hold->wakeups();
    if (!seen.ok()) {
      return Error(ErrorCode::kSessionExpired, "the session ended while waiting for a lease");
    }
    // The only watch on the leases: this client holds the lock, every other acquirer waits
    // for it.
    auto kids = conn_.sync().get_children(leases_path_, hold->wake_watch());
    if (!kids.ok()) {
      if (is_retryable(kids.code())) continue;  // waits for the reconnect, or the expiry
      return abandon(kids.error());
    }
    const auto queue = sort_contenders(kids->children, kLeaseName);
    const auto mine = adopt_own(conn_, leases_path_, queue, guid);
    if (!mine) {
      if (hold->session_over()) return Error(ErrorCode::kSessionExpired, "the session ended");
      return Error(ErrorCode::kNoNode, "the lease node " + own.path + " was deleted by someone");
    }
    if (queue[*mine].name != own_name) {
      // A lost create of ours took effect after all, ahead of this one (adopt_own is deleting
      // the later one): that is this lease's node.
      own.path = child_path(leases_path_, queue[*mine].name);
      own.sequence = queue[*mine].sequence;
      own_name = queue[*mine].name;
      auto st = conn_.sync().exists(own.path);
      if (!st.ok() || !st->has_value()) continue;
      own.czxid = (*st)->czxid;
    }
    // Every child counts, this one's included, as in Curator: a node this recipe does not
    // know (or a duplicate being deleted) errs toward fewer leases, never more.
    if (kids->children.size() <= static_cast<size_t>(max_leases_) && hold->grant(own)) {
      lease.node_ = own.path;
      return std::optional<Lease>(std::move(lease));
    }
    if (deadline && Clock::now() >= *deadline) {
      release_own_node(conn_, own.path);
      return std::optional<Lease>();
    }
    hold->wait(*seen, deadline);
  }
}

}  // namespace conclave::recipes
