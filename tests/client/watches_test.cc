// Watches of each kind, against a real server: registration rules (as ZooKeeper's client
// keeps them), firing once or persistently, removal, and the order of events and replies.
//
// "Nothing fired" is proven without sleeping: events arrive in order, so once a later
// barrier event has arrived, an earlier event that was going to come would have come.
#include "tests/client/test_env.h"

namespace conclave::client::testing {
namespace {

using wire::EventType;

class WatchesTest : public ServerTest {
 protected:
  // Fires a fresh exist watch on `barrier` and waits for it: every event caused before is
  // then already delivered.
  void barrier(Recorder& rec, const std::string& barrier_path) {
    Recorder& b = recorder();
    ASSERT_TRUE(sync_->exists(barrier_path, b.watcher()).ok());
    ASSERT_TRUE(sync_->create(barrier_path).ok());
    ASSERT_TRUE(b.wait_line(event_line(EventType::kNodeCreated, barrier_path)));
    // Same connection, same callback thread: rec's earlier events are before b's.
    (void)rec;
  }
};

TEST_F(WatchesTest, DataWatchFiresOnce) {
  ASSERT_TRUE(sync_->create(path("/n")).ok());
  Recorder& rec = recorder();
  ASSERT_TRUE(sync_->get_data(path("/n"), rec.watcher()).ok());
  ASSERT_TRUE(sync_->exists(path("/n"), rec.watcher()).ok());  // same Watcher: fires once
  ASSERT_TRUE(sync_->set_data(path("/n"), "1").ok());
  ASSERT_TRUE(rec.wait_line(event_line(EventType::kNodeDataChanged, path("/n"))));
  ASSERT_TRUE(sync_->set_data(path("/n"), "2").ok());  // not watched any more
  barrier(rec, path("/barrier"));
  EXPECT_EQ(rec.lines(),
            std::vector<std::string>{event_line(EventType::kNodeDataChanged, path("/n"))});
}

TEST_F(WatchesTest, ExistWatchOnMissingNodeFiresOnCreate) {
  Recorder& rec = recorder();
  auto ex = sync_->exists(path("/later"), rec.watcher());
  ASSERT_TRUE(ex.ok());
  EXPECT_FALSE(ex->has_value());
  ASSERT_TRUE(sync_->create(path("/later")).ok());
  EXPECT_TRUE(rec.wait_line(event_line(EventType::kNodeCreated, path("/later"))));
}

TEST_F(WatchesTest, GetDataOnMissingNodeRegistersNothing) {
  Recorder& rec = recorder();
  EXPECT_EQ(sync_->get_data(path("/later"), rec.watcher()).code(), ErrorCode::kNoNode);
  EXPECT_EQ(sync_->get_children(path("/later"), rec.watcher()).code(), ErrorCode::kNoNode);
  ASSERT_TRUE(sync_->create(path("/later")).ok());
  barrier(rec, path("/barrier"));
  EXPECT_TRUE(rec.lines().empty());
}

TEST_F(WatchesTest, ChildWatchAndDelete) {
  ASSERT_TRUE(sync_->create(path("/dir")).ok());
  Recorder& kids = recorder();
  ASSERT_TRUE(sync_->get_children(path("/dir"), kids.watcher()).ok());
  ASSERT_TRUE(sync_->create(path("/dir/a")).ok());
  EXPECT_TRUE(kids.wait_line(event_line(EventType::kNodeChildrenChanged, path("/dir"))));

  Recorder& both = recorder();
  ASSERT_TRUE(sync_->get_children(path("/dir/a"), both.watcher()).ok());
  ASSERT_TRUE(sync_->get_data(path("/dir/a"), both.watcher()).ok());
  ASSERT_TRUE(sync_->remove(path("/dir/a")).ok());
  ASSERT_TRUE(both.wait_line(event_line(EventType::kNodeDeleted, path("/dir/a"))));
  barrier(both, path("/barrier"));
  EXPECT_EQ(both.count(event_line(EventType::kNodeDeleted, path("/dir/a"))), 1u);
}

TEST_F(WatchesTest, PersistentWatch) {
  ASSERT_TRUE(sync_->create(path("/p")).ok());
  Recorder& rec = recorder();
  ASSERT_TRUE(sync_->add_watch(path("/p"), AddWatchMode::kPersistent, rec.watcher()).ok());
  ASSERT_TRUE(sync_->set_data(path("/p"), "1").ok());
  ASSERT_TRUE(sync_->set_data(path("/p"), "2").ok());
  ASSERT_TRUE(sync_->create(path("/p/kid")).ok());
  ASSERT_TRUE(sync_->create(path("/p/kid/grandkid")).ok());  // not a child of /p
  ASSERT_TRUE(rec.wait([&](const auto& ls) { return ls.size() >= 3; }));
  barrier(rec, path("/barrier"));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{
                             event_line(EventType::kNodeDataChanged, path("/p")),
                             event_line(EventType::kNodeDataChanged, path("/p")),
                             event_line(EventType::kNodeChildrenChanged, path("/p")),
                         }));
  EXPECT_TRUE(sync_->check_watches(path("/p"), WatcherType::kAny).ok());
}

