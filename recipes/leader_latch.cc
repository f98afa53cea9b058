#include "recipes/leader_latch.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "common/log.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {
namespace {

constexpr std::string_view kLatchName = "latch-";

}  // namespace

std::string_view latch_state_name(LatchState s) {
  switch (s) {
    case LatchState::kLatent:
      return "latent";
    case LatchState::kStarted:
      return "started";
    case LatchState::kClosed:
      return "closed";
    case LatchState::kLost:
      return "lost";
  }
  return "?";
}

// Shared with the session listener and the watches, which may outlive the LeaderLatch.
struct LeaderLatch::Core {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  uint64_t wakeups = 0;     // bumped by watches, session changes and close()
  uint64_t conn_epoch = 0;  // bumped by every session change
  bool connected = false;
  bool session_over = false;
  bool stopping = false;
  // `leader`: the latch's thread found this node first on the current connection. `visible`:
  // what has_leadership() and await_leadership() answer. A gain becomes visible only after
  // the listeners were told (so nobody acts as leader before they know); a loss at once.
  bool leader = false;
  bool visible = false;
  LatchState state = LatchState::kLatent;
  std::map<ListenerId, std::shared_ptr<const Listener>> listeners;
  ListenerId next_listener = 1;

  // Delivery: serialised, and only of changes from what was last delivered, so listeners see
  // gains and losses alternate even when they are decided on different threads. Recursive:
  // a listener may act on the latch (has_leadership, participants) on the same thread.
  std::recursive_mutex deliver_mu;
  bool delivered = false;

  void wake() {
    {
      std::lock_guard lock(mu);
      ++wakeups;
    }
    cv.notify_all();
  }

  void deliver() {
    std::lock_guard dl(deliver_mu);
    bool now = false;
    std::vector<std::shared_ptr<const Listener>> snapshot;
    {
      std::lock_guard lock(mu);
      now = leader;
      if (now != delivered) {
        for (const auto& [id, l] : listeners)
          snapshot.push_back(l);
      }
    }
    if (now != delivered) {
      delivered = now;
      for (const auto& l : snapshot)
        (*l)(now);
    }
    if (now) {
      {
        std::lock_guard lock(mu);
        visible = leader;
      }
      cv.notify_all();
    }
  }

  void lose_locked() {
    leader = false;
    visible = false;
  }

  void on_session(SessionState s) {
    {
      std::lock_guard lock(mu);
      ++wakeups;
      ++conn_epoch;
      // Only a read-write connection counts: a read-only server is cut off from the quorum.
      connected = s == SessionState::kConnected;
      if (!connected) lose_locked();
      if (client::is_terminal(s)) {
        session_over = true;
        if (state == LatchState::kStarted) state = LatchState::kLost;
      }
    }
    cv.notify_all();
    deliver();
  }
};

LeaderLatch::LeaderLatch(Connection& conn, std::string path, std::string participant_id)
    : conn_(conn),
      path_(std::move(path)),
      id_(std::move(participant_id)),
      guid_(new_guid()),
      core_(std::make_shared<Core>()) {
  std::weak_ptr<Core> weak = core_;
  wake_watch_ = client::Watcher([weak](const client::WatchedEvent&) {
    if (auto core = weak.lock()) core->wake();
  });
  session_listener_ = conn_.add_listener([weak](SessionState s) {
    if (auto core = weak.lock()) core->on_session(s);
  });
  std::lock_guard lock(core_->mu);
  if (core_->conn_epoch == 0) {
    core_->connected = conn_.state() == SessionState::kConnected;
    core_->session_over = client::is_terminal(conn_.state());
  }
}

LeaderLatch::~LeaderLatch() {
  (void)close();
  conn_.remove_listener(session_listener_);
}

Status LeaderLatch::start() {
  {
    std::lock_guard lock(core_->mu);
    if (core_->state != LatchState::kLatent) {
      return Error(ErrorCode::kApiError, "the latch was started already");
    }
    if (core_->session_over) return Error(ErrorCode::kSessionExpired, "the session is over");
    core_->state = LatchState::kStarted;
  }
  worker_ = std::thread([this] { run(); });
  return Status::success();
}

Status LeaderLatch::close() {
  if (worker_.joinable() && std::this_thread::get_id() == worker_.get_id()) {
    return Error(ErrorCode::kApiError, "close() called from a latch listener");
  }
  {
    std::lock_guard lock(core_->mu);
    core_->stopping = true;
    core_->lose_locked();
    ++core_->wakeups;
    if (core_->state == LatchState::kStarted || core_->state == LatchState::kLatent) {
      core_->state = LatchState::kClosed;
    }
  }
  core_->cv.notify_all();
  core_->deliver();  // the loss is reported before the node goes (in run(), on its way out)
  if (worker_.joinable()) worker_.join();
  return Status::success();
}

bool LeaderLatch::has_leadership() const {
  std::lock_guard lock(core_->mu);
  return core_->state == LatchState::kStarted && core_->visible;
}

LatchState LeaderLatch::state() const {
  std::lock_guard lock(core_->mu);
  return core_->state;
}

Result<bool> LeaderLatch::await_leadership(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(core_->mu);
  const bool done = core_->cv.wait_for(
      lock, timeout, [&] { return core_->visible || core_->state != LatchState::kStarted; });
  if (core_->state != LatchState::kStarted) {
    return Error(
        core_->state == LatchState::kLost ? ErrorCode::kSessionExpired : ErrorCode::kApiError,
        std::string("the latch is ") + std::string(latch_state_name(core_->state)));
  }
  return done && core_->visible;
}

