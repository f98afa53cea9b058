#include "client/watch_registry.h"

#include <algorithm>

namespace conclave::client {
namespace {

void add_unique(std::vector<Watcher>& out, const Watcher& w) {
  for (const Watcher& have : out) {
    if (have.identity() == w.identity()) return;
  }
  out.push_back(w);
}

// "/a/b/c" -> "/a/b/c", "/a/b", "/a", "/".
std::vector<std::string> self_and_ancestors(const std::string& path) {
  std::vector<std::string> out{path};
  std::string p = path;
  while (p.size() > 1) {
    const size_t slash = p.rfind('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
    out.push_back(p);
  }
  return out;
}

}  // namespace

void WatchRegistry::add(Kind kind, const std::string& path, const Watcher& w) {
  if (!w) return;
  add_unique(table(kind)[path], w);
}

std::vector<Watcher> WatchRegistry::take_for_event(wire::EventType type, const std::string& path) {
  std::vector<Watcher> out;
  auto take = [&](Kind k) {
    auto it = table(k).find(path);
    if (it == table(k).end()) return;
    for (const Watcher& w : it->second)
      add_unique(out, w);
    table(k).erase(it);
  };
  auto copy_persistent = [&] {
    auto it = table(Kind::kPersistent).find(path);
    if (it == table(Kind::kPersistent).end()) return;
    for (const Watcher& w : it->second)
      add_unique(out, w);
  };
  auto copy_recursive = [&] {
    for (const std::string& p : self_and_ancestors(path)) {
      auto it = table(Kind::kPersistentRecursive).find(p);
      if (it == table(Kind::kPersistentRecursive).end()) continue;
      for (const Watcher& w : it->second)
        add_unique(out, w);
    }
  };
  switch (type) {
    case wire::EventType::kNodeCreated:
    case wire::EventType::kNodeDataChanged:
      take(Kind::kData);
      take(Kind::kExist);
      copy_persistent();
      copy_recursive();
      break;
    case wire::EventType::kNodeChildrenChanged:
      take(Kind::kChild);
      copy_persistent();
      break;
    case wire::EventType::kNodeDeleted:
      take(Kind::kData);
      take(Kind::kExist);
      take(Kind::kChild);
      copy_persistent();
      copy_recursive();
      break;
    default:
      break;
  }
  return out;
}

std::vector<std::pair<Watcher, wire::EventType>> WatchRegistry::remove(const std::string& path,
                                                                       WatcherType type) {
  std::vector<std::pair<Watcher, wire::EventType>> out;
  auto drop = [&](Kind k, wire::EventType ev) {
    auto it = table(k).find(path);
    if (it == table(k).end()) return;
    for (const Watcher& w : it->second)
      out.emplace_back(w, ev);
    table(k).erase(it);
  };
  const bool any = type == WatcherType::kAny;
  if (any || type == WatcherType::kChildren) {
    drop(Kind::kChild, wire::EventType::kChildWatchRemoved);
  }
  if (any || type == WatcherType::kData) {
    drop(Kind::kData, wire::EventType::kDataWatchRemoved);
    drop(Kind::kExist, wire::EventType::kDataWatchRemoved);
  }
  if (any || type == WatcherType::kPersistent) {
    drop(Kind::kPersistent, wire::EventType::kPersistentWatchRemoved);
  }
  if (any || type == WatcherType::kPersistentRecursive) {
    drop(Kind::kPersistentRecursive, wire::EventType::kPersistentWatchRemoved);
  }
  return out;
}

std::vector<std::string> WatchRegistry::paths(Kind kind) const {
  std::vector<std::string> out;
  for (const auto& [path, watchers] : table(kind)) {
    if (!watchers.empty()) out.push_back(path);
  }
  return out;
}

bool WatchRegistry::empty() const {
  return std::all_of(std::begin(tables_), std::end(tables_),
                     [](const Table& t) { return t.empty(); });
}

void WatchRegistry::clear() {
  for (Table& t : tables_)
    t.clear();
}

}  // namespace conclave::client
