// The vocabulary of the client API: session states, watch events and watchers, create
// modes, typed results, multi ops, and the callback types every asynchronous call takes.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "wire/data_types.h"
#include "wire/records.h"

namespace conclave::client {

using wire::Acl;
using wire::AclList;
using wire::Bytes;
using wire::Stat;

// What the handle's session is doing, as delivered to ClientOptions::on_session_event.
enum class SessionState {
  kConnecting,         // not yet connected (initial state; never delivered as an event)
  kConnected,          // connected, reads and writes allowed
  kConnectedReadOnly,  // connected to a read-only server (only with ClientOptions::read_only)
  kDisconnected,       // connection lost; the handle is reconnecting and the session may live
  kExpired,            // the session is gone: the handle is dead, every call fails
  kAuthFailed,         // the server refused an add_auth: the handle is dead
  kClosed,             // close() finished: the handle is dead
};

std::string_view session_state_name(SessionState s);

// True for the states after which the handle never serves a call again.
inline bool is_terminal(SessionState s) {
  return s == SessionState::kExpired || s == SessionState::kAuthFailed ||
         s == SessionState::kClosed;
}

// A watch firing (or a watch removed by remove_watches). `path` is relative to the chroot.
struct WatchedEvent {
  wire::EventType type = wire::EventType::kNone;
  std::string path;
};

// A watch callback. A Watcher has identity: registering the same Watcher object twice on
// one path (say exists and get_data) makes it fire once per event, as ZooKeeper's client
// keeps watchers in a set. Every Watcher built from a lambda is a new identity.
class Watcher {
 public:
  using Fn = std::function<void(const WatchedEvent&)>;

  Watcher() = default;
  template <class F>
  requires std::invocable<F&, const WatchedEvent&> &&
      (!std::same_as<std::decay_t<F>, Watcher>)Watcher(F f)
      : fn_(std::make_shared<const Fn>(std::move(f))) {}

  explicit operator bool() const { return fn_ != nullptr; }
  void operator()(const WatchedEvent& e) const { (*fn_)(e); }
  const void* identity() const { return fn_.get(); }

 private:
  std::shared_ptr<const Fn> fn_;
};

// CreateMode (ZooKeeper's numeric flags). TTL modes need the server's extended types
// (zookeeper.extendedTypesEnabled on Apache ZooKeeper) and CreateOptions::ttl_ms > 0.
enum class CreateMode : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
};

inline bool is_sequential(CreateMode m) {
  return m == CreateMode::kPersistentSequential || m == CreateMode::kEphemeralSequential ||
         m == CreateMode::kPersistentSequentialWithTtl;
}
inline bool is_ttl(CreateMode m) {
  return m == CreateMode::kPersistentWithTtl || m == CreateMode::kPersistentSequentialWithTtl;
}

struct CreateOptions {
  CreateMode mode = CreateMode::kPersistent;
  AclList acl = wire::open_acl_unsafe();
  int64_t ttl_ms = 0;  // only for the TTL modes
};

// addWatch modes (ZooDefs.AddWatchModes).
enum class AddWatchMode : int32_t {
  kPersistent = wire::kAddWatchPersistent,
  kPersistentRecursive = wire::kAddWatchPersistentRecursive,
};

using wire::WatcherType;

// ---- Typed results ----

struct CreateResult {
  std::string path;  // the created path (with the sequential suffix), chroot stripped
  Stat stat;
};

struct DataResult {
  Bytes data;
  Stat stat;
};

struct ChildrenResult {
  std::vector<std::string> children;  // names, not paths, in the server's order
  Stat stat;                          // the parent's Stat
};

struct AclResult {
  AclList acl;
  Stat stat;
};

// One op's outcome inside multi / multi_read: `type` is the op's opcode, or kError with
// `err` set. Paths are chroot-stripped.
using OpResult = wire::MultiResult;

// ---- multi ops ----

// One operation of a multi (writes) or multi_read (reads). Build with the op:: functions.
struct Op {
  wire::MultiOpEntry entry;
};

namespace op {
Op create(std::string path, Bytes data = {}, CreateOptions options = {});
Op remove(std::string path, int32_t version = -1);
Op set_data(std::string path, Bytes data, int32_t version = -1);
Op check(std::string path, int32_t version);
Op get_data(std::string path);      // multi_read only
Op get_children(std::string path);  // multi_read only
}  // namespace op

// ---- Callbacks ----

// Completion of an operation with a value.
template <class T>
using Callback = std::function<void(Result<T>)>;
// Completion of an operation without a value (delete, check, add_watch, ...).
using StatusCallback = std::function<void(Status)>;

// A call's deadline: the time from submission until the call fails with OperationTimeout.
// kDefaultDeadline means ClientOptions::default_deadline_ms.
using Deadline = std::chrono::milliseconds;
constexpr Deadline kDefaultDeadline{0};

}  // namespace conclave::client
