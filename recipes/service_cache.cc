#include "recipes/service_cache.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "common/log.h"
#include "recipes/protected_node.h"
#include "recipes/service_discovery.h"

namespace conclave::recipes {
namespace {

// How often one refresh lists the service again when its node keeps appearing and vanishing
// between the children call and the exists() call.
constexpr int kListAttemptsMax = 20;
// A refresh that timed out while the connection stayed up is tried again after this (a
// connection loss needs no timer: the reconnect wakes the cache).
constexpr std::chrono::milliseconds kRefreshRetryDelay{1000};

}  // namespace

std::string_view cache_event_name(CacheEvent e) {
  switch (e) {
    case CacheEvent::kChanged:
      return "changed";
    case CacheEvent::kSuspended:
      return "suspended";
    case CacheEvent::kReconnected:
      return "reconnected";
    case CacheEvent::kLost:
      return "lost";
  }
  return "?";
}

// Shared with the watches and the session listener, which may outlive the cache.
struct ServiceCache::Core {
  struct Entry {
    std::optional<ServiceInstance> instance;  // nullopt: the node's data is unreadable
    int64_t mzxid = 0;                        // of the data read: unchanged data is not reparsed
  };

  mutable std::mutex mu;
  std::condition_variable cv;
  uint64_t wakeups = 0;  // bumped by watches, session events and close()
  bool started = false;
  bool closing = false;
  bool first_done = false;  // the first refresh was tried: start() returns
  Status first_status;
  std::set<std::string> dirty;  // ids whose node's data watch fired
  std::deque<SessionState> session_events;
  std::map<std::string, Entry> entries;  // by id; written by the cache's thread only
  std::map<ListenerId, std::shared_ptr<const Listener>> listeners;
  ListenerId next_listener = 1;
  std::atomic<uint64_t> malformed{0};

  void wake() {
    {
      std::lock_guard lock(mu);
      ++wakeups;
    }
    cv.notify_all();
  }

  std::vector<ServiceInstance> readable_locked() const {
    std::vector<ServiceInstance> out;
    for (const auto& [id, e] : entries) {
      if (e.instance) out.push_back(*e.instance);
    }
    return out;
  }

  void deliver(CacheEvent event) {
    std::vector<std::shared_ptr<const Listener>> snapshot;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, l] : listeners)
        snapshot.push_back(l);
    }
    for (const auto& l : snapshot)
      (*l)(event);
  }
};

ServiceCache::ServiceCache(Connection& conn, std::string base_path, std::string name)
    : conn_(conn), service_(child_path(base_path, name)), core_(std::make_shared<Core>()) {
  std::weak_ptr<Core> weak = core_;
  session_listener_ = conn_.add_listener([weak](SessionState s) {
    if (auto core = weak.lock()) {
      {
        std::lock_guard lock(core->mu);
        core->session_events.push_back(s);
      }
      core->wake();
    }
  });
  const std::string prefix = service_ + "/";
  watch_ = client::Watcher([weak, prefix](const client::WatchedEvent& e) {
    auto core = weak.lock();
    if (!core) return;
    if (e.path.size() > prefix.size() && e.path.compare(0, prefix.size(), prefix) == 0) {
      std::lock_guard lock(core->mu);
      core->dirty.insert(e.path.substr(prefix.size()));
    }
    core->wake();  // a children or exists event on the service node: listed again
  });
  if (client::is_terminal(conn_.state())) {
    std::lock_guard lock(core_->mu);
    core_->session_events.push_back(conn_.state());  // no event will say so later
  }
}

ServiceCache::~ServiceCache() {
  close();
  conn_.remove_listener(session_listener_);
}

Status ServiceCache::start() {
  {
    std::lock_guard lock(core_->mu);
    if (core_->started) return Error(ErrorCode::kApiError, "the cache was started already");
    if (core_->closing) return Error(ErrorCode::kApiError, "the cache is closed");
    core_->started = true;
  }
  worker_ = std::thread([this] { run(); });
  std::unique_lock lock(core_->mu);
  core_->cv.wait(lock, [&] { return core_->first_done || core_->closing; });
  return core_->first_done ? core_->first_status
                           : Status(Error(ErrorCode::kApiError, "the cache was closed"));
}

void ServiceCache::close() {
  {
    std::lock_guard lock(core_->mu);
    core_->closing = true;
    ++core_->wakeups;
  }
  core_->cv.notify_all();
  if (worker_.joinable() && std::this_thread::get_id() != worker_.get_id()) worker_.join();
}

std::vector<ServiceInstance> ServiceCache::instances() const {
  std::lock_guard lock(core_->mu);
  return core_->readable_locked();
}

uint64_t ServiceCache::malformed_count() const {
  return core_->malformed.load();
}

ServiceCache::ListenerId ServiceCache::add_listener(Listener listener) {
  std::lock_guard lock(core_->mu);
  const ListenerId id = core_->next_listener++;
  core_->listeners.emplace(id, std::make_shared<const Listener>(std::move(listener)));
  return id;
}

void ServiceCache::remove_listener(ListenerId id) {
  std::lock_guard lock(core_->mu);
  core_->listeners.erase(id);
}

