// recipes::Barrier against a real server: waiters in other sessions block while it is up and
// are all released when it comes down; no barrier means no wait; a waiter whose session ends
// is told so.
#include <map>
#include <set>
#include <thread>

#include "recipes/barrier.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

using BarrierTest = RecipeTest;

TEST_F(BarrierTest, WaitersAreReleasedTogetherWhenItComesDown) {
  constexpr int kWaiters = 3;
  auto coordinator = open_connection();
  ASSERT_TRUE(coordinator);
  Barrier up(*coordinator, path("/jobs/start"));
  ASSERT_TRUE(up.set().ok());
  ASSERT_TRUE(up.set().ok());  // already up is fine

  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < kWaiters; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
  }
  Recorder& rec = recorder();
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      Barrier b(*conns[i], path("/jobs/start"));
      auto r = b.wait(kWait);
      rec.mark(r.ok() && *r ? "released" : "not released");
    });
  }
  // Every waiter is blocked on its watch of the barrier node (the server says so).
  std::set<SessionId> want;
  for (auto& c : conns)
    want.insert(c->client().session_id());
  std::map<std::string, std::set<SessionId>> watches;
  const auto end = std::chrono::steady_clock::now() + kWait;
  while (watches[path("/jobs/start")] != want && std::chrono::steady_clock::now() < end) {
    auto w = watches_by_path();  // a round trip per question: no spinning
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    watches = *w;
  }
  ASSERT_EQ(watches[path("/jobs/start")], want);
  Barrier mine(*coordinator, path("/jobs/start"));
  auto blocked = mine.wait(200ms);
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(*blocked);  // up: waits out the timeout
  EXPECT_TRUE(rec.lines().empty());
  ASSERT_TRUE(up.remove().ok());
  for (auto& t : waiters)
    t.join();
  EXPECT_EQ(rec.count("released"), static_cast<size_t>(kWaiters));
  EXPECT_TRUE(up.remove().ok());  // already down is fine
}

TEST_F(BarrierTest, NoBarrierMeansNoWait) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  Barrier b(*conn, path("/never-set"));
  auto r = b.wait(0ms);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
}

TEST_F(BarrierTest, AWaiterIsToldWhenItsSessionEnds) {
  auto coordinator = open_connection();
  auto waiter_conn = open_connection();
  ASSERT_TRUE(coordinator && waiter_conn);
  Barrier up(*coordinator, path("/b"));
  ASSERT_TRUE(up.set().ok());
  Recorder& rec = recorder();
  std::thread waiter([&] {
    Barrier b(*waiter_conn, path("/b"));
    rec.mark("waiting");
    auto r = b.wait(kWait);
    rec.mark(r.ok() ? "answered" : "error " + std::string(error_name(r.code())));
  });
  ASSERT_TRUE(rec.wait_line("waiting"));
  waiter_conn->close();
  waiter.join();
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"waiting", "error SESSIONEXPIRED"}));
  ASSERT_TRUE(up.remove().ok());
}

}  // namespace
}  // namespace conclave::recipes::testing
