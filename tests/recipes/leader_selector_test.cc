// recipes::LeaderSelector against a real server (Conclave or Apache ZooKeeper, same
// expectations): never two leader functions at once (an in-process counter would see it), a
// returning function hands leadership to the next in line, auto_requeue and requeue() queue
// again at the back, a connection loss stops the function at once and reports the loss, an
// expired session ends the selector, close() while leading stops the function first.
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>

#include "recipes/leader_selector.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

class LeaderSelectorTest : public RecipeTest {
 protected:
  // Marks "<id> leader" / "<id> not leader" into `rec`.
  static void record(LeaderSelector& s, Recorder& rec) {
    s.add_listener(
        [&rec, id = s.id()](bool leader) { rec.mark(id + (leader ? " leader" : " not leader")); });
  }
};

TEST_F(LeaderSelectorTest, OneLeaderFunctionAtATimeAndEveryoneGetsTurns) {
  constexpr int kSelectors = 4;
  constexpr int kTurns = 24;
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < kSelectors; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
  }
  const std::string ep = path("/election");
  Recorder& rec = recorder();
  Recorder& gate = recorder();  // "open" once everyone is in the queue
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  auto lead = [&](LeadershipContext& ctx) {
    const int now = ++running;
    int seen = most_running.load();
    while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
    }
    (void)gate.wait_line("open");
    rec.mark(ctx.participant_id());
    // Lead for a while, long enough that a second leader started meanwhile would overlap.
    ctx.wait_for_stop(20ms);
    --running;
  };
  std::vector<std::unique_ptr<LeaderSelector>> selectors;
  for (int i = 0; i < kSelectors; ++i) {
    selectors.push_back(std::make_unique<LeaderSelector>(*conns[i], ep, "p" + std::to_string(i),
                                                         lead, LeaderSelectorOptions{true}));
  }
  // They join one after another while p0 leads (held at the gate): the queue is p0 .. p3.
  for (int i = 0; i < kSelectors; ++i) {
    ASSERT_TRUE(selectors[i]->start().ok());
    ASSERT_TRUE(wait_children(*sync_, ep, static_cast<size_t>(i + 1)));
  }
  gate.mark("open");
  ASSERT_TRUE(rec.wait([&](const auto& ls) { return ls.size() >= static_cast<size_t>(kTurns); }));
  for (auto& s : selectors)
    ASSERT_TRUE(s->close().ok());
  EXPECT_EQ(most_running.load(), 1);
  EXPECT_EQ(running.load(), 0);
  // The first round goes in join order. Then each queues again at the back when its turn
  // ends, so nobody is starved; the order may shift (a selector whose new node is created
  // after the next leader's whole turn -- a slow thread on a loaded machine -- queues behind
  // that leader too).
  const auto lines = rec.lines();
  ASSERT_GE(lines.size(), static_cast<size_t>(kTurns));
  std::map<std::string, int> led;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i < kSelectors) {
      EXPECT_EQ(lines[i], "p" + std::to_string(i)) << "turn " << i;
    }
    ++led[lines[i]];
  }
  for (int i = 0; i < kSelectors; ++i)
    EXPECT_GE(led["p" + std::to_string(i)], kTurns / kSelectors / 2) << "p" << i;
  EXPECT_TRUE(wait_children(*sync_, ep, 0));  // every node cleaned up
}

