// recipes::Semaphore against a real server (Conclave or Apache ZooKeeper, same expectations):
// never more than N leases under contention from several connections and threads, leases
// granted in the order asked with only one waiter watching the leases, try_acquire timeouts
// that leave nothing behind, several leases at once, release by RAII and on close, and the
// session contract per lease (suspended at once, held again after a restart, lost on
// expiry).
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "recipes/protected_node.h"
#include "recipes/semaphore.h"
#include "tests/recipes/contention.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

class SemaphoreTest : public RecipeTest {
 protected:
  // A Holder taking a lease of `sem` (try_acquire up to kWait) and releasing it when let go.
  static std::unique_ptr<Holder> hold(Recorder& rec, const std::string& who, Semaphore& sem) {
    auto lease = std::make_shared<std::optional<Lease>>();
    return std::make_unique<Holder>(
        rec, who,
        [&sem, lease] {
          auto r = sem.try_acquire(kWait);
          if (!r.ok() || !r->has_value()) return false;
          *lease = std::move(*r);
          return true;
        },
        [lease] { EXPECT_TRUE((*lease)->release().ok()); });
  }
  static void record_states(Lease& lease, Recorder& rec, const std::string& who) {
    lease.on_state_change(
        [&rec, who](LockState s) { rec.mark(who + " " + std::string(lock_state_name(s))); });
  }
};

TEST_F(SemaphoreTest, NLeasesThenTheNextWaitsAndLeavesNothingBehind) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string sp = path("/sem");
  Semaphore a(*ca, sp, 2), b(*cb, sp, 2), c(*cc, sp, 2);
  auto la = a.acquire();
  ASSERT_TRUE(la.ok()) << la.error().to_string();
  auto lb = b.try_acquire(0ms);  // free: taken without waiting
  ASSERT_TRUE(lb.ok() && lb->has_value());
  EXPECT_TRUE(la->is_held() && (*lb)->is_held());
  auto names = a.participants();
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ(names->at(0).substr(0, 3), "_c_");  // Curator's layout: leases/_c_<guid>-lease-
  EXPECT_EQ(la->node(), sp + "/leases/" + names->at(0));

  const auto start = std::chrono::steady_clock::now();
  auto lc = c.try_acquire(300ms);
  ASSERT_TRUE(lc.ok()) << lc.error().to_string();
  EXPECT_FALSE(lc->has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(a.participants()->size(), 2u);               // c's lease node is gone again
  EXPECT_TRUE(wait_children(*sync_, sp + "/locks", 0));  // and its lock node

  ASSERT_TRUE(la->release().ok());
  EXPECT_EQ(la->state(), LockState::kUnlocked);
  EXPECT_EQ(la->release().code(), ErrorCode::kApiError);
  lc = c.try_acquire(0ms);
  ASSERT_TRUE(lc.ok() && lc->has_value());
  {
    Lease moved = std::move(**lc);  // RAII: released when `moved` goes
    EXPECT_TRUE(moved.is_held());
    EXPECT_EQ(a.participants()->size(), 2u);
  }
  EXPECT_EQ(a.participants()->size(), 1u);
  lb->reset();  // the destructor releases it
  EXPECT_TRUE(wait_children(*sync_, sp + "/leases", 0));
}

