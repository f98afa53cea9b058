#include "client/shell/connection.h"

#include "client/shell/format.h"
#include "client/shell/json.h"

namespace conclave::shell {
namespace {

Notice session_notice(std::string_view state, const std::string& message) {
  return Notice{message + "\n",
                JsonObject().str("session", state).str("message", message).encode()};
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& connect_string,
                                                     const ConnectionOptions& options,
                                                     NoticeSink sink) {
  auto shared = std::make_shared<Shared>();
  shared->sink = std::move(sink);
  shared->hosts = connect_string.substr(0, connect_string.find('/'));

  client::ClientOptions copts;
  copts.session_timeout_ms = options.session_timeout_ms;
  copts.read_only = options.read_only;
  copts.default_deadline_ms = options.command_deadline_ms;
  // A shell user who waits out a network blip wants the session back, not a dead handle.
  copts.expire_when_disconnected = false;
  copts.on_session_event = [shared](client::SessionState s) { on_session_event(*shared, s); };

  auto c = client::Client::connect(connect_string, std::move(copts));
  if (!c.ok()) return c.error();

  client::Watcher watcher = [shared](const client::WatchedEvent& e) {
    if (shared->print_watches) shared->sink(Notice{format_event(e), event_json(e)});
  };
  return std::unique_ptr<Connection>(
      new Connection(std::move(shared), std::move(*c), std::move(watcher)));
}

Connection::Connection(std::shared_ptr<Shared> shared, std::unique_ptr<client::Client> client,
                       client::Watcher watcher)
    : shared_(std::move(shared)),
      client_(std::move(client)),
      sync_(*client_),
      watcher_(std::move(watcher)) {}

Connection::~Connection() {
  client_->close();
}

bool Connection::wait_connected(std::chrono::milliseconds timeout) {
  const bool ok = client_->wait_connected(timeout).ok();
  if (!ok) shared_->announce_connect = true;
  return ok;
}

void Connection::on_session_event(Shared& shared, client::SessionState state) {
  using client::SessionState;
  switch (state) {
    case SessionState::kConnected:
    case SessionState::kConnectedReadOnly: {
      const std::string ro = state == SessionState::kConnectedReadOnly ? " (read-only)" : "";
      if (shared.was_disconnected.exchange(false)) {
        shared.sink(session_notice("connected", "Reconnected to " + shared.hosts + ro));
      } else if (shared.announce_connect.exchange(false)) {
        shared.sink(session_notice("connected", "Connected to " + shared.hosts + ro));
      }
      break;
    }
    case SessionState::kDisconnected:
      if (!shared.was_disconnected.exchange(true)) {
        shared.sink(session_notice("disconnected", "Connection lost — retrying " + shared.hosts));
      }
      break;
    case SessionState::kExpired:
      shared.sink(session_notice(
          "expired", describe_error(Error(ErrorCode::kSessionExpired), "", shared.hosts)));
      break;
    case SessionState::kAuthFailed:
      shared.sink(session_notice("auth_failed",
                                 describe_error(Error(ErrorCode::kAuthFailed), "", shared.hosts)));
      break;
    case SessionState::kConnecting:
    case SessionState::kClosed:
      break;
  }
}

std::string_view prompt_state_name(client::SessionState state) {
  using client::SessionState;
  switch (state) {
    case SessionState::kConnecting:
    case SessionState::kDisconnected:
      return "CONNECTING";
    case SessionState::kConnected:
      return "CONNECTED";
    case SessionState::kConnectedReadOnly:
      return "CONNECTEDREADONLY";
    case SessionState::kAuthFailed:
      return "AUTH_FAILED";
    case SessionState::kExpired:
    case SessionState::kClosed:
      return "CLOSED";
  }
  return "CLOSED";
}

}  // namespace conclave::shell
