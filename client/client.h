// conclave::client::Client — an asynchronous ZooKeeper client handle.
//
//   auto c = Client::connect("127.0.0.1:2181,127.0.0.1:2182/app", options);
//   if (!c.ok()) ...;                                   // a bad connect string
//   (*c)->wait_connected(std::chrono::seconds(5));
//   auto created = (*c)->create("/a", "data").get();   // Result<CreateResult>
//   (*c)->get_data("/a", watcher, [](Result<DataResult> r) { ... });
//
// Every operation comes in two forms: one returns std::future<Result<T>>, the other takes a
// completion callback. Both take a Deadline (default: ClientOptions::default_deadline_ms)
// after which the call fails with OperationTimeout.
//
// Threading contract:
//  - A Client may be used from any number of threads at once.
//  - One I/O thread per handle talks to the server; requests are pipelined and answered in
//    the order sent. No application code ever runs on it.
//  - One callback thread per handle runs, in order: completion callbacks, watchers, session
//    events, and also fulfils futures. So a watch event is seen before the result of any
//    later read that observes the change. A future created on the callback thread (a
//    blocking call inside a callback) is fulfilled from the I/O thread instead, so it can
//    be waited on there without deadlock; only that call loses the ordering promise.
//  - On a handle already closed, calls complete at once on the calling thread.
//  - close() (or the destructor) sends closeSession, fails pending calls with
//    ConnectionLoss, runs what is queued on the callback thread, and joins both threads.
//    It may be called from a callback; the callback thread then finishes on its own.
//
// Sessions: the handle reconnects by itself (hosts in shuffled order, backoff between rounds),
// re-attaches its session, resends auth and re-registers watches (setWatches2). Calls made
// while disconnected wait for the connection (up to their deadline); calls in flight when a
// connection drops fail with ConnectionLoss. After Expired or AuthFailed the handle is dead:
// every call fails with that code until it is closed.
//
// Paths are client paths: with a chroot in the connect string, every path sent is prefixed
// and every path returned (created paths, event paths, ephemerals) has it stripped.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/options.h"
#include "client/types.h"
#include "common/result.h"
#include "common/zxid.h"

