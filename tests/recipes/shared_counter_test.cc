// recipes::SharedCounter against a real server: created with its initial value, a stale
// compare-and-set refused, and concurrent adds from several sessions losing nothing.
#include <mutex>
#include <set>
#include <thread>

#include "recipes/shared_counter.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

using SharedCounterTest = RecipeTest;

TEST_F(SharedCounterTest, MissingNodeStartsAtItsInitialValue) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  SharedCounter c(*conn, path("/dir/counter"), 41);
  auto v = c.get();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->value, 41);
  EXPECT_EQ(v->version, 0);
  auto added = c.add(1);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 42);
  auto raw = sync_->get_data(path("/dir/counter"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->data, "42");  // decimal text, as zkCli shows it
}

TEST_F(SharedCounterTest, StaleCompareAndSetIsRefused) {
  auto conn = open_connection();
  ASSERT_TRUE(conn);
  SharedCounter c(*conn, path("/counter"));
  auto seen = c.get();
  ASSERT_TRUE(seen.ok());
  ASSERT_TRUE(c.add(5).ok());  // someone writes after `seen` was read
  auto won = c.try_set(*seen, 100);
  ASSERT_TRUE(won.ok());
  EXPECT_FALSE(*won);
  auto now = c.get();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->value, 5);
  auto again = c.try_set(*now, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
  ASSERT_TRUE(sync_->set_data(path("/counter"), "not a number").ok());
  EXPECT_EQ(c.get().code(), ErrorCode::kBadArguments);
}

TEST_F(SharedCounterTest, ConcurrentAddsLoseNothing) {
  constexpr int kSessions = 4, kAddsEach = 50;
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < kSessions; ++i) {
    conns.push_back(open_connection());
    ASSERT_TRUE(conns.back());
  }
  std::mutex mu;
  std::set<int64_t> results;
  int failures = 0;
  std::vector<std::thread> threads;
  for (auto& conn : conns) {
    threads.emplace_back([&, c = conn.get()] {
      SharedCounter counter(*c, path("/counter"));
      for (int i = 0; i < kAddsEach; ++i) {
        auto r = counter.add(1);
        std::lock_guard lock(mu);
        if (r.ok()) {
          results.insert(*r);  // each add's result is unique: no two saw the same value
        } else {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(results.size(), static_cast<size_t>(kSessions * kAddsEach));
  SharedCounter reader(*conns[0], path("/counter"));
  auto final_value = reader.get();
  ASSERT_TRUE(final_value.ok());
  EXPECT_EQ(final_value->value, kSessions * kAddsEach);
  EXPECT_EQ(*results.rbegin(), kSessions * kAddsEach);
}

}  // namespace
}  // namespace conclave::recipes::testing