// The point of a semaphore: under contention from several connections, and several threads on
// one Semaphore, never more than N at once. Each holder keeps its lease until the semaphore is
// full (as full as the threads still running can make it), and then a while longer, so that
// the other threads' acquires run against a full semaphore: one lease too many would show in
// the shared count of holders. The count must reach N too (a semaphore that handed out fewer
// fails).
TEST_F(SemaphoreTest, NeverMoreThanNHoldersUnderContention) {
  constexpr int kLeases = 3, kConnections = 4, kThreadsEach = 2, kRounds = 4;
  constexpr int kThreads = kConnections * kThreadsEach;
  constexpr auto kFullWindow = 200ms;
  const std::string sp = path("/sem");
  std::vector<std::unique_ptr<Connection>> conns;
  std::vector<std::unique_ptr<Semaphore>> sems;
  for (int i = 0; i < kConnections; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
    sems.push_back(std::make_unique<Semaphore>(*conns.back(), sp, kLeases));
  }
  std::mutex mu;
  std::condition_variable cv;
  int holders = 0, most = 0, granted = 0, running = kThreads;
  std::vector<std::string> errors;
  auto error = [&](std::string what) {
    std::lock_guard lock(mu);
    errors.push_back(std::move(what));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Semaphore& sem = *sems[t % kConnections];
      client::SyncClient& zk = conns[t % kConnections]->sync();
      for (int i = 0; i < kRounds; ++i) {
        auto lease = sem.try_acquire(kWait);
        if (!lease.ok() || !lease->has_value()) {
          error(lease.ok() ? "try_acquire timed out" : lease.error().to_string());
          break;
        }
        {
          std::unique_lock lock(mu);
          most = std::max(most, ++holders);
          ++granted;
          cv.notify_all();
          if (!cv.wait_for(lock, kWait, [&] { return holders >= std::min(kLeases, running); })) {
            errors.push_back("the semaphore never filled up");
          }
          // The window for an extra grant: a few acquires' worth of round trips.
          cv.wait_for(lock, kFullWindow, [&] { return holders > kLeases; });
        }
        (void)zk.exists(sp);  // one more round trip while holding
        if (!(*lease)->is_held()) error("lease not held");
        {
          std::lock_guard lock(mu);
          --holders;
        }
        if (Status st = (*lease)->release(); !st.ok()) error(st.error().to_string());
      }
      std::lock_guard lock(mu);
      --running;
      cv.notify_all();
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, the first: " << errors.front();
  EXPECT_EQ(granted, kThreads * kRounds);
  EXPECT_EQ(most, kLeases);
  EXPECT_TRUE(wait_children(*sync_, sp + "/leases", 0));
  EXPECT_TRUE(wait_children(*sync_, sp + "/locks", 0));
}

// Fair and no herd: with one lease, waiters get it in the order they asked; only the first
// waiter (the internal lock's holder) watches the leases, the next one watches the lock node
// ahead of its own. (The server's list, wchp, shows data watches only, not the child watch on
// the leases.)
TEST_F(SemaphoreTest, GrantedInOrderAskedWithOneWatcherOnTheLeases) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string sp = path("/sem");
  Semaphore a(*ca, sp, 1), b(*cb, sp, 1), c(*cc, sp, 1);
  auto la = a.acquire();
  ASSERT_TRUE(la.ok());
  Recorder& rec = recorder();
  auto hb = hold(rec, "b", b);
  ASSERT_TRUE(wait_children(*sync_, sp + "/leases", 2));  // b has the lock and waits
  auto hc = hold(rec, "c", c);
  ASSERT_TRUE(wait_children(*sync_, sp + "/locks", 2));
  const SessionId sa = ca->client().session_id(), sc = cc->client().session_id();
  const auto locks = contenders(*sync_, sp + "/locks", "lock-");
  ASSERT_EQ(locks.size(), 2u);
  const std::string leases = sp + "/leases", b_lock = sp + "/locks/" + locks[0];
  auto watches = wait_watched_by(b_lock, sc);
  EXPECT_EQ(watches[b_lock], std::set<SessionId>{sc});
  for (const auto& [p, sessions] : watches) {
    EXPECT_FALSE(sessions.count(sa)) << p;  // the holder watches nothing
    if (p != b_lock) {
      EXPECT_FALSE(sessions.count(sc)) << p;
    }
  }
  EXPECT_TRUE(rec.lines().empty());

  ASSERT_TRUE(la->release().ok());
  ASSERT_TRUE(rec.wait_line("b took"));
  hb->let_go();
  ASSERT_TRUE(rec.wait_line("c took"));
  hc->let_go();
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"b took", "b gives", "c took", "c gives"}));
  EXPECT_TRUE(wait_children(*sync_, leases, 0));
}