TEST_F(LeaderSelectorTest, ReturningHandsLeadershipToTheNextAndRequeueJoinsAgain) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  ASSERT_TRUE(c1 && c2);
  const std::string ep = path("/election");
  Recorder& rec = recorder();
  Recorder& runs = recorder();
  LeaderSelector s1(*c1, ep, "p1", [&](LeadershipContext& ctx) {
    runs.mark("p1 turn " + std::to_string(ctx.turn()));
  });
  LeaderSelector s2(*c2, ep, "p2", [&](LeadershipContext& ctx) {
    runs.mark("p2 runs");
    const bool stopped = ctx.wait_for_stop(kWait);
    runs.mark(stopped ? "p2 told to stop" : "p2 never told");
  });
  record(s1, rec);
  record(s2, rec);
  EXPECT_EQ(s1.requeue().code(), ErrorCode::kApiError);  // not started
  ASSERT_TRUE(s1.start().ok());
  EXPECT_EQ(s1.start().code(), ErrorCode::kApiError);  // once only
  ASSERT_TRUE(runs.wait_line("p1 turn 1"));
  // Its function returned: the node is deleted, and without auto_requeue it stays out.
  ASSERT_TRUE(rec.wait_line("p1 not leader"));
  EXPECT_TRUE(wait_children(*sync_, ep, 0));
  EXPECT_FALSE(s1.has_leadership());
  EXPECT_EQ(s1.state(), LatchState::kStarted);

  ASSERT_TRUE(s2.start().ok());
  ASSERT_TRUE(runs.wait_line("p2 runs"));
  EXPECT_TRUE(s2.has_leadership());
  auto again = s1.requeue();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
  ASSERT_TRUE(wait_children(*sync_, ep, 2));
  auto queued = s1.requeue();  // queued already
  ASSERT_TRUE(queued.ok());
  EXPECT_FALSE(*queued);
  auto all = s1.participants();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "p2");
  EXPECT_TRUE((*all)[0].is_leader);
  EXPECT_EQ((*all)[1].id, "p1");
  auto leader = s1.leader();
  ASSERT_TRUE(leader.ok());
  EXPECT_EQ(leader->id, "p2");

  s2.interrupt_leadership();  // the function is told; its return ends the turn
  ASSERT_TRUE(runs.wait_line("p1 turn 2"));
  EXPECT_EQ(runs.lines(),
            (std::vector<std::string>{"p1 turn 1", "p2 runs", "p2 told to stop", "p1 turn 2"}));
  ASSERT_TRUE(rec.wait([](const auto& ls) { return ls.size() >= 6; }));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"p1 leader", "p1 not leader", "p2 leader",
                                                   "p2 not leader", "p1 leader", "p1 not leader"}));
  EXPECT_TRUE(wait_children(*sync_, ep, 0));
  EXPECT_EQ(s2.state(), LatchState::kStarted);  // interrupted, not closed: it may requeue
}

TEST_F(LeaderSelectorTest, AutoRequeueLeadsAgainAfterEachTurnEvenWhenTheFunctionThrows) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  Recorder& runs = recorder();
  LeaderSelector s(*conn, path("/election"), "p",
                   [&](LeadershipContext& ctx) {
                     runs.mark("turn " + std::to_string(ctx.turn()));
                     if (ctx.turn() == 2) throw std::runtime_error("a leader's bug");
                   },
                   {.auto_requeue = true});
  ASSERT_TRUE(s.start().ok());
  ASSERT_TRUE(runs.wait_line("turn 4"));
  ASSERT_TRUE(s.close().ok());
  const auto lines = runs.lines();
  ASSERT_GE(lines.size(), 4u);
  for (size_t i = 0; i < lines.size(); ++i)
    EXPECT_EQ(lines[i], "turn " + std::to_string(i + 1));
  EXPECT_TRUE(wait_children(*sync_, path("/election"), 0));
}

TEST_F(LeaderSelectorTest, ConnectionLossStopsTheFunctionAtOnceAndReportsTheLoss) {
  client::ClientOptions o =
      survives_restart();             // outlasts a server restart (a JVM on a loaded machine)
  auto checker = open_connection(o);  // the fixture's 10 s session may not outlast a restart
  ASSERT_TRUE(checker);
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string ep = path("/election");
  Recorder& rec = recorder();
  Recorder& runs = recorder();
  LeaderSelector s(*conn, ep, "p",
                   [&](LeadershipContext& ctx) {
                     runs.mark("turn " + std::to_string(ctx.turn()));
                     const bool stopped = ctx.wait_for_stop(kWait);
                     runs.mark(stopped ? "stopped" : "never told");
                   },
                   {.auto_requeue = true});
  record(s, rec);
  ASSERT_TRUE(s.start().ok());
  ASSERT_TRUE(runs.wait_line("turn 1"));
  ASSERT_TRUE(s.has_leadership());
  kill_server();
  // The socket closed: told at once, long before the session could expire.
  ASSERT_TRUE(runs.wait_line("stopped", 10s));
  ASSERT_TRUE(rec.wait_line("p not leader", 10s));
  EXPECT_FALSE(s.has_leadership());
  EXPECT_EQ(s.state(), LatchState::kStarted);
  start_server();
  // The same session comes back: the old node is deleted, the selector queues again and,
  // alone, leads a new turn.
  ASSERT_TRUE(runs.wait_line("turn 2"));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"p leader", "p not leader", "p leader"}));
  ASSERT_TRUE(wait_children(checker->sync(), ep, 1));
  ASSERT_TRUE(s.close().ok());
  EXPECT_EQ(runs.lines(), (std::vector<std::string>{"turn 1", "stopped", "turn 2", "stopped"}));
  EXPECT_TRUE(wait_children(checker->sync(), ep, 0));
}

