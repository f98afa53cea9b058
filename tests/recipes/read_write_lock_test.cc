// recipes::ReadWriteLock against a real server (Conclave or Apache ZooKeeper, same
// expectations): readers share, a writer excludes everyone, fairness (a waiting writer blocks
// later readers; the readers behind it all get in after it), each waiter watches only the one
// node that can let it in, try_lock timeouts, re-entrance and downgrade, and the session
// contract (a closed holder's lock passes on; suspended at once, held again after a restart,
// lost on expiry).
#include <algorithm>
#include <thread>

#include "recipes/protected_node.h"
#include "recipes/read_write_lock.h"
#include "tests/recipes/contention.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

const std::string kRead(kReadLockName);
const std::string kWrite(kWriteLockName);

class ReadWriteLockTest : public RecipeTest {
 protected:
  // A Holder taking `lock` (try_lock up to kWait) and unlocking it when let go.
  static std::unique_ptr<Holder> hold(Recorder& rec, const std::string& who, Lock& lock) {
    return std::make_unique<Holder>(
        rec, who,
        [&lock] {
          auto r = lock.try_lock(kWait);
          return r.ok() && *r;
        },
        [&lock] { EXPECT_TRUE(lock.unlock().ok()); });
  }
  static void record_states(Lock& lock, Recorder& rec, const std::string& who) {
    lock.on_state_change(
        [&rec, who](LockState s) { rec.mark(who + " " + std::string(lock_state_name(s))); });
  }
  std::string node(const std::string& lp, const std::string& kind, size_t i) {
    const auto q = contenders(*sync_, lp, kind);
    return i < q.size() ? lp + "/" + q[i] : "";
  }
};

TEST_F(ReadWriteLockTest, ReadersShareWithCuratorNodeNames) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string lp = path("/rw");
  ReadWriteLock a(*ca, lp), b(*cb, lp), c(*cc, lp);
  ASSERT_TRUE(a.read_lock().lock().ok());
  // No waiting: try_lock(0) answers at once, and each takes it while the others hold it.
  auto rb = b.read_lock().try_lock(0ms);
  ASSERT_TRUE(rb.ok() && *rb);
  auto rc = c.read_lock().try_lock(0ms);
  ASSERT_TRUE(rc.ok() && *rc);
  EXPECT_TRUE(a.read_lock().is_held() && b.read_lock().is_held() && c.read_lock().is_held());
  const auto readers = contenders(*sync_, lp, kRead);
  ASSERT_EQ(readers.size(), 3u);
  for (const std::string& r : readers) {
    EXPECT_EQ(r.substr(0, 3), "_c_") << r;  // protected: _c_<guid>-__READ__<seq>
    EXPECT_EQ(r.find("-__READ__"), 39u) << r;
  }
  auto token = b.read_lock().fencing_token();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->node, lp + "/" + readers[1]);
  EXPECT_FALSE(a.write_lock().is_held());
  for (ReadWriteLock* rw : {&a, &b, &c})
    EXPECT_TRUE(rw->read_lock().unlock().ok());
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

TEST_F(ReadWriteLockTest, WriterExcludesReadersAndWriters) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string lp = path("/rw");
  ReadWriteLock a(*ca, lp), b(*cb, lp), c(*cc, lp);
  ASSERT_TRUE(a.write_lock().lock().ok());
  const auto start = std::chrono::steady_clock::now();
  auto rb = b.read_lock().try_lock(300ms);
  ASSERT_TRUE(rb.ok()) << rb.error().to_string();
  EXPECT_FALSE(*rb);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  auto wc = c.write_lock().try_lock(300ms);
  ASSERT_TRUE(wc.ok());
  EXPECT_FALSE(*wc);
  // Those who gave up left nothing behind.
  EXPECT_EQ(contenders(*sync_, lp, kWrite).size(), 1u);
  EXPECT_TRUE(contenders(*sync_, lp, kRead).empty());
  EXPECT_EQ(b.read_lock().state(), LockState::kUnlocked);

  ASSERT_TRUE(a.write_lock().unlock().ok());
  rb = b.read_lock().try_lock(0ms);
  ASSERT_TRUE(rb.ok() && *rb);
  wc = c.write_lock().try_lock(300ms);  // a reader excludes writers too
  ASSERT_TRUE(wc.ok());
  EXPECT_FALSE(*wc);
  ASSERT_TRUE(b.read_lock().unlock().ok());
  wc = c.write_lock().try_lock(0ms);
  ASSERT_TRUE(wc.ok() && *wc);
  ASSERT_TRUE(c.write_lock().unlock().ok());
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