TEST_F(SemaphoreTest, SeveralLeasesAtOnceOrNone) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string sp = path("/sem");
  Semaphore a(*ca, sp, 3), b(*cb, sp, 3);
  auto la = a.acquire();
  ASSERT_TRUE(la.ok());
  auto three = b.try_acquire(3, 300ms);
  ASSERT_TRUE(three.ok()) << three.error().to_string();
  EXPECT_FALSE(three->has_value());
  EXPECT_EQ(a.participants()->size(), 1u);  // the two it got meanwhile are released
  auto two = b.try_acquire(2, 0ms);
  ASSERT_TRUE(two.ok() && two->has_value());
  EXPECT_EQ((*two)->size(), 2u);
  EXPECT_EQ(a.participants()->size(), 3u);
  EXPECT_EQ(b.try_acquire(4, 0ms).code(), ErrorCode::kBadArguments);
  EXPECT_EQ(b.try_acquire(0, 0ms).code(), ErrorCode::kBadArguments);
  Semaphore none(*cb, sp, 0);
  EXPECT_EQ(none.acquire().code(), ErrorCode::kBadArguments);
  two->reset();
  ASSERT_TRUE(la->release().ok());
  EXPECT_TRUE(wait_children(*sync_, sp + "/leases", 0));
}

// A holder whose connection is closed without releasing: its lease node goes with the
// session, it is told the lease is lost, and the waiter gets the lease.
TEST_F(SemaphoreTest, ClosingTheHoldersConnectionFreesItsLease) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string sp = path("/sem");
  Semaphore a(*ca, sp, 1), b(*cb, sp, 1);
  Recorder& rec = recorder();
  auto la = a.acquire();
  ASSERT_TRUE(la.ok());
  record_states(*la, rec, "a");
  auto hb = hold(rec, "b", b);
  ASSERT_TRUE(wait_children(*sync_, sp + "/leases", 2));
  ca->close();
  EXPECT_EQ(la->state(), LockState::kLost);
  EXPECT_TRUE(rec.wait_line("a lost"));
  ASSERT_TRUE(rec.wait_line("b took"));
  EXPECT_EQ(la->release().code(), ErrorCode::kSessionExpired);
  hb->let_go();
  EXPECT_TRUE(wait_children(*sync_, sp + "/leases", 0));
}

TEST_F(SemaphoreTest, LeaseSuspendedAtOnceThenHeldAgain) {
  client::ClientOptions o =
      survives_restart();  // outlasts a server restart (a JVM on a loaded machine)
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string sp = path("/sem");
  Semaphore sem(*conn, sp, 2);
  Recorder& rec = recorder();
  auto lease = sem.acquire();
  ASSERT_TRUE(lease.ok());
  record_states(*lease, rec, "lease");
  const std::string node = lease->node();

  kill_server();
  ASSERT_TRUE(rec.wait_line("lease suspended", 10s));  // the socket closed: told at once
  EXPECT_EQ(lease->state(), LockState::kSuspended);
  start_server();
  ASSERT_TRUE(rec.wait_line("lease held"));  // same session, node still there
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"lease suspended", "lease held"}));
  EXPECT_EQ(lease->node(), node);
  ASSERT_TRUE(lease->release().ok());
  EXPECT_TRUE(wait_children(*sync_, sp + "/leases", 0));
}

TEST_F(SemaphoreTest, LeaseLostWhenTheSessionExpiresAndFreedForOthers) {
  client::ClientOptions o;
  o.session_timeout_ms = 2'000;
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string sp = path("/sem");
  Semaphore sem(*conn, sp, 1);
  Recorder& rec = recorder();
  auto lease = sem.acquire();
  ASSERT_TRUE(lease.ok());
  record_states(*lease, rec, "lease");
  kill_server();
  ASSERT_TRUE(rec.wait_line("lease lost"));  // no server for the whole session timeout
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"lease suspended", "lease lost"}));
  start_server();
  // The server expires the session too, and its lease is free for another client.
  auto other = open_connection();
  ASSERT_TRUE(other);
  Semaphore next(*other, sp, 1);
  auto r = next.try_acquire(kWait);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->has_value());
  EXPECT_EQ(lease->release().code(), ErrorCode::kSessionExpired);
  EXPECT_EQ(sem.acquire().code(), ErrorCode::kSessionExpired);  // a dead session takes none
}

}  // namespace
}  // namespace conclave::recipes::testing
