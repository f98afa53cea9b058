#include "recipes/service_registry.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>

#include "common/log.h"
#include "recipes/protected_node.h"

namespace conclave::recipes {
namespace {

// Errors after which a registration is kept for the next reconnect or reattach().
bool keeps_registration(ErrorCode code) {
  return is_retryable(code) || code == ErrorCode::kSessionExpired;
}

int64_t now_utc_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view registry_state_name(RegistryState s) {
  switch (s) {
    case RegistryState::kActive:
      return "active";
    case RegistryState::kSuspended:
      return "suspended";
    case RegistryState::kLost:
      return "lost";
    case RegistryState::kClosed:
      return "closed";
  }
  return "?";
}

// Shared with the session listener, which may outlive the registry.
struct ServiceRegistry::Core {
  struct Registration {
    ServiceInstance instance;
    std::string json;
  };

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Registration> registrations;  // by id
  RegistryState state = RegistryState::kSuspended;
  bool closing = false;
  bool recheck = false;  // a reconnect happened: the registry's thread checks every node
  // The connection was down (or not yet up) since the last check: the next kConnected is a
  // reconnect. (The first kConnected may reach a registry made on a connected Connection
  // after it was made; that one needs no check.)
  bool interrupted = false;
  uint64_t generation = 0;  // bumped by reattach(): the old connection's events are ignored
  std::map<ListenerId, std::shared_ptr<const Listener>> listeners;
  ListenerId next_listener = 1;

  // Delivery: serialised, and only of changes from what was last delivered. Recursive: a
  // listener may ask the registry (state, registered) on the same thread.
  std::recursive_mutex deliver_mu;
  std::optional<RegistryState> delivered;

  void deliver() {
    std::lock_guard dl(deliver_mu);
    RegistryState now;
    std::vector<std::shared_ptr<const Listener>> snapshot;
    {
      std::lock_guard lock(mu);
      now = state;
      if (delivered == now) return;
      for (const auto& [id, l] : listeners)
        snapshot.push_back(l);
    }
    delivered = now;
    for (const auto& l : snapshot)
      (*l)(now);
  }

  void on_session(uint64_t gen, SessionState s) {
    {
      std::lock_guard lock(mu);
      if (gen != generation || state == RegistryState::kClosed) return;
      if (s == SessionState::kConnected) {
        if (interrupted) recheck = true;  // kActive once the registry's thread checked the nodes
        interrupted = false;
      } else if (client::is_terminal(s)) {
        state = RegistryState::kLost;
      } else {
        interrupted = true;
        if (state != RegistryState::kLost) state = RegistryState::kSuspended;
      }
    }
    cv.notify_all();
    deliver();
  }