// Fair: a writer waiting behind a reader blocks the readers that come after it, and once it
// is done they all get in together.
TEST_F(ReadWriteLockTest, AWaitingWriterBlocksLaterReadersWhichThenShare) {
  auto c1 = open_connection();
  auto cw = open_connection();
  auto c2 = open_connection();
  auto c3 = open_connection();
  ASSERT_TRUE(c1 && cw && c2 && c3);
  const std::string lp = path("/rw");
  ReadWriteLock r1(*c1, lp), w(*cw, lp), r2(*c2, lp), r3(*c3, lp);
  ASSERT_TRUE(r1.read_lock().lock().ok());
  Recorder& rec = recorder();
  auto hw = hold(rec, "w", w.write_lock());
  ASSERT_TRUE(wait_children(*sync_, lp, 2));
  auto h2 = hold(rec, "r2", r2.read_lock());
  ASSERT_TRUE(wait_children(*sync_, lp, 3));
  auto h3 = hold(rec, "r3", r3.read_lock());
  ASSERT_TRUE(wait_children(*sync_, lp, 4));
  // r2 and r3 have looked at the queue and chosen to wait: each watches the writer's node
  // (only a reader holds the lock; an unfair lock would have let them in already).
  const std::string wnode = node(lp, kWrite, 0);
  wait_watched_by(wnode, c2->client().session_id());
  const auto watches = wait_watched_by(wnode, c3->client().session_id());
  EXPECT_EQ(watches.at(wnode),
            (std::set<SessionId>{c2->client().session_id(), c3->client().session_id()}));
  EXPECT_TRUE(rec.lines().empty());

  ASSERT_TRUE(r1.read_lock().unlock().ok());
  ASSERT_TRUE(rec.wait_line("w took"));
  EXPECT_EQ(rec.lines(), std::vector<std::string>{"w took"});
  hw->let_go();
  // Both readers get in and hold at once (neither lets go until told).
  ASSERT_TRUE(rec.wait_line("r2 took"));
  ASSERT_TRUE(rec.wait_line("r3 took"));
  EXPECT_TRUE(r2.read_lock().is_held() && r3.read_lock().is_held());
  const auto lines = rec.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "w gives");
  h2->let_go();
  h3->let_go();
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

