// recipes::Lock against a real server (Conclave or Apache ZooKeeper, same expectations):
// exclusion, fairness, re-entrance, try_lock timeouts, fencing tokens, no herd, release on
// close, and the session-loss contract (suspended at once, held again after a reconnect, lost
// on expiry).
#include <thread>

#include "recipes/lock.h"
#include "recipes/protected_node.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

class LockTest : public RecipeTest {
 protected:
  // Marks "<who> <state>" for each state change of `lock`.
  static void record_states(Lock& lock, Recorder& rec, const std::string& who) {
    lock.on_state_change(
        [&rec, who](LockState s) { rec.mark(who + " " + std::string(lock_state_name(s))); });
  }
};

TEST_F(LockTest, ExclusiveAndGrantedInOrderAsked) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string lp = path("/lock");
  Lock a(*ca, lp), b(*cb, lp), c(*cc, lp);
  ASSERT_TRUE(a.lock().ok());
  EXPECT_TRUE(a.is_held());

  Recorder& order = recorder();
  std::thread tb([&] {
    auto r = b.try_lock(kWait);
    order.mark(r.ok() && *r ? "b locked" : "b failed");
    if (r.ok() && *r) {
      order.mark("b unlocking");
      EXPECT_TRUE(b.unlock().ok());
    }
  });
  ASSERT_TRUE(wait_children(*sync_, lp, 2));  // b queued before c asks
  std::thread tc([&] {
    auto r = c.try_lock(kWait);
    order.mark(r.ok() && *r ? "c locked" : "c failed");
    if (r.ok() && *r) {
      EXPECT_TRUE(c.unlock().ok());
    }
  });
  ASSERT_TRUE(wait_children(*sync_, lp, 3));
  EXPECT_TRUE(order.lines().empty());  // both wait while a holds it
  EXPECT_FALSE(b.is_held());
  EXPECT_FALSE(c.is_held());
  order.mark("a unlocking");
  ASSERT_TRUE(a.unlock().ok());
  tb.join();
  tc.join();
  EXPECT_EQ(order.lines(),
            (std::vector<std::string>{"a unlocking", "b locked", "b unlocking", "c locked"}));
  EXPECT_TRUE(wait_children(*sync_, lp, 0));  // every node cleaned up
}

TEST_F(LockTest, ReentrantPerHandle) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  const std::string lp = path("/lock");
  Lock lock(*conn, lp);
  ASSERT_TRUE(lock.lock().ok());
  auto again = lock.try_lock(0ms);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
  EXPECT_EQ(lock.hold_count(), 2);
  EXPECT_EQ(contenders(*sync_, lp, "lock-").size(), 1u);  // one node for both holds
  ASSERT_TRUE(lock.unlock().ok());
  EXPECT_TRUE(lock.is_held());
  EXPECT_EQ(contenders(*sync_, lp, "lock-").size(), 1u);
  ASSERT_TRUE(lock.unlock().ok());
  EXPECT_EQ(lock.state(), LockState::kUnlocked);
  EXPECT_TRUE(contenders(*sync_, lp, "lock-").empty());
  EXPECT_EQ(lock.unlock().code(), ErrorCode::kApiError);
}

TEST_F(LockTest, TryLockTimesOutAndLeavesNoNode) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string lp = path("/lock");
  Lock a(*ca, lp), b(*cb, lp);
  ASSERT_TRUE(a.lock().ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = b.try_lock(300ms);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(*r);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(b.state(), LockState::kUnlocked);
  EXPECT_EQ(contenders(*sync_, lp, "lock-").size(), 1u);  // b's node is gone again
  auto zero = b.try_lock(0ms);                            // not free: answers at once
  ASSERT_TRUE(zero.ok());
  EXPECT_FALSE(*zero);
  ASSERT_TRUE(a.unlock().ok());
  auto now_free = b.try_lock(0ms);  // free: taken without waiting
  ASSERT_TRUE(now_free.ok());
  EXPECT_TRUE(*now_free);
  ASSERT_TRUE(b.unlock().ok());
}

