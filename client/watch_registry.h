// The client's side of watches, kept by the I/O thread with the rules of ZooKeeper's
// ZKWatchManager:
//  - a watch is added only when its call succeeds (exists on a missing node adds an exist
//    watch; get_data on a missing node adds nothing);
//  - an event takes every one-shot watch it matches off the table and leaves persistent ones;
//    persistent-recursive watches on the path and on every ancestor fire for
//    created/deleted/changed, never for children-changed;
//  - one Watcher fires at most once per event, however many ways it was registered.
// Paths are client paths (chroot stripped). Not thread-safe: the I/O thread owns it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "client/types.h"

namespace conclave::client {

class WatchRegistry {
 public:
  enum class Kind { kData, kExist, kChild, kPersistent, kPersistentRecursive };
  static constexpr int kKinds = 5;

  void add(Kind kind, const std::string& path, const Watcher& w);
  // The watchers `type` on `path` triggers, in registration order, one-shot ones removed.
  std::vector<Watcher> take_for_event(wire::EventType type, const std::string& path);
  // Removes the watches of `type` on `path`; each removed watcher with the event type
  // ZooKeeper reports for it (DataWatchRemoved, ChildWatchRemoved, PersistentWatchRemoved).
  std::vector<std::pair<Watcher, wire::EventType>> remove(const std::string& path,
                                                          WatcherType type);
  // Every path with a watch of `kind`, for setWatches2 after a reconnect.
  std::vector<std::string> paths(Kind kind) const;
  bool empty() const;
  void clear();

 private:
  using Table = std::map<std::string, std::vector<Watcher>>;
  Table& table(Kind k) { return tables_[static_cast<int>(k)]; }
  const Table& table(Kind k) const { return tables_[static_cast<int>(k)]; }

  Table tables_[kKinds];
};

}  // namespace conclave::client