// No herd: each waiter watches only the node that can let it in. Queue: W1 (holds) R1 R2 W2
// R3. The readers behind W1 watch W1 (the nearest writer ahead), W2 its predecessor R2, R3 the
// nearest writer ahead W2 (not R2, whose leaving changes nothing for it).
TEST_F(ReadWriteLockTest, EachWaiterWatchesOnlyTheNodeThatCanLetItIn) {
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < 5; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
  }
  const std::string lp = path("/rw");
  std::vector<std::unique_ptr<ReadWriteLock>> rw;
  for (auto& c : conns)
    rw.push_back(std::make_unique<ReadWriteLock>(*c, lp));
  ASSERT_TRUE(rw[0]->write_lock().lock().ok());
  Recorder& rec = recorder();
  std::vector<std::unique_ptr<Holder>> holders;
  const std::vector<std::pair<std::string, bool>> who = {
      {"r1", false}, {"r2", false}, {"w2", true}, {"r3", false}};
  for (size_t i = 0; i < who.size(); ++i) {
    Lock& l = who[i].second ? rw[i + 1]->write_lock() : rw[i + 1]->read_lock();
    holders.push_back(hold(rec, who[i].first, l));
    ASSERT_TRUE(wait_children(*sync_, lp, i + 2));  // queued in this order
  }
  auto sid = [&](size_t i) { return conns[i]->client().session_id(); };
  const std::string w1 = node(lp, kWrite, 0), w2 = node(lp, kWrite, 1);
  const std::string r1 = node(lp, kRead, 0), r2 = node(lp, kRead, 1), r3 = node(lp, kRead, 2);
  wait_watched_by(w1, sid(1));
  wait_watched_by(w1, sid(2));
  wait_watched_by(r2, sid(3));
  auto watches = wait_watched_by(w2, sid(4));
  EXPECT_EQ(watches[w1], (std::set<SessionId>{sid(1), sid(2)}));
  EXPECT_EQ(watches[r2], std::set<SessionId>{sid(3)});
  EXPECT_EQ(watches[w2], std::set<SessionId>{sid(4)});
  EXPECT_TRUE(watches[r1].empty());
  EXPECT_TRUE(watches[r3].empty());
  for (const auto& [p, sessions] : watches)
    EXPECT_FALSE(sessions.count(sid(0))) << p;  // the holder watches nothing

  // And the order: r1 and r2 together, then w2, then r3.
  ASSERT_TRUE(rw[0]->write_lock().unlock().ok());
  ASSERT_TRUE(rec.wait_line("r1 took"));
  ASSERT_TRUE(rec.wait_line("r2 took"));
  holders[0]->let_go();
  holders[1]->let_go();
  ASSERT_TRUE(rec.wait_line("w2 took"));
  holders[2]->let_go();
  ASSERT_TRUE(rec.wait_line("r3 took"));
  holders[3]->let_go();
  const auto lines = rec.lines();
  auto at = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l); };
  EXPECT_LT(at("r1 gives"), at("w2 took"));
  EXPECT_LT(at("r2 gives"), at("w2 took"));
  EXPECT_LT(at("w2 gives"), at("r3 took"));
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