TEST_F(LockTest, FencingTokenGrowsWithEachHolder) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string lp = path("/lock");
  Lock a(*ca, lp), b(*cb, lp);
  EXPECT_EQ(a.fencing_token().code(), ErrorCode::kApiError);  // not held
  ASSERT_TRUE(a.lock().ok());
  auto ta = a.fencing_token();
  ASSERT_TRUE(ta.ok());
  auto stat = sync_->exists(ta->node);
  ASSERT_TRUE(stat.ok() && stat->has_value());
  EXPECT_EQ((*stat)->czxid, ta->czxid);
  EXPECT_EQ((*stat)->ephemeral_owner, ca->client().session_id());
  ASSERT_TRUE(a.unlock().ok());
  ASSERT_TRUE(b.lock().ok());
  auto tb = b.fencing_token();
  ASSERT_TRUE(tb.ok());
  EXPECT_GT(tb->czxid, ta->czxid);
  // Not the sequence: the empty lock path (a container) may have been removed by the server
  // since a's unlock, and b's node then starts a new count. Conclave removes it within a tick.
  EXPECT_EQ(tb->node, lp + "/" + contenders(*sync_, lp, "lock-").at(0));
  ASSERT_TRUE(b.unlock().ok());
  ASSERT_TRUE(a.lock().ok());
  auto ta2 = a.fencing_token();
  ASSERT_TRUE(ta2.ok());
  EXPECT_GT(ta2->czxid, tb->czxid);
  ASSERT_TRUE(a.unlock().ok());
}

// No herd: each waiter watches only the node just ahead of its own.
TEST_F(LockTest, WaiterWatchesOnlyItsPredecessor) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string lp = path("/lock");
  Lock a(*ca, lp), b(*cb, lp), c(*cc, lp);
  ASSERT_TRUE(a.lock().ok());
  std::thread tb([&] {
    auto r = b.try_lock(kWait);
    if (r.ok() && *r) {
      EXPECT_TRUE(b.unlock().ok());
    }
  });
  ASSERT_TRUE(wait_children(*sync_, lp, 2));
  std::thread tc([&] {
    auto r = c.try_lock(kWait);
    if (r.ok() && *r) {
      EXPECT_TRUE(c.unlock().ok());
    }
  });
  ASSERT_TRUE(wait_children(*sync_, lp, 3));
  const auto queue = contenders(*sync_, lp, "lock-");
  ASSERT_EQ(queue.size(), 3u);
  const std::string first = lp + "/" + queue[0], second = lp + "/" + queue[1];
  // b and c set their watches just after their own nodes appear: ask the server until both
  // are there (each question is a round trip, so this does not spin).
  const SessionId sa = ca->client().session_id(), sb = cb->client().session_id(),
                  sc = cc->client().session_id();
  std::map<std::string, std::set<SessionId>> watches;
  const auto end = std::chrono::steady_clock::now() + kWait;
  while ((!watches[second].count(sc) || !watches[first].count(sb)) &&
         std::chrono::steady_clock::now() < end) {
    auto w = watches_by_path();
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    watches = *w;
  }
  EXPECT_EQ(watches[second], std::set<SessionId>{sc});
  EXPECT_EQ(watches[first], std::set<SessionId>{sb});  // not c: no herd on a's release
  for (const auto& [p, sessions] : watches)
    EXPECT_FALSE(sessions.count(sa)) << p;  // the holder watches nothing
  ASSERT_TRUE(a.unlock().ok());
  tb.join();
  tc.join();
}

