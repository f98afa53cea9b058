// recipes::DoubleBarrier against a real server (Conclave or Apache ZooKeeper, same
// expectations): participants in separate sessions enter only once the N-th has arrived and
// leave only once all have left; timeouts answer false and leave no node behind; a
// participant whose session ends is told so, and stops counting for the others.
#include <algorithm>
#include <thread>

#include "recipes/double_barrier.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

// True for an answer of true; an error fails the test.
bool passed(const Result<bool>& r) {
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() && *r;
}

class DoubleBarrierTest : public RecipeTest {
 protected:
  // The participants' nodes under `bp` (every child but "ready"); empty if `bp` is gone.
  std::vector<std::string> members(const std::string& bp) {
    auto kids = sync_->get_children(bp);
    if (!kids.ok()) return {};
    std::erase(kids->children, std::string(DoubleBarrier::kReadyNode));
    return kids->children;
  }
  bool ready_exists(const std::string& bp) {
    auto st = sync_->exists(bp + "/" + std::string(DoubleBarrier::kReadyNode));
    return st.ok() && st->has_value();
  }
  // Waits (watching the children, never sleeping) until `bp` has `n` participants.
  bool wait_members(const std::string& bp, size_t n) {
    return wait_children(*sync_, bp, n + (ready_exists(bp) ? 1 : 0)) && members(bp).size() == n;
  }
  // Index of `line` in the recorder's lines (lines.size() if absent).
  static size_t position(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) - lines.begin();
  }
};

TEST_F(DoubleBarrierTest, EnterWaitsForTheLastArrivalAndLeaveForTheLastDeparture) {
  constexpr int kMembers = 3;
  const std::string bp = path("/barrier");
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < kMembers; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
  }
  Recorder& rec = recorder();
  auto participant = [&](int i) {
    DoubleBarrier b(*conns[i], bp, kMembers);
    auto in = b.enter(kWait);
    rec.mark(std::to_string(i) + (in.ok() && *in ? " entered" : " did not enter"));
    if (!rec.wait_line("go " + std::to_string(i))) return;
    auto out = b.leave(kWait);
    rec.mark(std::to_string(i) + (out.ok() && *out ? " left" : " did not leave"));
  };
  std::vector<std::thread> threads;
  threads.emplace_back(participant, 0);
  threads.emplace_back(participant, 1);
  // Both wait on "ready" (the server holds their watches), and neither has entered.
  const std::string ready = bp + "/" + std::string(DoubleBarrier::kReadyNode);
  EXPECT_TRUE(wait_data_watch(*conns[0], ready));
  EXPECT_TRUE(wait_data_watch(*conns[1], ready));
  EXPECT_EQ(members(bp).size(), 2u);
  EXPECT_FALSE(ready_exists(bp));
  rec.mark("third arrives");
  threads.emplace_back(participant, 2);
  // (EXPECT, not ASSERT, while participant threads run: they are joined below either way.)
  EXPECT_TRUE(rec.wait([](const auto& lines) {
    return std::count_if(lines.begin(), lines.end(),
                         [](const std::string& l) { return l.ends_with(" entered"); }) == kMembers;
  }));
  auto lines = rec.lines();
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_GT(position(lines, std::to_string(i) + " entered"), position(lines, "third arrives"))
        << i;
  }
  EXPECT_TRUE(ready_exists(bp));
  EXPECT_EQ(members(bp).size(), 3u);

  // 0 and 1 leave; they wait (each on another participant's node) for 2, which is still in.
  rec.mark("go 0");
  rec.mark("go 1");
  for (int i : {0, 1}) {
    const SessionId sid = conns[i]->client().session_id();
    const auto end = std::chrono::steady_clock::now() + kWait;
    bool waiting = false;
    while (!waiting && std::chrono::steady_clock::now() < end) {
      auto w = watches_by_path();  // a round trip per question: no spinning
      if (!w.ok()) {
        ADD_FAILURE() << w.error().to_string();
        break;
      }
      for (const auto& [p, sessions] : *w) {
        waiting = waiting || (p.starts_with(bp + "/") && p != ready && sessions.count(sid));
      }
    }
    EXPECT_TRUE(waiting) << i;
  }
  EXPECT_EQ(rec.count("0 left") + rec.count("1 left"), 0u);
  rec.mark("go 2");
  for (auto& t : threads)
    t.join();
  lines = rec.lines();
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_GT(position(lines, std::to_string(i) + " left"), position(lines, "go 2")) << i;
    EXPECT_LT(position(lines, std::to_string(i) + " left"), lines.size()) << i;
  }
  // Nothing is left behind: no participant, no "ready" (the next round starts clean).
  EXPECT_TRUE(members(bp).empty());
  EXPECT_FALSE(ready_exists(bp));
}

TEST_F(DoubleBarrierTest, EnterTimesOutAndLeavesNoNode) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  const std::string bp = path("/barrier");
  DoubleBarrier b(*conn, bp, 2);
  const auto start = std::chrono::steady_clock::now();
  auto r = b.enter(300ms);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(*r);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_FALSE(b.entered());
  EXPECT_TRUE(members(bp).empty());  // it does not count for a later arrival
  EXPECT_FALSE(ready_exists(bp));
  EXPECT_EQ(b.leave(0ms).code(), ErrorCode::kApiError);  // not in the barrier
}

