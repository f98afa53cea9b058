#include "datatree/watch_registry.h"

#include <gtest/gtest.h>

namespace conclave::datatree {
namespace {

using wire::EventType;

std::vector<std::pair<WatcherId, int32_t>> fired(const std::vector<TriggeredWatch>& v) {
  std::vector<std::pair<WatcherId, int32_t>> out;
  for (const auto& t : v)
    out.emplace_back(t.watcher, t.event.type);
  return out;
}

TEST(WatchRegistryTest, StandardFiresOnce) {
  WatchRegistry reg;
  reg.add_data_watch("/a", 1);
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/a", EventType::kNodeDataChanged, 5, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].event.path, "/a");
  EXPECT_EQ(out[0].event.state, static_cast<int32_t>(wire::KeeperState::kSyncConnected));
  EXPECT_EQ(out[0].zxid, 5);
  out.clear();
  reg.trigger_data("/a", EventType::kNodeDataChanged, 6, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(reg.watch_count(), 0u);
}

TEST(WatchRegistryTest, PersistentStays) {
  WatchRegistry reg;
  ASSERT_TRUE(reg.add_watch("/a", wire::kAddWatchPersistent, 1).ok());
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/a", EventType::kNodeDataChanged, 1, out);
  reg.trigger_data("/a", EventType::kNodeDataChanged, 2, out);
  reg.trigger_child("/a", EventType::kNodeChildrenChanged, 3, out);
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(reg.watch_count(), 2u);  // data + child tables
}

TEST(WatchRegistryTest, RecursiveFiresForDescendantsButNotChildrenChanged) {
  WatchRegistry reg;
  ASSERT_TRUE(reg.add_watch("/a", wire::kAddWatchPersistentRecursive, 1).ok());
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/a/b/c", EventType::kNodeCreated, 1, out);
  reg.trigger_data("/a/b/c", EventType::kNodeDataChanged, 2, out);
  reg.trigger_data("/a", EventType::kNodeDataChanged, 2, out);
  reg.trigger_child("/a", EventType::kNodeChildrenChanged, 3, out);
  reg.trigger_data("/ab", EventType::kNodeCreated, 4, out);  // not a descendant
  EXPECT_EQ(fired(out), (std::vector<std::pair<WatcherId, int32_t>>{{1, 1}, {1, 3}, {1, 3}}));
}

TEST(WatchRegistryTest, RootRecursiveSeesEverything) {
  WatchRegistry reg;
  ASSERT_TRUE(reg.add_watch("/", wire::kAddWatchPersistentRecursive, 9).ok());
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/x/y", EventType::kNodeDeleted, 1, out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(WatchRegistryTest, OneEventPerWatcherPerChange) {
  WatchRegistry reg;
  reg.add_data_watch("/a/b", 1);
  ASSERT_TRUE(reg.add_watch("/a", wire::kAddWatchPersistentRecursive, 1).ok());
  ASSERT_TRUE(reg.add_watch("/", wire::kAddWatchPersistentRecursive, 1).ok());
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/a/b", EventType::kNodeDataChanged, 1, out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(WatchRegistryTest, SeveralModesOnOnePath) {
  WatchRegistry reg;
  reg.add_data_watch("/a", 1);
  ASSERT_TRUE(reg.add_watch("/a", wire::kAddWatchPersistent, 1).ok());
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/a", EventType::kNodeDataChanged, 1, out);
  EXPECT_EQ(out.size(), 1u);
  // The standard watch is gone, the persistent one remains.
  EXPECT_EQ(reg.check_watches("/a", wire::WatcherType::kData, 1), ErrorCode::kNoWatcher);
  EXPECT_EQ(reg.check_watches("/a", wire::WatcherType::kPersistent, 1), ErrorCode::kOk);
}

TEST(WatchRegistryTest, RemoveWatchesByType) {
  WatchRegistry reg;
  reg.add_data_watch("/a", 1);
  reg.add_child_watch("/a", 1);
  EXPECT_EQ(reg.remove_watches("/a", wire::WatcherType::kPersistent, 1), ErrorCode::kNoWatcher);
  EXPECT_EQ(reg.remove_watches("/a", wire::WatcherType::kData, 1), ErrorCode::kOk);
  EXPECT_EQ(reg.remove_watches("/a", wire::WatcherType::kData, 1), ErrorCode::kNoWatcher);
  EXPECT_EQ(reg.check_watches("/a", wire::WatcherType::kChildren, 1), ErrorCode::kOk);
  EXPECT_EQ(reg.remove_watches("/a", wire::WatcherType::kAny, 2), ErrorCode::kNoWatcher);
  EXPECT_EQ(reg.remove_watches("/a", wire::WatcherType::kAny, 1), ErrorCode::kOk);
  EXPECT_EQ(reg.watch_count(), 0u);
  EXPECT_EQ(reg.remove_watches("/nothing", wire::WatcherType::kAny, 1), ErrorCode::kNoWatcher);

  ASSERT_TRUE(reg.add_watch("/r", wire::kAddWatchPersistentRecursive, 1).ok());
  EXPECT_EQ(reg.remove_watches("/r", wire::WatcherType::kPersistent, 1), ErrorCode::kNoWatcher);
  EXPECT_EQ(reg.remove_watches("/r", wire::WatcherType::kPersistentRecursive, 1), ErrorCode::kOk);
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/r/x", EventType::kNodeCreated, 1, out);
  EXPECT_TRUE(out.empty());
}

TEST(WatchRegistryTest, RemoveWatcherDropsEverythingAndCounts) {
  WatchRegistry reg;
  reg.add_data_watch("/a", 1);
  reg.add_child_watch("/b", 1);
  ASSERT_TRUE(reg.add_watch("/c", wire::kAddWatchPersistentRecursive, 1).ok());
  reg.add_data_watch("/a", 2);
  EXPECT_EQ(reg.watch_count(), 4u);
  EXPECT_EQ(reg.watched_path_count(), 3u);
  EXPECT_EQ(reg.watcher_count(), 2u);
  auto by_watcher = reg.watches_by_watcher();
  EXPECT_EQ(by_watcher[1], (std::vector<std::string>{"/a", "/b", "/c"}));
  auto by_path = reg.watches_by_path();
  EXPECT_EQ(by_path["/a"], (std::vector<WatcherId>{1, 2}));
  reg.remove_watcher(1);
  EXPECT_EQ(reg.watch_count(), 1u);
  std::vector<TriggeredWatch> out;
  reg.trigger_data("/c/x", EventType::kNodeCreated, 1, out);
  EXPECT_TRUE(out.empty());
}

TEST(WatchRegistryTest, BadAddWatchMode) {
  WatchRegistry reg;
  EXPECT_EQ(reg.add_watch("/a", 7, 1).code(), ErrorCode::kBadArguments);
}

}  // namespace
}  // namespace conclave::datatree