  static RegistryState initial_state(SessionState s) {
    if (s == SessionState::kConnected) return RegistryState::kActive;
    return client::is_terminal(s) ? RegistryState::kLost : RegistryState::kSuspended;
  }
};

ServiceRegistry::ServiceRegistry(Connection& conn, std::string base_path)
    : base_(std::move(base_path)), core_(std::make_shared<Core>()), conn_(&conn) {
  std::weak_ptr<Core> weak = core_;
  listener_id_ = conn.add_listener([weak](SessionState s) {
    if (auto core = weak.lock()) core->on_session(0, s);
  });
  {
    std::lock_guard lock(core_->mu);
    core_->state = Core::initial_state(conn.state());
    core_->delivered = core_->state;
    core_->interrupted = conn.state() != SessionState::kConnected;
  }
  worker_ = std::thread([this] { run(); });
}

ServiceRegistry::~ServiceRegistry() {
  close();
}

Status ServiceRegistry::write_registration(Connection& conn, const std::string& id) {
  std::string path, service, json;
  {
    std::lock_guard lock(core_->mu);
    auto it = core_->registrations.find(id);
    if (it == core_->registrations.end()) return Status::success();
    service = child_path(base_, it->second.instance.name);
    path = child_path(service, id);
    json = it->second.json;
  }
  client::SyncClient& zk = conn.sync();
  Error last(ErrorCode::kSystemError, "no attempt made");
  for (int attempt = 0; attempt < kRegisterAttemptsMax; ++attempt) {
    auto created = zk.create(path, json, {.mode = client::CreateMode::kEphemeral});
    if (created.ok()) return Status::success();
    last = created.error();
    if (created.code() == ErrorCode::kNoNode) {
      // No service node (never made, or removed by the server as an empty container).
      if (Status st = ensure_containers(zk, service); !st.ok()) return st;
      continue;
    }
    if (created.code() != ErrorCode::kNodeExists) return created.error();
    auto there = zk.exists(path);
    if (!there.ok()) return there.error();
    if (!there->has_value()) continue;  // gone since: create again
    const client::Stat& stat = **there;
    if (stat.ephemeral_owner == conn.client().session_id()) {
      // Ours already (a create whose reply was lost, or a registration replaced): the data
      // change fires the watches of every cache following it.
      auto set = zk.set_data(path, json, stat.version);
      if (set.ok()) return Status::success();
      if (set.code() != ErrorCode::kNoNode && set.code() != ErrorCode::kBadVersion) {
        return set.error();
      }
      continue;
    }
    // Another session's node: our own expired session's, not yet removed by the server, or a
    // second process with the same id. Curator deletes it and creates its own.
    log::info("service registry: replacing ", path, " (owned by session ", stat.ephemeral_owner,
              ")");
    Status removed = zk.remove(path, stat.version);
    if (!removed.ok() && removed.code() != ErrorCode::kNoNode &&
        removed.code() != ErrorCode::kBadVersion) {
      return removed;
    }
  }
  return Error(last.code, "registering " + path + " failed " +
                              std::to_string(kRegisterAttemptsMax) + " times: " + last.detail);
}

Status ServiceRegistry::store_and_write(ServiceInstance instance, bool must_exist) {
  if (Status st = validate_for_registration(instance); !st.ok()) return st;
  if (instance.registration_time_utc_ms == 0) instance.registration_time_utc_ms = now_utc_ms();
  const std::string id = instance.id;
  std::lock_guard writes(write_mu_);
  std::optional<Core::Registration> previous;
  {
    std::lock_guard lock(core_->mu);
    if (core_->closing) return Error(ErrorCode::kApiError, "the registry is closed");
    auto it = core_->registrations.find(id);
    if (it != core_->registrations.end()) {
      if (it->second.instance.name != instance.name) {
        return Error(ErrorCode::kBadArguments,
                     "instance " + id + " is registered for service " + it->second.instance.name);
      }
      previous = it->second;
    } else if (must_exist) {
      return Error(ErrorCode::kNoNode, "instance " + id + " is not registered here");
    }
    std::string json = to_json(instance);
    core_->registrations[id] = {std::move(instance), std::move(json)};
  }
  Status st = write_registration(*conn_, id);
  if (!st.ok() && !keeps_registration(st.code())) {
    std::lock_guard lock(core_->mu);
    if (previous) {
      core_->registrations[id] = std::move(*previous);
    } else {
      core_->registrations.erase(id);
    }
  }
  return st;
}

Status ServiceRegistry::register_instance(ServiceInstance instance) {
  return store_and_write(std::move(instance), false);
}

Status ServiceRegistry::update_instance(ServiceInstance instance) {
  return store_and_write(std::move(instance), true);
}

Status ServiceRegistry::unregister_instance(const std::string& id) {
  std::lock_guard writes(write_mu_);
  std::string path;
  {
    std::lock_guard lock(core_->mu);
    auto it = core_->registrations.find(id);
    if (it == core_->registrations.end()) {
      return Error(ErrorCode::kNoNode, "instance " + id + " is not registered here");
    }
    path = child_path(child_path(base_, it->second.instance.name), id);
    core_->registrations.erase(it);
  }
  Connection& conn = *conn_;
  if (conn.state() != SessionState::kConnected) {
    // Asking now would wait for the reconnect (up to the client's deadline), and close()
    // with it: the connection deletes the node once it is back, or the session takes it.
    conn.delete_in_background(path);
    return Status::success();
  }
  auto there = conn.sync().exists(path);
  if (there.ok()) {
    if (!there->has_value()) return Status::success();
    // Only our own node: one owned by another session is that session's registration.
    if ((*there)->ephemeral_owner != conn.client().session_id()) return Status::success();
    Status st = conn.sync().remove(path);
    if (st.ok() || st.code() == ErrorCode::kNoNode) return Status::success();
    if (!is_retryable(st.code())) return st;
  } else if (there.code() == ErrorCode::kSessionExpired) {
    return Status::success();  // the session took the node with it
  } else if (!is_retryable(there.code())) {
    return there.error();
  }
  conn.delete_in_background(path);
  return Status::success();
}

Status ServiceRegistry::reattach(Connection& fresh) {
  std::lock_guard writes(write_mu_);
  uint64_t gen = 0;
  std::vector<std::string> ids;
  {
    std::lock_guard lock(core_->mu);
    if (core_->closing) return Error(ErrorCode::kApiError, "the registry is closed");
    gen = ++core_->generation;
    core_->recheck = false;
    core_->interrupted = fresh.state() != SessionState::kConnected;
    core_->state = RegistryState::kSuspended;
    for (const auto& [id, r] : core_->registrations)
      ids.push_back(id);
  }
  core_->deliver();
  conn_->remove_listener(listener_id_);
  conn_ = &fresh;
  std::weak_ptr<Core> weak = core_;
  listener_id_ = fresh.add_listener([weak, gen](SessionState s) {
    if (auto core = weak.lock()) core->on_session(gen, s);
  });
  Status first = Status::success();
  for (const std::string& id : ids) {
    Status st = write_registration(fresh, id);
    if (!st.ok() && first.ok()) first = st;
  }
  {
    std::lock_guard lock(core_->mu);
    if (gen == core_->generation && !core_->closing) {
      if (client::is_terminal(fresh.state())) {
        core_->state = RegistryState::kLost;
      } else if (first.ok() && fresh.state() == SessionState::kConnected) {
        core_->state = RegistryState::kActive;
      }
    }
  }
  core_->deliver();
  return first;
}

void ServiceRegistry::close() {
  {
    std::lock_guard lock(core_->mu);
    core_->closing = true;
  }
  core_->cv.notify_all();
  // From a listener on the registry's own thread: it stops at its next check; the rest is
  // left to a later close() (the destructor's) on another thread.
  if (worker_.joinable() && std::this_thread::get_id() == worker_.get_id()) return;
  if (worker_.joinable()) worker_.join();
  std::vector<std::string> ids;
  {
    std::lock_guard lock(core_->mu);
    for (const auto& [id, r] : core_->registrations)
      ids.push_back(id);
  }
  for (const std::string& id : ids) {
    Status st = unregister_instance(id);
    if (!st.ok()) {
      log::warn("service registry: unregistering ", id, " on close: ", st.error().to_string());
    }
  }
  {
    std::lock_guard writes(write_mu_);
    if (listener_id_ != 0) conn_->remove_listener(listener_id_);
    listener_id_ = 0;
  }
  {
    std::lock_guard lock(core_->mu);
    core_->state = RegistryState::kClosed;
  }
  core_->deliver();
}

std::vector<ServiceInstance> ServiceRegistry::registered() const {
  std::lock_guard lock(core_->mu);
  std::vector<ServiceInstance> out;
  for (const auto& [id, r] : core_->registrations)
    out.push_back(r.instance);
  return out;
}

RegistryState ServiceRegistry::state() const {
  std::lock_guard lock(core_->mu);
  return core_->state;
}

ServiceRegistry::ListenerId ServiceRegistry::add_listener(Listener listener) {
  std::lock_guard lock(core_->mu);
  const ListenerId id = core_->next_listener++;
  core_->listeners.emplace(id, std::make_shared<const Listener>(std::move(listener)));
  return id;
}

void ServiceRegistry::remove_listener(ListenerId id) {
  std::lock_guard lock(core_->mu);
  core_->listeners.erase(id);
}

// The registry's thread: after each reconnect, checks every registration's node and writes
// the ones that are gone or differ (Curator re-registers on RECONNECTED).
void ServiceRegistry::run() {
  for (;;) {
    {
      std::unique_lock lock(core_->mu);
      core_->cv.wait(lock, [&] { return core_->closing || core_->recheck; });
      if (core_->closing) return;
    }
    std::lock_guard writes(write_mu_);
    uint64_t gen = 0;
    std::vector<std::string> ids;
    {
      std::lock_guard lock(core_->mu);
      if (core_->closing) return;
      core_->recheck = false;
      gen = core_->generation;
      for (const auto& [id, r] : core_->registrations)
        ids.push_back(id);
    }
    Connection& conn = *conn_;
    bool all_written = true;
    for (const std::string& id : ids) {
      std::string path, json;
      {
        std::lock_guard lock(core_->mu);
        // Down again (or closing): a call now would wait up to the client's deadline for the
        // reconnect, and close() with it. The next reconnect starts the pass again.
        if (core_->closing || conn.state() != SessionState::kConnected) {
          all_written = false;
          break;
        }
        auto it = core_->registrations.find(id);
        if (it == core_->registrations.end()) continue;
        path = child_path(child_path(base_, it->second.instance.name), id);
        json = it->second.json;
      }
      auto now = conn.sync().get_data(path);
      if (now.ok() && now->stat.ephemeral_owner == conn.client().session_id() &&
          now->data == json) {
        continue;  // still there, ours, current
      }
      if (!now.ok() && now.code() != ErrorCode::kNoNode) {
        all_written = false;
        if (is_retryable(now.code()) || client::is_terminal(conn.state())) break;
        log::warn("service registry: checking ", path, ": ", now.error().to_string());
        continue;
      }
      log::info("service registry: registering ", path, " again after the reconnect");
      if (Status st = write_registration(conn, id); !st.ok()) {
        all_written = false;
        if (is_retryable(st.code()) || client::is_terminal(conn.state())) break;
        log::warn("service registry: registering ", path, " again: ", st.error().to_string());
      }
    }
    {
      std::lock_guard lock(core_->mu);
      // A failed pass waits for the next reconnect (a connection error) or leaves the state
      // as the session made it.
      if (all_written && gen == core_->generation && !core_->recheck && !core_->closing &&
          conn.state() == SessionState::kConnected) {
        core_->state = RegistryState::kActive;
      }
    }
    core_->deliver();
  }
}

}  // namespace conclave::recipes