TEST_F(DoubleBarrierTest, LeaveTimesOutWhileAnotherStaysThenFinishes) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string bp = path("/barrier");
  DoubleBarrier a(*ca, bp, 2), b(*cb, bp, 2);
  std::thread ta([&] { EXPECT_TRUE(passed(a.enter(kWait))); });
  auto in = b.enter(kWait);
  ta.join();
  ASSERT_TRUE(in.ok() && *in);
  EXPECT_EQ(a.enter(0ms).code(), ErrorCode::kApiError);  // already in

  const auto start = std::chrono::steady_clock::now();
  auto early = a.leave(300ms);
  ASSERT_TRUE(early.ok()) << early.error().to_string();
  EXPECT_FALSE(*early);  // b is still in
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_TRUE(a.entered());  // still in the barrier: leave() again to keep waiting

  Recorder& rec = recorder();
  std::thread tb([&] {
    auto out = b.leave(kWait);
    rec.mark(out.ok() && *out ? "b left" : "b did not leave");
  });
  auto out = a.leave(kWait);
  tb.join();
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_TRUE(*out);
  EXPECT_EQ(rec.lines(), std::vector<std::string>{"b left"});
  EXPECT_FALSE(a.entered());
  EXPECT_TRUE(members(bp).empty());
  EXPECT_FALSE(ready_exists(bp));
}

TEST_F(DoubleBarrierTest, ASessionThatEndsWhileEnteringIsAnErrorAndStopsCounting) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  auto cd = open_connection();
  ASSERT_TRUE(ca && cb && cc && cd);
  const std::string bp = path("/barrier");
  const std::string ready = bp + "/" + std::string(DoubleBarrier::kReadyNode);
  Recorder& rec = recorder();
  auto participant = [&](Connection& conn, const std::string& who) {
    DoubleBarrier p(conn, bp, 3);
    auto in = p.enter(kWait);
    rec.mark(who + (in.ok() ? (*in ? " entered" : " timed out")
                            : " error " + std::string(error_name(in.code()))));
  };
  std::thread ta(participant, std::ref(*ca), "a");
  std::thread tb(participant, std::ref(*cb), "b");
  EXPECT_TRUE(wait_data_watch(*ca, ready));
  EXPECT_TRUE(wait_data_watch(*cb, ready));
  cb->close();  // b's session ends while it waits: told so, and its node is gone
  tb.join();
  EXPECT_EQ(rec.lines(), std::vector<std::string>{"b error SESSIONEXPIRED"});
  EXPECT_TRUE(wait_members(bp, 1));

  // The count dropped: c makes two, not three, so a and c still wait.
  std::thread tc(participant, std::ref(*cc), "c");
  EXPECT_TRUE(wait_data_watch(*cc, ready));
  EXPECT_EQ(members(bp).size(), 2u);
  EXPECT_FALSE(ready_exists(bp));
  EXPECT_EQ(rec.lines().size(), 1u);
  rec.mark("d arrives");
  std::thread td(participant, std::ref(*cd), "d");
  ta.join();
  tc.join();
  td.join();
  const auto lines = rec.lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1], "d arrives");
  EXPECT_THAT(std::vector<std::string>(lines.begin() + 2, lines.end()),
              ::testing::UnorderedElementsAre("a entered", "c entered", "d entered"));
}

TEST_F(DoubleBarrierTest, ASessionThatExpiresWhileLeavingIsAnErrorAndCountsAsLeft) {
  client::ClientOptions short_session;
  short_session.session_timeout_ms = 2'000;
  client::ClientOptions long_session = survives_restart();  // outlasts a server restart
  auto ca = open_connection(short_session);
  auto cb = open_connection(long_session);
  ASSERT_TRUE(ca && cb);
  const std::string bp = path("/barrier");
  DoubleBarrier a(*ca, bp, 2), b(*cb, bp, 2);
  std::thread ta([&] { EXPECT_TRUE(passed(a.enter(kWait))); });
  const bool b_in = passed(b.enter(kWait));
  ta.join();
  ASSERT_TRUE(b_in);

  Recorder& rec = recorder();
  std::thread leaving([&] {
    auto out = a.leave(kWait);
    rec.mark(out.ok() ? (*out ? "a left" : "a timed out")
                      : "a error " + std::string(error_name(out.code())));
  });
  // a waits for b's node whether it is the lowest or not (the server holds the watch), then
  // its session expires with no server to talk to.
  EXPECT_TRUE(wait_data_watch(*ca, b.node_path()));
  kill_server();
  EXPECT_TRUE(rec.wait_line("a error SESSIONEXPIRED"));
  leaving.join();
  EXPECT_FALSE(a.entered());
  start_server();
  // The server expires a's session too; b, whose session survived, no longer waits for it.
  auto out = b.leave(kWait);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_TRUE(*out);
  EXPECT_TRUE(members(bp).empty());
  EXPECT_FALSE(ready_exists(bp));
}

TEST_F(DoubleBarrierTest, DestroyingAParticipantDeletesItsNode) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string bp = path("/barrier");
  DoubleBarrier b(*cb, bp, 2);
  {
    DoubleBarrier a(*ca, bp, 2);
    std::thread ta([&] { EXPECT_TRUE(passed(a.enter(kWait))); });
    const bool b_in = passed(b.enter(kWait));
    ta.join();
    ASSERT_TRUE(b_in);
    EXPECT_EQ(members(bp).size(), 2u);
  }
  EXPECT_TRUE(wait_members(bp, 1));  // a's node went with its handle, its session lives on
  auto out = b.leave(kWait);         // a counts as having left
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_TRUE(*out);
  EXPECT_TRUE(members(bp).empty());
  EXPECT_FALSE(ready_exists(bp));
}

}  // namespace
}  // namespace conclave::recipes::testing
