// The shell's one session with the ensemble: a Client handle plus the shell's watcher, which
// turns every watch event and session change into a Notice for the main thread to print.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "client/client.h"
#include "client/shell/notice_queue.h"
#include "client/sync_client.h"

namespace conclave::shell {

struct ConnectionOptions {
  int32_t session_timeout_ms = 30'000;  // zkCli's default -timeout
  bool read_only = false;
  // A command that the server does not answer within this fails with "Timed out".
  int64_t command_deadline_ms = 10'000;
};

class Connection {
 public:
  using NoticeSink = std::function<void(Notice)>;

  // Starts connecting in the background; fails only on a bad connect string.
  static Result<std::unique_ptr<Connection>> open(const std::string& connect_string,
                                                  const ConnectionOptions& options,
                                                  NoticeSink sink);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // True once connected within `timeout`. If not, the handle keeps trying and announces the
  // connection when it comes ("Connected to ...").
  bool wait_connected(std::chrono::milliseconds timeout);

  client::Client& client() { return *client_; }
  client::SyncClient& sync() { return sync_; }
  // The servers, without the chroot: what messages name.
  const std::string& hosts() const { return shared_->hosts; }
  client::SessionState state() const { return client_->state(); }
  // The watcher every -w flag and addWatch registers (one identity, as zkCli's default
  // watcher, so a node watched by get -w and stat -w reports a change once).
  const client::Watcher& watcher() const { return watcher_; }
  void set_print_watches(bool on) { shared_->print_watches = on; }

 private:
  // What the client's callback thread touches; outlives neither the handle nor the sink.
  struct Shared {
    NoticeSink sink;
    std::string hosts;
    std::atomic<bool> announce_connect{false};
    std::atomic<bool> was_disconnected{false};
    std::atomic<bool> print_watches{true};
  };

  Connection(std::shared_ptr<Shared> shared, std::unique_ptr<client::Client> client,
             client::Watcher watcher);
  static void on_session_event(Shared& shared, client::SessionState state);

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<client::Client> client_;
  client::SyncClient sync_;
  client::Watcher watcher_;
};

// "ZooKeeper.States" names for the prompt: CONNECTED, CONNECTING, CLOSED, ...
std::string_view prompt_state_name(client::SessionState state);

}  // namespace conclave::shell