namespace conclave::client {

class SessionCore;

class Client {
 public:
  // Starts connecting in the background. Fails only on a bad connect string.
  static Result<std::unique_ptr<Client>> connect(std::string_view connect_string,
                                                 ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void close();

  // Waits until connected (OK), dead (SessionExpired / AuthFailed / ConnectionLoss if
  // closed) or the timeout passes (OperationTimeout).
  Status wait_connected(std::chrono::milliseconds timeout);
  SessionState state() const;
  SessionId session_id() const;
  std::string session_password() const;
  int32_t negotiated_timeout_ms() const;
  Zxid last_zxid_seen() const;
  const std::string& chroot() const;

  // ---- Nodes ----
  // create2 / createContainer / createTTL by mode; the result carries the new node's Stat.
  std::future<Result<CreateResult>> create(std::string path, Bytes data = {},
                                           CreateOptions options = {},
                                           Deadline deadline = kDefaultDeadline);
  void create(std::string path, Bytes data, CreateOptions options, Callback<CreateResult> cb,
              Deadline deadline = kDefaultDeadline);

  // delete (version -1 matches any).
  std::future<Status> remove(std::string path, int32_t version = -1,
                             Deadline deadline = kDefaultDeadline);
  void remove(std::string path, int32_t version, StatusCallback cb,
              Deadline deadline = kDefaultDeadline);

  // nullopt when the node does not exist (then `watch` waits for its creation).
  std::future<Result<std::optional<Stat>>> exists(std::string path, Watcher watch = {},
                                                  Deadline deadline = kDefaultDeadline);
  void exists(std::string path, Watcher watch, Callback<std::optional<Stat>> cb,
              Deadline deadline = kDefaultDeadline);

  std::future<Result<DataResult>> get_data(std::string path, Watcher watch = {},
                                           Deadline deadline = kDefaultDeadline);
  void get_data(std::string path, Watcher watch, Callback<DataResult> cb,
                Deadline deadline = kDefaultDeadline);

  std::future<Result<Stat>> set_data(std::string path, Bytes data, int32_t version = -1,
                                     Deadline deadline = kDefaultDeadline);
  void set_data(std::string path, Bytes data, int32_t version, Callback<Stat> cb,
                Deadline deadline = kDefaultDeadline);

  // getChildren2: the names and the parent's Stat.
  std::future<Result<ChildrenResult>> get_children(std::string path, Watcher watch = {},
                                                   Deadline deadline = kDefaultDeadline);
  void get_children(std::string path, Watcher watch, Callback<ChildrenResult> cb,
                    Deadline deadline = kDefaultDeadline);

  std::future<Result<AclResult>> get_acl(std::string path, Deadline deadline = kDefaultDeadline);
  void get_acl(std::string path, Callback<AclResult> cb, Deadline deadline = kDefaultDeadline);

  // The version is checked against the node's aversion.
  std::future<Result<Stat>> set_acl(std::string path, AclList acl, int32_t version = -1,
                                    Deadline deadline = kDefaultDeadline);
  void set_acl(std::string path, AclList acl, int32_t version, Callback<Stat> cb,
               Deadline deadline = kDefaultDeadline);

  // Makes the connected server catch up with the leader; answers the path.
  std::future<Result<std::string>> sync(std::string path, Deadline deadline = kDefaultDeadline);
  void sync(std::string path, Callback<std::string> cb, Deadline deadline = kDefaultDeadline);

  // A version check, sent as a multi holding one check op (as ZooKeeper's client does).
  std::future<Status> check(std::string path, int32_t version,
                            Deadline deadline = kDefaultDeadline);
  void check(std::string path, int32_t version, StatusCallback cb,
             Deadline deadline = kDefaultDeadline);

  // ---- Transactions ----
  // All or nothing. On failure the error carries the failing op's code, and its detail
  // names the op's index and path.
  std::future<Result<std::vector<OpResult>>> multi(std::vector<Op> ops,
                                                   Deadline deadline = kDefaultDeadline);
  void multi(std::vector<Op> ops, Callback<std::vector<OpResult>> cb,
             Deadline deadline = kDefaultDeadline);
  // Reads only (op::get_data, op::get_children); each result succeeds or fails on its own.
  std::future<Result<std::vector<OpResult>>> multi_read(std::vector<Op> ops,
                                                        Deadline deadline = kDefaultDeadline);
  void multi_read(std::vector<Op> ops, Callback<std::vector<OpResult>> cb,
                  Deadline deadline = kDefaultDeadline);

  // ---- Session information ----
  // Ephemeral nodes this session owns under `prefix` (chroot stripped).
  std::future<Result<std::vector<std::string>>> get_ephemerals(
      std::string prefix = "/", Deadline deadline = kDefaultDeadline);
  void get_ephemerals(std::string prefix, Callback<std::vector<std::string>> cb,
                      Deadline deadline = kDefaultDeadline);
  // Every descendant of `path`, at any depth.
  std::future<Result<int32_t>> get_all_children_number(std::string path,
                                                       Deadline deadline = kDefaultDeadline);
  void get_all_children_number(std::string path, Callback<int32_t> cb,
                               Deadline deadline = kDefaultDeadline);

  // ---- Watches ----
  // A watch that stays after firing; kPersistentRecursive also covers every descendant.
  std::future<Status> add_watch(std::string path, AddWatchMode mode, Watcher watch,
                                Deadline deadline = kDefaultDeadline);
  void add_watch(std::string path, AddWatchMode mode, Watcher watch, StatusCallback cb,
                 Deadline deadline = kDefaultDeadline);
  // Removes this session's watches of `type` on `path` from the server and from the handle;
  // each removed watcher gets a *WatchRemoved event. NoWatcher if there was none.
  std::future<Status> remove_watches(std::string path, WatcherType type,
                                     Deadline deadline = kDefaultDeadline);
  void remove_watches(std::string path, WatcherType type, StatusCallback cb,
                      Deadline deadline = kDefaultDeadline);
  // OK if the server holds a watch of `type` on `path` for this session, else NoWatcher.
  std::future<Status> check_watches(std::string path, WatcherType type,
                                    Deadline deadline = kDefaultDeadline);
  void check_watches(std::string path, WatcherType type, StatusCallback cb,
                     Deadline deadline = kDefaultDeadline);

  // ---- Authentication ----
  // Adds credentials (e.g. "digest", "user:password") to the session; remembered and
  // re-sent on every reconnect. A refusal kills the handle (state kAuthFailed).
  std::future<Status> add_auth(std::string scheme, Bytes auth,
                               Deadline deadline = kDefaultDeadline);
  void add_auth(std::string scheme, Bytes auth, StatusCallback cb,
                Deadline deadline = kDefaultDeadline);
  // The (scheme, user) pairs the server has authenticated this session as.
  std::future<Result<std::vector<wire::ClientInfo>>> who_am_i(Deadline deadline = kDefaultDeadline);
  void who_am_i(Callback<std::vector<wire::ClientInfo>> cb, Deadline deadline = kDefaultDeadline);

 private:
  explicit Client(std::unique_ptr<SessionCore> core);
  std::unique_ptr<SessionCore> core_;
};

}  // namespace conclave::client
