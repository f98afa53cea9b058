// recipes::LeaderLatch against a real server (Conclave or Apache ZooKeeper, same
// expectations): one leader at a time and succession in join order, listeners (the loss is
// delivered before the successor can gain), the participant list, no herd, and the
// session-loss contract (lost at once on a connection loss, regained with the same session,
// lost for good on expiry).
#include <thread>

#include "recipes/leader_latch.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

class LeaderLatchTest : public RecipeTest {
 protected:
  // Marks "<id> leader" / "<id> not leader" into `rec`.
  static void record(LeaderLatch& latch, Recorder& rec) {
    latch.add_listener([&rec, id = latch.id()](bool leader) {
      rec.mark(id + (leader ? " leader" : " not leader"));
    });
  }
};

TEST_F(LeaderLatchTest, OneLeaderAtATimeInJoinOrder) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  auto c3 = open_connection();
  ASSERT_TRUE(c1 && c2 && c3);
  const std::string ep = path("/election");
  Recorder& rec = recorder();  // outlives the latches (declared after it)
  LeaderLatch l1(*c1, ep, "p1"), l2(*c2, ep, "p2"), l3(*c3, ep, "p3");
  for (LeaderLatch* l : {&l1, &l2, &l3})
    record(*l, rec);
  ASSERT_TRUE(l1.start().ok());
  auto led = l1.await_leadership(kWait);
  ASSERT_TRUE(led.ok() && *led);
  ASSERT_TRUE(l2.start().ok());
  ASSERT_TRUE(wait_children(*sync_, ep, 2));
  ASSERT_TRUE(l3.start().ok());
  ASSERT_TRUE(wait_children(*sync_, ep, 3));
  EXPECT_EQ(l1.start().code(), ErrorCode::kApiError);  // once only

  auto not_yet = l2.await_leadership(200ms);
  ASSERT_TRUE(not_yet.ok());
  EXPECT_FALSE(*not_yet);
  EXPECT_TRUE(l1.has_leadership());
  EXPECT_FALSE(l2.has_leadership());
  EXPECT_FALSE(l3.has_leadership());

  auto all = l3.participants();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "p1");
  EXPECT_TRUE((*all)[0].is_leader);
  EXPECT_EQ((*all)[1].id, "p2");
  EXPECT_FALSE((*all)[1].is_leader);
  EXPECT_EQ((*all)[2].id, "p3");
  auto leader = l2.leader();
  ASSERT_TRUE(leader.ok());
  EXPECT_EQ(leader->id, "p1");

  ASSERT_TRUE(l1.close().ok());
  EXPECT_FALSE(l1.has_leadership());
  EXPECT_EQ(l1.state(), LatchState::kClosed);
  auto next = l2.await_leadership(kWait);
  ASSERT_TRUE(next.ok() && *next);
  EXPECT_FALSE(l3.has_leadership());
  ASSERT_TRUE(l2.close().ok());
  auto last = l3.await_leadership(kWait);
  ASSERT_TRUE(last.ok() && *last);
  ASSERT_TRUE(l3.close().ok());
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"p1 leader", "p1 not leader", "p2 leader",
                                                   "p2 not leader", "p3 leader", "p3 not leader"}));
  EXPECT_TRUE(wait_children(*sync_, ep, 0));                         // every node cleaned up
  EXPECT_EQ(l1.await_leadership(0ms).code(), ErrorCode::kApiError);  // closed
}

TEST_F(LeaderLatchTest, EachWatchesOnlyItsPredecessor) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  auto c3 = open_connection();
  ASSERT_TRUE(c1 && c2 && c3);
  const std::string ep = path("/election");
  LeaderLatch l1(*c1, ep, "p1"), l2(*c2, ep, "p2"), l3(*c3, ep, "p3");
  ASSERT_TRUE(l1.start().ok());
  ASSERT_TRUE(wait_children(*sync_, ep, 1));
  ASSERT_TRUE(l2.start().ok());
  ASSERT_TRUE(wait_children(*sync_, ep, 2));
  ASSERT_TRUE(l3.start().ok());
  ASSERT_TRUE(wait_children(*sync_, ep, 3));
  const auto queue = contenders(*sync_, ep, "latch-");
  ASSERT_EQ(queue.size(), 3u);
  const std::string first = ep + "/" + queue[0], second = ep + "/" + queue[1];
  // Each latch sets its watch just after its node appears: ask the server until p3's is
  // there (each question is a round trip, so this does not spin).
  const SessionId s1 = c1->client().session_id(), s2 = c2->client().session_id(),
                  s3 = c3->client().session_id();
  std::map<std::string, std::set<SessionId>> watches;
  const auto end = std::chrono::steady_clock::now() + kWait;
  while (!(watches[second].count(s3) && watches[first].count(s2) && watches[first].count(s1)) &&
         std::chrono::steady_clock::now() < end) {
    auto w = watches_by_path();
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    watches = *w;
  }
  // The leader watches its own node (someone deleting it ends the leadership), p2 the
  // leader's, p3 only p2's: a leader leaving wakes one successor.
  EXPECT_EQ(watches[first], (std::set<SessionId>{s1, s2}));
  EXPECT_EQ(watches[second], std::set<SessionId>{s3});
}

TEST_F(LeaderLatchTest, LeadershipLostAtOnceOnConnectionLossAndRegained) {
  client::ClientOptions o =
      survives_restart();  // outlasts a server restart (a JVM on a loaded machine)
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string ep = path("/election");
  Recorder& rec = recorder();
  LeaderLatch latch(*conn, ep, "p");
  record(latch, rec);
  ASSERT_TRUE(latch.start().ok());
  ASSERT_TRUE(rec.wait_line("p leader"));
  kill_server();
  ASSERT_TRUE(rec.wait_line("p not leader", 10s));  // the socket closed: told at once
  EXPECT_FALSE(latch.has_leadership());
  EXPECT_EQ(latch.state(), LatchState::kStarted);
  start_server();
  ASSERT_TRUE(rec.wait([](const auto& ls) { return ls.size() >= 3; }));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"p leader", "p not leader", "p leader"}));
  // A gain becomes visible to has_leadership() once every listener has returned.
  auto again = latch.await_leadership(kWait);
  ASSERT_TRUE(again.ok() && *again);
}

TEST_F(LeaderLatchTest, LostOnExpiryAndTheNextLeads) {
  client::ClientOptions o;
  o.session_timeout_ms = 2'000;
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string ep = path("/election");
  Recorder& rec = recorder();
  LeaderLatch latch(*conn, ep, "p");
  record(latch, rec);
  ASSERT_TRUE(latch.start().ok());
  ASSERT_TRUE(rec.wait_line("p leader"));
  kill_server();
  ASSERT_TRUE(rec.wait_line("p not leader", 10s));
  auto lost = latch.await_leadership(kWait);  // ends when the latch is lost
  EXPECT_EQ(lost.code(), ErrorCode::kSessionExpired);
  EXPECT_EQ(latch.state(), LatchState::kLost);
  start_server();
  auto c2 = open_connection();
  ASSERT_TRUE(c2);
  LeaderLatch next(*c2, ep, "q");
  ASSERT_TRUE(next.start().ok());
  auto led = next.await_leadership(kWait);  // once the server expired p's session
  ASSERT_TRUE(led.ok() && *led);
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"p leader", "p not leader"}));
}

}  // namespace
}  // namespace conclave::recipes::testing