TEST_F(WatchesTest, PersistentRecursiveWatch) {
  ASSERT_TRUE(sync_->create(path("/r")).ok());
  Recorder& rec = recorder();
  ASSERT_TRUE(sync_->add_watch(path("/r"), AddWatchMode::kPersistentRecursive, rec.watcher()).ok());
  ASSERT_TRUE(sync_->create(path("/r/a")).ok());
  ASSERT_TRUE(sync_->create(path("/r/a/b")).ok());
  ASSERT_TRUE(sync_->set_data(path("/r/a/b"), "x").ok());
  ASSERT_TRUE(sync_->remove(path("/r/a/b")).ok());
  ASSERT_TRUE(rec.wait([&](const auto& ls) { return ls.size() >= 4; }));
  barrier(rec, path("/barrier"));
  // Never NodeChildrenChanged for a recursive watch.
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{
                             event_line(EventType::kNodeCreated, path("/r/a")),
                             event_line(EventType::kNodeCreated, path("/r/a/b")),
                             event_line(EventType::kNodeDataChanged, path("/r/a/b")),
                             event_line(EventType::kNodeDeleted, path("/r/a/b")),
                         }));
}

TEST_F(WatchesTest, RemoveAndCheckWatches) {
  ASSERT_TRUE(sync_->create(path("/n")).ok());
  Recorder& rec = recorder();
  ASSERT_TRUE(sync_->get_data(path("/n"), rec.watcher()).ok());
  EXPECT_TRUE(sync_->check_watches(path("/n"), WatcherType::kData).ok());
  EXPECT_EQ(sync_->check_watches(path("/n"), WatcherType::kChildren).code(), ErrorCode::kNoWatcher);
  ASSERT_TRUE(sync_->remove_watches(path("/n"), WatcherType::kData).ok());
  EXPECT_TRUE(rec.wait_line(event_line(EventType::kDataWatchRemoved, path("/n"))));
  EXPECT_EQ(sync_->check_watches(path("/n"), WatcherType::kData).code(), ErrorCode::kNoWatcher);
  EXPECT_EQ(sync_->remove_watches(path("/n"), WatcherType::kData).code(), ErrorCode::kNoWatcher);
  ASSERT_TRUE(sync_->set_data(path("/n"), "x").ok());
  barrier(rec, path("/barrier"));
  EXPECT_EQ(rec.lines(),
            std::vector<std::string>{event_line(EventType::kDataWatchRemoved, path("/n"))});
}

// A watch event reaches the application before the reply of a later read that sees the
// change, even when the change is made by another session.
TEST_F(WatchesTest, EventBeforeLaterReadReply) {
  ASSERT_TRUE(sync_->create(path("/n"), "old").ok());
  auto writer = connect();
  ASSERT_TRUE(writer);
  constexpr int kRounds = 20;
  for (int i = 0; i < kRounds; ++i) {
    Recorder& rec = recorder();
    Watcher w = rec.watcher();
    ASSERT_TRUE(sync_->get_data(path("/n"), w).ok());
    const std::string value = "v" + std::to_string(i);
    auto set = writer->set_data(path("/n"), value);  // from the other session
    // Read until the new value shows; every reply is recorded on the callback thread.
    for (;;) {
      std::promise<std::string> seen;
      client_->get_data(path("/n"), {}, [&](Result<DataResult> r) {
        const std::string v = r.ok() ? r->data : "";
        rec.mark("reply " + v);
        seen.set_value(v);
      });
      if (seen.get_future().get() == value) break;
    }
    ASSERT_TRUE(set.get().ok());
    const auto lines = rec.lines();
    const auto ev =
        std::find(lines.begin(), lines.end(), event_line(EventType::kNodeDataChanged, path("/n")));
    const auto reply = std::find(lines.begin(), lines.end(), "reply " + value);
    ASSERT_NE(ev, lines.end());
    EXPECT_LT(ev - lines.begin(), reply - lines.begin());
  }
}

}  // namespace
}  // namespace conclave::client::testing