TEST_F(LeaderSelectorTest, ExpiredSessionEndsTheSelectorAndTheNextLeads) {
  client::ClientOptions o;
  o.session_timeout_ms = 2'000;
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string ep = path("/election");
  Recorder& runs = recorder();
  LeaderSelector s(*conn, ep, "p",
                   [&](LeadershipContext& ctx) {
                     runs.mark("p leads");
                     ctx.wait_for_stop(kWait);
                     runs.mark("p stopped");
                   },
                   {.auto_requeue = true});
  Recorder& states = recorder();
  conn->add_listener(states.state_listener());  // called after the selector's own listener
  ASSERT_TRUE(s.start().ok());
  ASSERT_TRUE(runs.wait_line("p leads"));
  kill_server();
  ASSERT_TRUE(runs.wait_line("p stopped", 10s));
  // The client declares the session expired once the server was silent for its timeout.
  ASSERT_TRUE(states.wait_line("state expired"));
  EXPECT_EQ(s.state(), LatchState::kLost);
  EXPECT_EQ(s.requeue().code(), ErrorCode::kSessionExpired);
  start_server();
  auto c2 = open_connection();
  ASSERT_TRUE(c2);
  LeaderSelector next(*c2, ep, "q", [&](LeadershipContext&) { runs.mark("q leads"); });
  ASSERT_TRUE(next.start().ok());
  ASSERT_TRUE(runs.wait_line("q leads"));  // once the server expired p's session
  EXPECT_EQ(runs.count("p leads"), 1u);
}

TEST_F(LeaderSelectorTest, CloseWhileLeadingStopsTheFunctionFirst) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  ASSERT_TRUE(c1 && c2);
  const std::string ep = path("/election");
  Recorder& runs = recorder();
  std::atomic<bool> returned{false};
  auto s1 = std::make_unique<LeaderSelector>(*c1, ep, "p1", [&](LeadershipContext& ctx) {
    runs.mark("p1 leads");
    while (!ctx.should_stop())
      ctx.wait_for_stop(5ms);  // a leader working in small steps
    returned = true;
  });
  LeaderSelector s2(*c2, ep, "p2", [&](LeadershipContext&) { runs.mark("p2 leads"); });
  ASSERT_TRUE(s1->start().ok());
  ASSERT_TRUE(runs.wait_line("p1 leads"));
  ASSERT_TRUE(s2.start().ok());
  ASSERT_TRUE(wait_children(*sync_, ep, 2));
  EXPECT_EQ(runs.count("p2 leads"), 0u);
  ASSERT_TRUE(s1->close().ok());
  EXPECT_TRUE(returned.load());  // close() returned after the function did
  EXPECT_EQ(s1->state(), LatchState::kClosed);
  EXPECT_FALSE(s1->has_leadership());
  ASSERT_TRUE(s1->close().ok());  // idempotent
  ASSERT_TRUE(runs.wait_line("p2 leads"));
  EXPECT_EQ(runs.lines(), (std::vector<std::string>{"p1 leads", "p2 leads"}));
  s1.reset();
  EXPECT_TRUE(wait_children(*sync_, ep, 0));
}

TEST_F(LeaderSelectorTest, CloseWhileDisconnectedLeavesTheDeleteToTheConnection) {
  client::ClientOptions o =
      survives_restart();             // the session outlives the restart: its node must be deleted
  auto checker = open_connection(o);  // the fixture's 10 s session may not outlast a restart
  ASSERT_TRUE(checker);
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string ep = path("/election");
  Recorder& rec = recorder();
  LeaderSelector s(*conn, ep, "p", [](LeadershipContext& ctx) { ctx.wait_for_stop(kWait); });
  record(s, rec);
  ASSERT_TRUE(s.start().ok());
  ASSERT_TRUE(rec.wait_line("p leader"));
  kill_server();
  ASSERT_TRUE(rec.wait_line("p not leader", 10s));
  // Not a wait for the reconnect (up to the client's 30 s deadline): the node is handed to
  // the connection's background delete.
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.close().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  start_server();
  EXPECT_TRUE(wait_children(checker->sync(), ep, 0));  // deleted once the connection is back
}

TEST_F(LeaderSelectorTest, CloseFromTheLeaderFunctionIsRefused) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  Recorder& runs = recorder();
  LeaderSelector* self = nullptr;
  LeaderSelector s(*conn, path("/election"), "p", [&](LeadershipContext&) {
    runs.mark(self->close().code() == ErrorCode::kApiError ? "refused" : "not refused");
  });
  self = &s;
  ASSERT_TRUE(s.start().ok());
  ASSERT_TRUE(runs.wait_line("refused"));
}

}  // namespace
}  // namespace conclave::recipes::testing
