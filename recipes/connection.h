// recipes::Connection — the client handle every recipe runs on, plus what a recipe needs from
// it that a bare Client does not offer: several session-state listeners (a Client has one
// on_session_event, fixed at connect time; each lock and latch needs its own) and deletes
// that are retried until they take effect (Curator's "guaranteed" delete), so that a lock node
// whose delete failed on a dropped connection is not left blocking every other contender for
// the rest of the session.
//
//   auto conn = Connection::open("127.0.0.1:2181,127.0.0.1:2182", options);
//   (*conn)->wait_connected(10s);
//   Lock lock(**conn, "/locks/orders");
//
// Threading: listeners run on the client's callback thread, in the order the states
// happened; they must not block on a recipe waiting for a watch (the watch would be delivered
// on that same thread). A Connection must outlive every recipe made on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "client/client.h"
#include "client/sync_client.h"
#include "common/result.h"

namespace conclave::recipes {

using client::SessionState;

// A call that failed for a reason that may pass: the connection dropped or the call's deadline
// went by, while the session may live on (a write may or may not have taken effect). Recipes
// retry such calls after the reconnect.
inline bool is_retryable(ErrorCode code) {
  return code == ErrorCode::kConnectionLoss || code == ErrorCode::kOperationTimeout;
}

class Connection {
 public:
  using Listener = std::function<void(SessionState)>;
  using ListenerId = uint64_t;

  // Connects in the background (as Client::connect). `options.on_session_event`, if set, is
  // kept and called before the recipes' listeners.
  static Result<std::unique_ptr<Connection>> open(std::string_view connect_string,
                                                  client::ClientOptions options = {});
  ~Connection();  // close()
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  client::Client& client() { return *client_; }
  client::SyncClient& sync() { return sync_; }
  SessionState state() const { return client_->state(); }
  Status wait_connected(std::chrono::milliseconds timeout) {
    return client_->wait_connected(timeout);
  }

  // `listener` sees every later session state change until removed. After remove_listener
  // returns the listener may still be running on the callback thread (if it was already
  // called), so a listener should hold what it touches by shared_ptr, not by `this`.
  ListenerId add_listener(Listener listener);
  void remove_listener(ListenerId id);

  // Deletes `path` (any version), retrying after each reconnect until the delete succeeds,
  // the node is gone, or the session ends (an ephemeral node then vanishes on its own).
  // Returns at once; the delete is done on the client's threads.
  void delete_in_background(std::string path);
  // How many background deletes have not taken effect yet (for tests and diagnostics).
  size_t pending_deletes() const;

  // Closes the session: every ephemeral node of it (lock and latch nodes) goes with it.
  void close();

 private:
  struct Hub;
  Connection(std::shared_ptr<Hub> hub, std::unique_ptr<client::Client> client);

  std::shared_ptr<Hub> hub_;
  std::unique_ptr<client::Client> client_;
  client::SyncClient sync_;
};

}  // namespace conclave::recipes
