#include "datatree/watch_registry.h"

#include <algorithm>
#include <set>

#include "datatree/path.h"

namespace conclave::datatree {

void WatchRegistry::add(Table& t, std::string_view path, WatcherId w, uint8_t mode) {
  auto it = t.by_path.find(path);
  if (it == t.by_path.end()) it = t.by_path.emplace(std::string(path), ModeMap{}).first;
  uint8_t& m = it->second[w];
  if ((mode & kRecursive) && !(m & kRecursive)) ++t.recursive_count;
  m |= mode;
  t.by_watcher[w].emplace(path);
}

bool WatchRegistry::remove(Table& t, std::string_view path, WatcherId w, uint8_t mode) {
  auto it = t.by_path.find(path);
  if (it == t.by_path.end()) return false;
  auto wit = it->second.find(w);
  if (wit == it->second.end()) return false;
  uint8_t old_mode = wit->second;
  uint8_t new_mode = mode == 0 ? 0 : static_cast<uint8_t>(old_mode & ~mode);
  if (new_mode == old_mode) return false;
  if ((old_mode & kRecursive) && !(new_mode & kRecursive)) --t.recursive_count;
  if (new_mode != 0) {
    wit->second = new_mode;
    return true;
  }
  it->second.erase(wit);
  if (it->second.empty()) t.by_path.erase(it);
  auto bw = t.by_watcher.find(w);
  if (bw != t.by_watcher.end()) {
    auto p = bw->second.find(std::string(path));
    if (p != bw->second.end()) bw->second.erase(p);
    if (bw->second.empty()) t.by_watcher.erase(bw);
  }
  return true;
}

bool WatchRegistry::contains(const Table& t, std::string_view path, WatcherId w, uint8_t mode) {
  auto it = t.by_path.find(path);
  if (it == t.by_path.end()) return false;
  auto wit = it->second.find(w);
  return wit != it->second.end() && (mode == 0 || (wit->second & mode) != 0);
}

void WatchRegistry::add_data_watch(std::string_view path, WatcherId w, uint8_t mode) {
  add(data_, path, w, mode);
}

void WatchRegistry::add_child_watch(std::string_view path, WatcherId w, uint8_t mode) {
  add(child_, path, w, mode);
}

Status WatchRegistry::add_watch(std::string_view path, int32_t add_watch_mode, WatcherId w) {
  if (add_watch_mode == wire::kAddWatchPersistent) {
    add(data_, path, w, kPersistent);
    add(child_, path, w, kPersistent);
    return Status::success();
  }
  if (add_watch_mode == wire::kAddWatchPersistentRecursive) {
    add(data_, path, w, kRecursive);
    return Status::success();
  }
  return Error(ErrorCode::kBadArguments, "unknown addWatch mode " + std::to_string(add_watch_mode));
}

std::vector<WatcherId> WatchRegistry::trigger(Table& t, std::string_view path, wire::EventType type,
                                              Zxid zxid, std::vector<TriggeredWatch>& out,
                                              const std::vector<WatcherId>* suppress) {
  std::vector<WatcherId> fired;
  if (auto it = t.by_path.find(path); it != t.by_path.end()) {
    for (auto wit = it->second.begin(); wit != it->second.end();) {
      fired.push_back(wit->first);
      if (wit->second & kStandard) {
        uint8_t rest = static_cast<uint8_t>(wit->second & ~kStandard);
        if (rest == 0) {
          WatcherId w = wit->first;
          wit = it->second.erase(wit);
          auto bw = t.by_watcher.find(w);
          if (bw != t.by_watcher.end()) {
            bw->second.erase(std::string(path));
            if (bw->second.empty()) t.by_watcher.erase(bw);
          }
          continue;
        }
        wit->second = rest;
      }
      ++wit;
    }
    if (it->second.empty()) t.by_path.erase(it);
  }
  if (t.recursive_count > 0 && type != wire::EventType::kNodeChildrenChanged) {
    for (std::string_view p = parent_of(path); !p.empty(); p = parent_of(p)) {
      auto it = t.by_path.find(p);
      if (it == t.by_path.end()) continue;
      for (const auto& [w, mode] : it->second) {
        if (mode & kRecursive) fired.push_back(w);
      }
    }
  }
  // One event per watcher per change, in watcher order so replay is deterministic.
  std::sort(fired.begin(), fired.end());
  fired.erase(std::unique(fired.begin(), fired.end()), fired.end());
  for (WatcherId w : fired) {
    if (suppress && std::binary_search(suppress->begin(), suppress->end(), w)) continue;
    out.push_back(
        TriggeredWatch{w,
                       wire::WatcherEvent{static_cast<int32_t>(type),
                                          static_cast<int32_t>(wire::KeeperState::kSyncConnected),
                                          std::string(path)},
                       zxid});
  }
  return fired;
}

std::vector<WatcherId> WatchRegistry::trigger_data(std::string_view path, wire::EventType type,
                                                   Zxid zxid, std::vector<TriggeredWatch>& out,
                                                   const std::vector<WatcherId>* suppress) {
  return trigger(data_, path, type, zxid, out, suppress);
}

std::vector<WatcherId> WatchRegistry::trigger_child(std::string_view path, wire::EventType type,
                                                    Zxid zxid, std::vector<TriggeredWatch>& out,
                                                    const std::vector<WatcherId>* suppress) {
  return trigger(child_, path, type, zxid, out, suppress);
}

ErrorCode WatchRegistry::check_watches(std::string_view path, wire::WatcherType type,
                                       WatcherId w) const {
  bool found = false;
  switch (type) {
    case wire::WatcherType::kChildren:
      found = contains(child_, path, w, kStandard);
      break;
    case wire::WatcherType::kData:
      found = contains(data_, path, w, kStandard);
      break;
    case wire::WatcherType::kPersistent:
      found = contains(data_, path, w, kPersistent);
      break;
    case wire::WatcherType::kPersistentRecursive:
      found = contains(data_, path, w, kRecursive);
      break;
    case wire::WatcherType::kAny:
      found = contains(child_, path, w, 0) || contains(data_, path, w, 0);
      break;
  }
  return found ? ErrorCode::kOk : ErrorCode::kNoWatcher;
}

ErrorCode WatchRegistry::remove_watches(std::string_view path, wire::WatcherType type,
                                        WatcherId w) {
  bool removed = false;
  switch (type) {
    case wire::WatcherType::kChildren:
      removed = remove(child_, path, w, kStandard);
      break;
    case wire::WatcherType::kData:
      removed = remove(data_, path, w, kStandard);
      break;
    case wire::WatcherType::kPersistent:
      removed = remove(child_, path, w, kPersistent);
      removed = remove(data_, path, w, kPersistent) || removed;
      break;
    case wire::WatcherType::kPersistentRecursive:
      removed = remove(data_, path, w, kRecursive);
      break;
    case wire::WatcherType::kAny:
      removed = remove(child_, path, w, 0);
      removed = remove(data_, path, w, 0) || removed;
      break;
  }
  return removed ? ErrorCode::kOk : ErrorCode::kNoWatcher;
}

void WatchRegistry::drop_watcher(Table& t, WatcherId w) {
  auto bw = t.by_watcher.find(w);
  if (bw == t.by_watcher.end()) return;
  for (const auto& path : bw->second) {
    auto it = t.by_path.find(path);
    if (it == t.by_path.end()) continue;
    auto wit = it->second.find(w);
    if (wit != it->second.end()) {
      if (wit->second & kRecursive) --t.recursive_count;
      it->second.erase(wit);
    }
    if (it->second.empty()) t.by_path.erase(it);
  }
  t.by_watcher.erase(bw);
}

void WatchRegistry::remove_watcher(WatcherId w) {
  drop_watcher(data_, w);
  drop_watcher(child_, w);
}

size_t WatchRegistry::watch_count() const {
  size_t n = 0;
  for (const auto& [p, m] : data_.by_path)
    n += m.size();
  for (const auto& [p, m] : child_.by_path)
    n += m.size();
  return n;
}

size_t WatchRegistry::watched_path_count() const {
  size_t n = data_.by_path.size();
  for (const auto& [p, m] : child_.by_path) {
    if (!data_.by_path.contains(p)) ++n;
  }
  return n;
}

size_t WatchRegistry::watcher_count() const {
  size_t n = data_.by_watcher.size();
  for (const auto& [w, p] : child_.by_watcher) {
    if (!data_.by_watcher.contains(w)) ++n;
  }
  return n;
}

std::map<WatcherId, std::vector<std::string>> WatchRegistry::watches_by_watcher(
    bool include_child_watches) const {
  std::map<WatcherId, std::set<std::string>> acc;
  for (const Table* t : {&data_, &child_}) {
    if (t == &child_ && !include_child_watches) break;
    for (const auto& [w, paths] : t->by_watcher)
      acc[w].insert(paths.begin(), paths.end());
  }
  std::map<WatcherId, std::vector<std::string>> out;
  for (auto& [w, paths] : acc)
    out[w].assign(paths.begin(), paths.end());
  return out;
}

std::map<std::string, std::vector<WatcherId>> WatchRegistry::watches_by_path(
    bool include_child_watches) const {
  std::map<std::string, std::set<WatcherId>> acc;
  for (const Table* t : {&data_, &child_}) {
    if (t == &child_ && !include_child_watches) break;
    for (const auto& [p, m] : t->by_path) {
      for (const auto& [w, mode] : m)
        acc[p].insert(w);
    }
  }
  std::map<std::string, std::vector<WatcherId>> out;
  for (auto& [p, ws] : acc)
    out[p].assign(ws.begin(), ws.end());
  return out;
}

}  // namespace conclave::datatree
