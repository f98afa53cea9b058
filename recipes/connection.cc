#include "recipes/connection.h"

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "common/log.h"

namespace conclave::recipes {

// Shared between the Connection and the closure the Client calls on each session event, so
// the fan-out outlives neither.
struct Connection::Hub {
  std::mutex mu;
  std::function<void(SessionState)> user_listener;  // the caller's own on_session_event
  std::map<ListenerId, std::shared_ptr<const Listener>> listeners;
  ListenerId next_id = 1;
  client::Client* client = nullptr;  // null once closed: no more deletes are started
  std::set<std::string> pending_deletes;

  void on_event(SessionState s);
  void try_delete(const std::string& path);
};

void Connection::Hub::on_event(SessionState s) {
  if (user_listener) user_listener(s);
  std::vector<std::shared_ptr<const Listener>> snapshot;
  std::vector<std::string> retry;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, l] : listeners)
      snapshot.push_back(l);
    if (s == SessionState::kConnected) {
      retry.assign(pending_deletes.begin(), pending_deletes.end());
    } else if (client::is_terminal(s)) {
      // The session is over: its ephemeral nodes are gone, and a dead handle can delete
      // nothing else.
      pending_deletes.clear();
    }
  }
  for (const auto& l : snapshot)
    (*l)(s);
  for (const std::string& p : retry)
    try_delete(p);
}

void Connection::Hub::try_delete(const std::string& path) {
  client::Client* c = nullptr;
  {
    std::lock_guard lock(mu);
    c = client;
  }
  if (c == nullptr) return;
  // Not under `mu`: a dead handle completes the call at once on this thread. The completion
  // may use `this`: the Hub is owned by the Client's options, and the Client joins its
  // callback thread before it lets go of them.
  c->remove(
      path, -1,
      [this, path](Status st) {
        std::lock_guard lock(mu);
        const ErrorCode code = st.code();
        // Done when the node is gone, or can no longer be deleted by this session (which
        // then takes its ephemeral nodes with it), or the Connection is closing.
        const bool done = code == ErrorCode::kOk || code == ErrorCode::kNoNode ||
                          code == ErrorCode::kSessionExpired || code == ErrorCode::kAuthFailed ||
                          client == nullptr;
        if (done) {
          pending_deletes.erase(path);
        } else {
          log::debug("recipes: delete of ", path, " failed (", st.error().to_string(),
                     "); retried after the next reconnect");
        }
      },
      client::kDefaultDeadline);
}

Result<std::unique_ptr<Connection>> Connection::open(std::string_view connect_string,
                                                     client::ClientOptions options) {
  auto hub = std::make_shared<Hub>();
  hub->user_listener = std::move(options.on_session_event);
  options.on_session_event = [hub](SessionState s) { hub->on_event(s); };
  auto c = client::Client::connect(connect_string, std::move(options));
  if (!c.ok()) return c.error();
  {
    std::lock_guard lock(hub->mu);
    hub->client = c->get();
  }
  return std::unique_ptr<Connection>(new Connection(std::move(hub), std::move(c.value())));
}

Connection::Connection(std::shared_ptr<Hub> hub, std::unique_ptr<client::Client> client)
    : hub_(std::move(hub)), client_(std::move(client)), sync_(*client_) {}

Connection::~Connection() {
  close();
}

void Connection::close() {
  {
    std::lock_guard lock(hub_->mu);
    hub_->client = nullptr;
  }
  client_->close();
}

Connection::ListenerId Connection::add_listener(Listener listener) {
  std::lock_guard lock(hub_->mu);
  const ListenerId id = hub_->next_id++;
  hub_->listeners.emplace(id, std::make_shared<const Listener>(std::move(listener)));
  return id;
}

void Connection::remove_listener(ListenerId id) {
  std::lock_guard lock(hub_->mu);
  hub_->listeners.erase(id);
}

void Connection::delete_in_background(std::string path) {
  {
    std::lock_guard lock(hub_->mu);
    if (hub_->client == nullptr || client::is_terminal(client_->state())) return;
    hub_->pending_deletes.insert(path);
  }
  hub_->try_delete(path);
}

size_t Connection::pending_deletes() const {
  std::lock_guard lock(hub_->mu);
  return hub_->pending_deletes.size();
}

}  // namespace conclave::recipes