LeaderLatch::ListenerId LeaderLatch::add_listener(Listener listener) {
  std::lock_guard lock(core_->mu);
  const ListenerId id = core_->next_listener++;
  core_->listeners.emplace(id, std::make_shared<const Listener>(std::move(listener)));
  return id;
}

void LeaderLatch::remove_listener(ListenerId id) {
  std::lock_guard lock(core_->mu);
  core_->listeners.erase(id);
}

Result<std::vector<Participant>> election_participants(Connection& conn, const std::string& path) {
  auto kids = conn.sync().get_children(path);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return std::vector<Participant>();
    return kids.error();
  }
  std::vector<Participant> out;
  for (const Contender& c : sort_contenders(kids->children, kLatchName)) {
    const std::string node = child_path(path, c.name);
    auto data = conn.sync().get_data(node);
    if (!data.ok()) {
      if (data.code() == ErrorCode::kNoNode) continue;  // left meanwhile
      return data.error();
    }
    out.push_back({data->data, node, out.empty()});
  }
  return out;
}

Result<std::vector<Participant>> LeaderLatch::participants() const {
  return election_participants(conn_, path_);
}

Result<Participant> election_leader(Connection& conn, const std::string& path) {
  auto all = election_participants(conn, path);
  if (!all.ok()) return all.error();
  if (all->empty()) return Error(ErrorCode::kNoNode, "nobody takes part in " + path);
  return all->front();
}

Result<Participant> LeaderLatch::leader() const {
  return election_leader(conn_, path_);
}

// The latch's thread: keeps this participant's node in the election and decides, from the
// children listed on a read-write connection, whether it leads.
void LeaderLatch::run() {
  std::optional<OwnNode> own;
  for (;;) {
    uint64_t seen = 0;
    uint64_t epoch = 0;
    bool connected = false;
    {
      std::lock_guard lock(core_->mu);
      if (core_->stopping || core_->session_over) break;
      seen = core_->wakeups;
      epoch = core_->conn_epoch;
      connected = core_->connected;
    }
    bool wait = !connected;  // a disconnected latch waits for the reconnect (or the expiry)
    if (!wait && !own) {
      auto created = create_protected(conn_, path_, guid_, kLatchName, id_);
      if (created.ok()) {
        own = *created;
        continue;
      }
      if (!is_retryable(created.code())) {
        log::warn("leader latch ", path_, ": cannot join: ", created.error().to_string());
        wait = true;  // tried again after the next session change
      }
    }
    if (!wait && own) {
      auto kids = conn_.sync().get_children(path_);
      if (!kids.ok()) {
        if (kids.code() == ErrorCode::kNoNode) own.reset();  // the path was removed
        if (!is_retryable(kids.code()) && kids.code() != ErrorCode::kNoNode) wait = true;
        if (!wait) continue;
      } else {
        const auto sorted = sort_contenders(kids->children, kLatchName);
        const auto mine = adopt_own(conn_, path_, sorted, guid_);
        if (!mine || *mine != 0) {
          // Not first (any more): only a deleted node of ours can turn a leader into this.
          {
            std::lock_guard lock(core_->mu);
            core_->lose_locked();
          }
          core_->deliver();
        }
        if (!mine) {
          own.reset();  // someone deleted our node: join again at the back
          continue;
        }
        own->path = child_path(path_, sorted[*mine].name);
        own->sequence = sorted[*mine].sequence;
        // Lead only if the connection did not change since the listing. Either way watch a
        // node: our own while leading (its deletion by someone else ends the leadership), the
        // one just ahead otherwise.
        const std::string watched =
            *mine == 0 ? own->path : child_path(path_, sorted[*mine - 1].name);
        auto there = conn_.sync().exists(watched, wake_watch_);
        if (!there.ok() || !there->has_value()) continue;
        if (*mine == 0) {
          {
            std::lock_guard lock(core_->mu);
            if (core_->conn_epoch == epoch && core_->connected && !core_->stopping) {
              core_->leader = true;
            }
          }
          core_->cv.notify_all();
          core_->deliver();
        }
        wait = true;
      }
    }
    std::unique_lock lock(core_->mu);
    core_->cv.wait(lock, [&] { return core_->wakeups != seen; });
  }
  // On the way out: not leading any more (reported by close() or the session listener
  // already), and the node leaves the election unless the session took it.
  {
    std::lock_guard lock(core_->mu);
    core_->lose_locked();
  }
  core_->cv.notify_all();
  core_->deliver();
  bool session_over = false;
  bool connected = false;
  {
    std::lock_guard lock(core_->mu);
    session_over = core_->session_over;
    // The handle's own state too: it changes before the session listeners hear of it, and
    // close() may come (from a LeaderSelector told by its listener) before ours did.
    connected = core_->connected && conn_.state() == SessionState::kConnected;
  }
  if (own && !session_over && !connected) {
    // A delete now would wait for the reconnect (up to the client's deadline), and close()
    // with it; the connection deletes the node once it is back (or the session takes it).
    conn_.delete_in_background(own->path);
  } else if (own && !session_over) {
    Status st = conn_.sync().remove(own->path);
    if (!st.ok() && st.code() != ErrorCode::kNoNode && st.code() != ErrorCode::kSessionExpired) {
      conn_.delete_in_background(own->path);
    }
  }
}

}  // namespace conclave::recipes