// Lists the service and reads the instances that are new, whose watch fired, or all of them
// (`full`), setting the watches again; publishes the result and says kChanged if it differs.
Status ServiceCache::refresh(bool full) {
  if (conn_.state() != SessionState::kConnected) {
    // A read now would wait up to the client's deadline for the reconnect, and close() with
    // it; the reconnect wakes the cache.
    return Error(ErrorCode::kConnectionLoss, "not connected");
  }
  std::set<std::string> dirty;
  {
    std::lock_guard lock(core_->mu);
    dirty.swap(core_->dirty);
  }
  // On a failure the fired watches are remembered for the next refresh.
  auto fail = [&](Error e) {
    std::lock_guard lock(core_->mu);
    core_->dirty.insert(dirty.begin(), dirty.end());
    return Status(std::move(e));
  };
  std::vector<std::string> ids;
  for (int attempt = 0;; ++attempt) {
    if (attempt == kListAttemptsMax) {
      return fail(Error(ErrorCode::kNoNode, service_ + " keeps appearing and vanishing"));
    }
    auto kids = conn_.sync().get_children(service_, watch_);
    if (kids.ok()) {
      ids = std::move(kids->children);
      break;
    }
    if (kids.code() != ErrorCode::kNoNode) return fail(kids.error());
    // No service node (yet, or no more): wait for its creation.
    auto there = conn_.sync().exists(service_, watch_);
    if (!there.ok()) return fail(there.error());
    if (!there->has_value()) break;
  }
  std::map<std::string, Core::Entry> before;
  {
    std::lock_guard lock(core_->mu);
    before = core_->entries;
  }
  std::map<std::string, Core::Entry> after;
  std::vector<std::string> to_read;
  for (const std::string& id : ids) {
    auto it = before.find(id);
    if (full || it == before.end() || dirty.count(id)) {
      to_read.push_back(id);
    } else {
      after.emplace(id, it->second);
    }
  }
  std::vector<std::string> paths;
  for (const std::string& id : to_read)
    paths.push_back(child_path(service_, id));
  auto data = read_nodes(conn_, paths, watch_);
  std::optional<Error> failed;
  for (size_t i = 0; i < to_read.size(); ++i) {
    const std::string& id = to_read[i];
    if (!data[i].ok()) {
      if (data[i].code() == ErrorCode::kNoNode) continue;  // left since the listing
      if (!failed) failed = data[i].error();
      if (auto it = before.find(id); it != before.end()) after.emplace(id, it->second);
      std::lock_guard lock(core_->mu);
      core_->dirty.insert(id);  // read again next time
      continue;
    }
    const int64_t mzxid = data[i]->stat.mzxid;
    if (auto it = before.find(id); it != before.end() && it->second.mzxid == mzxid) {
      after.emplace(id, it->second);  // unchanged: not parsed (nor counted) again
      continue;
    }
    after.emplace(id, Core::Entry{read_instance(paths[i], data[i]->data, core_->malformed), mzxid});
  }
  bool changed = false;
  {
    std::lock_guard lock(core_->mu);
    const auto old_view = core_->readable_locked();
    core_->entries = std::move(after);
    changed = core_->readable_locked() != old_view;
  }
  if (changed) core_->deliver(CacheEvent::kChanged);
  if (failed) return *failed;
  return Status::success();
}

// The cache's thread: follows the session's states and refreshes on every wake-up (a watch
// fired, a reconnect) while connected.
void ServiceCache::run() {
  bool suspended = false;
  bool full = true;
  bool first = true;
  for (;;) {
    uint64_t seen = 0;
    std::deque<SessionState> events;
    {
      std::lock_guard lock(core_->mu);
      if (core_->closing) return;
      seen = core_->wakeups;
      events.swap(core_->session_events);
    }
    for (SessionState s : events) {
      if (client::is_terminal(s)) {
        core_->deliver(CacheEvent::kLost);
        log::info("service cache ", service_, ": the session is over (",
                  client::session_state_name(s), "); the cache stops");
        std::lock_guard lock(core_->mu);
        core_->first_done = true;
        core_->first_status = Error(ErrorCode::kSessionExpired, "the session is over");
        core_->cv.notify_all();
        return;
      }
      if (s == SessionState::kConnected) {
        if (suspended) {
          suspended = false;
          full = true;
          core_->deliver(CacheEvent::kReconnected);
        }
      } else if (!suspended) {
        suspended = true;
        core_->deliver(CacheEvent::kSuspended);
      }
    }
    bool retry = false;
    if (!suspended) {
      Status st = refresh(full);
      if (st.ok()) {
        full = false;
      } else if (is_retryable(st.code())) {
        retry = true;
      } else {
        log::warn("service cache ", service_, ": ", st.error().to_string());
      }
      if (first) {
        first = false;
        std::lock_guard lock(core_->mu);
        core_->first_done = true;
        core_->first_status = st;
        core_->cv.notify_all();
      }
    }
    std::unique_lock lock(core_->mu);
    if (retry) {
      core_->cv.wait_for(lock, kRefreshRetryDelay, [&] { return core_->wakeups != seen; });
    } else {
      core_->cv.wait(lock, [&] { return core_->wakeups != seen; });
    }
  }
}

}  // namespace conclave::recipes