TEST_F(LockTest, ClosingTheHoldersConnectionPassesTheLockOn) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string lp = path("/lock");
  Lock b(*cb, lp);
  Recorder& rec = recorder();
  {
    Lock a(*ca, lp);
    record_states(a, rec, "a");
    ASSERT_TRUE(a.lock().ok());
    ca->close();  // the session ends: the node goes with it, and a is told
    EXPECT_EQ(a.state(), LockState::kLost);
    EXPECT_TRUE(rec.wait_line("a lost"));
    EXPECT_FALSE(a.fencing_token().ok());
    EXPECT_EQ(a.unlock().code(), ErrorCode::kSessionExpired);  // says the lock was lost
  }
  auto r = b.try_lock(kWait);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  ASSERT_TRUE(b.unlock().ok());
}

// A lost create reply: the retry finds the node by its GUID. Two nodes of one GUID (the lost
// create took effect, then the retry made another): the lowest is adopted, the other deleted.
TEST_F(LockTest, DuplicateNodesOfOneGuidAreAdoptedOnce) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  const std::string lp = path("/lock");
  const std::string guid = new_guid();
  auto n1 = create_protected(*conn, lp, guid, "lock-", "");
  ASSERT_TRUE(n1.ok()) << n1.error().to_string();
  auto n2 = conn->sync().create(lp + "/" + protected_name(guid, "lock-"), "",
                                {.mode = client::CreateMode::kEphemeralSequential});
  ASSERT_TRUE(n2.ok());
  auto kids = conn->sync().get_children(lp);
  ASSERT_TRUE(kids.ok());
  const auto sorted = sort_contenders(kids->children, "lock-");
  ASSERT_EQ(sorted.size(), 2u);
  auto mine = adopt_own(*conn, lp, sorted, guid);
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(*mine, 0u);
  EXPECT_EQ(lp + "/" + sorted[0].name, n1->path);
  ASSERT_TRUE(wait_children(*sync_, lp, 1));
  EXPECT_EQ(contenders(*sync_, lp, "lock-"), std::vector<std::string>{sorted[0].name});
  EXPECT_FALSE(adopt_own(*conn, lp, sorted, new_guid()).has_value());
}

TEST_F(LockTest, SuspendedAtOnceOnConnectionLossThenHeldAgain) {
  client::ClientOptions o =
      survives_restart();  // outlasts a server restart (a JVM on a loaded machine)
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string lp = path("/lock");
  Lock lock(*conn, lp);
  Recorder& rec = recorder();
  record_states(lock, rec, "lock");
  ASSERT_TRUE(lock.lock().ok());
  auto before = lock.fencing_token();
  ASSERT_TRUE(before.ok());

  kill_server();
  ASSERT_TRUE(rec.wait_line("lock suspended", 10s));  // the socket closed: told at once
  EXPECT_EQ(lock.state(), LockState::kSuspended);
  EXPECT_EQ(lock.fencing_token().code(), ErrorCode::kConnectionLoss);
  start_server();
  ASSERT_TRUE(rec.wait_line("lock held"));  // same session, node still there
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"lock suspended", "lock held"}));
  auto after = lock.fencing_token();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->czxid, before->czxid);
  ASSERT_TRUE(lock.unlock().ok());
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

TEST_F(LockTest, LostWhenTheSessionExpires) {
  client::ClientOptions o;
  o.session_timeout_ms = 2'000;
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string lp = path("/lock");
  Lock lock(*conn, lp);
  Recorder& rec = recorder();
  record_states(lock, rec, "lock");
  ASSERT_TRUE(lock.lock().ok());
  kill_server();
  ASSERT_TRUE(rec.wait_line("lock lost"));  // no server for the whole session timeout
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"lock suspended", "lock lost"}));
  start_server();
  // The server expires the session too, and the lock passes on.
  auto other = open_connection();
  ASSERT_TRUE(other);
  Lock next(*other, lp);
  auto r = next.try_lock(kWait);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(*r);
  ASSERT_TRUE(next.unlock().ok());
  EXPECT_EQ(lock.unlock().code(), ErrorCode::kSessionExpired);
  EXPECT_EQ(lock.lock().code(), ErrorCode::kSessionExpired);  // a dead session locks nothing
}

}  // namespace
}  // namespace conclave::recipes::testing
