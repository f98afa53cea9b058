// Who watches what, and which watchers a change fires. Two tables as in ZooKeeper: data watches
// (getData, exists, addWatch) and child watches (getChildren, addWatch PERSISTENT). A
// (path, watcher) pair in a table carries a set of modes: STANDARD (fires once), PERSISTENT,
// PERSISTENT_RECURSIVE (data table only; fires for every descendant except
// NodeChildrenChanged). This is the ZooKeeper 3.9 model (ZOOKEEPER-4466), where one connection
// may hold several modes on one path.
//
// Not thread-safe; the server's event loop owns it through DataTree.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "common/result.h"
#include "common/zxid.h"
#include "wire/records.h"

namespace conclave::datatree {

// A watcher: one client connection, numbered by the server.
using WatcherId = uint64_t;

struct TriggeredWatch {
  WatcherId watcher = 0;
  wire::WatcherEvent event;  // state is SyncConnected
  Zxid zxid = -1;            // the change's zxid (3.9 puts it in the notification header)
};

// Heterogeneous lookup so a string_view finds a std::string key without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class WatchRegistry {
 public:
  enum Mode : uint8_t { kStandard = 1, kPersistent = 2, kRecursive = 4 };

  void add_data_watch(std::string_view path, WatcherId w, uint8_t mode = kStandard);
  void add_child_watch(std::string_view path, WatcherId w, uint8_t mode = kStandard);
  // addWatch: mode 0 PERSISTENT (data + child), 1 PERSISTENT_RECURSIVE (data only).
  Status add_watch(std::string_view path, int32_t add_watch_mode, WatcherId w);

  // Fires the data table for a change of `path`: exact-path watchers of any mode, plus
  // recursive watchers of ancestors unless `type` is NodeChildrenChanged. Standard watches
  // fire once. Watchers in `suppress` are consumed but not notified. Returns who fired.
  std::vector<WatcherId> trigger_data(std::string_view path, wire::EventType type, Zxid zxid,
                                      std::vector<TriggeredWatch>& out,
                                      const std::vector<WatcherId>* suppress = nullptr);
  std::vector<WatcherId> trigger_child(std::string_view path, wire::EventType type, Zxid zxid,
                                       std::vector<TriggeredWatch>& out,
                                       const std::vector<WatcherId>* suppress = nullptr);

  // checkWatches / removeWatches: kNoWatcher when nothing matches. The client produces the
  // *WatchRemoved events itself; the server only replies (FinalRequestProcessor).
  ErrorCode check_watches(std::string_view path, wire::WatcherType type, WatcherId w) const;
  ErrorCode remove_watches(std::string_view path, wire::WatcherType type, WatcherId w);

  // A connection closed: drops all its watches.
  void remove_watcher(WatcherId w);

  // For wchs / wchc / wchp and mntr's watch_count.
  size_t watch_count() const;         // (path, watcher) pairs over both tables
  size_t watched_path_count() const;  // distinct paths
  size_t watcher_count() const;       // distinct watchers
  // ZooKeeper's wchc/wchp/wchs list data (and exist) watches only, hence the flag.
  std::map<WatcherId, std::vector<std::string>> watches_by_watcher(
      bool include_child_watches = true) const;
  std::map<std::string, std::vector<WatcherId>> watches_by_path(
      bool include_child_watches = true) const;

 private:
  using ModeMap = std::unordered_map<WatcherId, uint8_t>;
  struct Table {
    std::unordered_map<std::string, ModeMap, StringHash, std::equal_to<>> by_path;
    std::unordered_map<WatcherId, std::unordered_set<std::string>> by_watcher;
    size_t recursive_count = 0;  // pairs holding kRecursive; 0 skips the ancestor walk
  };
  static void add(Table& t, std::string_view path, WatcherId w, uint8_t mode);
  // Removes `mode` bits (all when 0) of (path, w); true if anything was removed.
  static bool remove(Table& t, std::string_view path, WatcherId w, uint8_t mode);
  static bool contains(const Table& t, std::string_view path, WatcherId w, uint8_t mode);
  static std::vector<WatcherId> trigger(Table& t, std::string_view path, wire::EventType type,
                                        Zxid zxid, std::vector<TriggeredWatch>& out,
                                        const std::vector<WatcherId>* suppress);
  static void drop_watcher(Table& t, WatcherId w);

  Table data_;
  Table child_;
};

}  // namespace conclave::datatree