// Re-entrance per handle, the write-lock holder taking the read lock, and a downgrade that
// keeps a writer queued meanwhile out until the read lock is released too.
TEST_F(ReadWriteLockTest, ReentrantAndDowngradeKeepsQueuedWritersOut) {
  auto ca = open_connection();
  auto cb = open_connection();
  ASSERT_TRUE(ca && cb);
  const std::string lp = path("/rw");
  ReadWriteLock a(*ca, lp), b(*cb, lp);
  ASSERT_TRUE(a.write_lock().lock().ok());
  ASSERT_TRUE(a.write_lock().lock().ok());
  EXPECT_EQ(a.write_lock().hold_count(), 2);
  Recorder& rec = recorder();
  auto hb = hold(rec, "b", b.write_lock());
  ASSERT_TRUE(wait_children(*sync_, lp, 2));
  wait_watched_by(node(lp, kWrite, 0), cb->client().session_id());

  // Queue: a's writer, b's writer, a's reader. Granted at once: a holds the write lock.
  auto r = a.read_lock().try_lock(0ms);
  ASSERT_TRUE(r.ok() && *r);
  ASSERT_TRUE(a.read_lock().lock().ok());
  EXPECT_EQ(a.read_lock().hold_count(), 2);
  EXPECT_EQ(contenders(*sync_, lp, kRead).size(), 1u);

  ASSERT_TRUE(a.write_lock().unlock().ok());
  ASSERT_TRUE(a.write_lock().unlock().ok());
  EXPECT_EQ(a.write_lock().state(), LockState::kUnlocked);
  EXPECT_TRUE(a.read_lock().is_held());
  // The write node stays while a reads, so b (watching it) stays out.
  EXPECT_EQ(contenders(*sync_, lp, kWrite).size(), 2u);
  EXPECT_TRUE(rec.lines().empty());
  // No upgrade: a's writer would queue behind a's own reader.
  EXPECT_EQ(a.write_lock().lock().code(), ErrorCode::kApiError);
  EXPECT_EQ(contenders(*sync_, lp, kWrite).size(), 2u);

  ASSERT_TRUE(a.read_lock().unlock().ok());
  EXPECT_TRUE(a.read_lock().is_held());
  ASSERT_TRUE(a.read_lock().unlock().ok());
  ASSERT_TRUE(rec.wait_line("b took"));
  EXPECT_EQ(contenders(*sync_, lp, kWrite).size(), 1u);
  r = a.read_lock().try_lock(200ms);  // b writes now
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  hb->let_go();
  r = a.read_lock().try_lock(kWait);
  ASSERT_TRUE(r.ok() && *r);
  ASSERT_TRUE(a.read_lock().unlock().ok());
  EXPECT_EQ(a.read_lock().unlock().code(), ErrorCode::kApiError);
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

// A writer whose connection is closed without unlocking: its node goes with the session, it is
// told the lock is lost, and the readers waiting behind it get in.
TEST_F(ReadWriteLockTest, ClosingTheWritersConnectionLetsTheReadersIn) {
  auto ca = open_connection();
  auto cb = open_connection();
  auto cc = open_connection();
  ASSERT_TRUE(ca && cb && cc);
  const std::string lp = path("/rw");
  ReadWriteLock b(*cb, lp), c(*cc, lp);
  Recorder& rec = recorder();
  ReadWriteLock a(*ca, lp);
  record_states(a.write_lock(), rec, "a");
  ASSERT_TRUE(a.write_lock().lock().ok());
  auto hb = hold(rec, "b", b.read_lock());
  auto hc = hold(rec, "c", c.read_lock());
  ASSERT_TRUE(wait_children(*sync_, lp, 3));
  ca->close();
  EXPECT_EQ(a.write_lock().state(), LockState::kLost);
  EXPECT_TRUE(rec.wait_line("a lost"));
  ASSERT_TRUE(rec.wait_line("b took"));
  ASSERT_TRUE(rec.wait_line("c took"));
  EXPECT_EQ(a.write_lock().unlock().code(), ErrorCode::kSessionExpired);
  hb->let_go();
  hc->let_go();
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

TEST_F(ReadWriteLockTest, ReadLockSuspendedAtOnceThenHeldAgain) {
  client::ClientOptions o =
      survives_restart();  // outlasts a server restart (a JVM on a loaded machine)
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string lp = path("/rw");
  ReadWriteLock rw(*conn, lp);
  Recorder& rec = recorder();
  record_states(rw.read_lock(), rec, "read");
  ASSERT_TRUE(rw.read_lock().lock().ok());
  auto before = rw.read_lock().fencing_token();
  ASSERT_TRUE(before.ok());

  kill_server();
  ASSERT_TRUE(rec.wait_line("read suspended", 10s));
  EXPECT_EQ(rw.read_lock().state(), LockState::kSuspended);
  EXPECT_EQ(rw.read_lock().fencing_token().code(), ErrorCode::kConnectionLoss);
  start_server();
  ASSERT_TRUE(rec.wait_line("read held"));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"read suspended", "read held"}));
  auto after = rw.read_lock().fencing_token();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->czxid, before->czxid);
  ASSERT_TRUE(rw.read_lock().unlock().ok());
  EXPECT_TRUE(wait_children(*sync_, lp, 0));
}

TEST_F(ReadWriteLockTest, WriteLockLostWhenTheSessionExpires) {
  client::ClientOptions o;
  o.session_timeout_ms = 2'000;
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string lp = path("/rw");
  ReadWriteLock rw(*conn, lp);
  Recorder& rec = recorder();
  record_states(rw.write_lock(), rec, "write");
  ASSERT_TRUE(rw.write_lock().lock().ok());
  kill_server();
  ASSERT_TRUE(rec.wait_line("write lost"));  // no server for the whole session timeout
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"write suspended", "write lost"}));
  start_server();
  // The server expires the session too, and a reader gets in.
  auto other = open_connection();
  ASSERT_TRUE(other);
  ReadWriteLock next(*other, lp);
  auto r = next.read_lock().try_lock(kWait);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(*r);
  ASSERT_TRUE(next.read_lock().unlock().ok());
  EXPECT_EQ(rw.write_lock().unlock().code(), ErrorCode::kSessionExpired);
  EXPECT_EQ(rw.read_lock().lock().code(), ErrorCode::kSessionExpired);
}

}  // namespace
}  // namespace conclave::recipes::testing
