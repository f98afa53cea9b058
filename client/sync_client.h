// SyncClient: the blocking facade over Client. Each method submits the asynchronous call and
// waits for its result; the wait is bounded by the call's deadline, so it always returns.
// Safe to use from any thread, including inside a watcher or completion callback (the
// Client completes futures made on its callback thread from the I/O thread; see client.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/client.h"

namespace conclave::client {

class SyncClient {
 public:
  explicit SyncClient(Client& client) : c_(client) {}

  Client& async() { return c_; }

  Result<CreateResult> create(std::string path, Bytes data = {}, CreateOptions options = {},
                              Deadline d = kDefaultDeadline);
  Status remove(std::string path, int32_t version = -1, Deadline d = kDefaultDeadline);
  Result<std::optional<Stat>> exists(std::string path, Watcher watch = {},
                                     Deadline d = kDefaultDeadline);
  Result<DataResult> get_data(std::string path, Watcher watch = {}, Deadline d = kDefaultDeadline);
  Result<Stat> set_data(std::string path, Bytes data, int32_t version = -1,
                        Deadline d = kDefaultDeadline);
  Result<ChildrenResult> get_children(std::string path, Watcher watch = {},
                                      Deadline d = kDefaultDeadline);
  Result<AclResult> get_acl(std::string path, Deadline d = kDefaultDeadline);
  Result<Stat> set_acl(std::string path, AclList acl, int32_t version = -1,
                       Deadline d = kDefaultDeadline);
  Result<std::string> sync(std::string path, Deadline d = kDefaultDeadline);
  Status check(std::string path, int32_t version, Deadline d = kDefaultDeadline);
  Result<std::vector<OpResult>> multi(std::vector<Op> ops, Deadline d = kDefaultDeadline);
  Result<std::vector<OpResult>> multi_read(std::vector<Op> ops, Deadline d = kDefaultDeadline);
  Result<std::vector<std::string>> get_ephemerals(std::string prefix = "/",
                                                  Deadline d = kDefaultDeadline);
  Result<int32_t> get_all_children_number(std::string path, Deadline d = kDefaultDeadline);
  Status add_watch(std::string path, AddWatchMode mode, Watcher watch,
                   Deadline d = kDefaultDeadline);
  Status remove_watches(std::string path, WatcherType type, Deadline d = kDefaultDeadline);
  Status check_watches(std::string path, WatcherType type, Deadline d = kDefaultDeadline);
  Status add_auth(std::string scheme, Bytes auth, Deadline d = kDefaultDeadline);
  Result<std::vector<wire::ClientInfo>> who_am_i(Deadline d = kDefaultDeadline);

 private:
  Client& c_;
};

}  // namespace conclave::client
