// zab::History: the in-memory log tail -- continuity, lookups, truncation and trimming.
#include "zab/history.h"

#include <gtest/gtest.h>

namespace conclave::zab {
namespace {

History three() {
  return History(make_zxid(1, 2),
                 {{make_zxid(1, 3), "a"}, {make_zxid(1, 4), "b"}, {make_zxid(2, 1), "c"}});
}

TEST(HistoryTest, FollowsAllowsTheNextCounterOrTheFirstOfALaterEpoch) {
  EXPECT_TRUE(follows(make_zxid(1, 4), make_zxid(1, 5)));
  EXPECT_TRUE(follows(make_zxid(1, 4), make_zxid(3, 1)));
  EXPECT_TRUE(follows(0, make_zxid(1, 1)));
  EXPECT_FALSE(follows(make_zxid(1, 4), make_zxid(1, 6)));  // a gap
  EXPECT_FALSE(follows(make_zxid(1, 4), make_zxid(1, 4)));  // a duplicate
  EXPECT_FALSE(follows(make_zxid(1, 4), make_zxid(2, 2)));  // a new epoch starts at 1
  EXPECT_FALSE(follows(make_zxid(2, 4), make_zxid(1, 5)));  // an older epoch
}

TEST(HistoryTest, LookupsSeeTheBaseAndTheEntries) {
  History h = three();
  EXPECT_EQ(h.base(), make_zxid(1, 2));
  EXPECT_EQ(h.last(), make_zxid(2, 1));
  EXPECT_TRUE(h.contains(make_zxid(1, 2)));
  EXPECT_TRUE(h.contains(make_zxid(1, 4)));
  EXPECT_FALSE(h.contains(make_zxid(1, 5)));
  EXPECT_FALSE(h.contains(make_zxid(1, 1)));
  EXPECT_EQ(h.find(make_zxid(1, 4))->data, "b");
  EXPECT_EQ(h.highest_at_or_below(make_zxid(1, 9)), make_zxid(1, 4));
  EXPECT_EQ(h.highest_at_or_below(make_zxid(1, 2)), make_zxid(1, 2));
  EXPECT_FALSE(h.highest_at_or_below(make_zxid(1, 1)).has_value());
  auto b = h.between(make_zxid(1, 3), make_zxid(2, 1));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].data, "b");
  EXPECT_EQ(b[1].data, "c");
}

TEST(HistoryTest, TruncateResetAndTrim) {
  History h = three();
  h.truncate(make_zxid(1, 3));
  EXPECT_EQ(h.last(), make_zxid(1, 3));
  h.append({make_zxid(1, 4), "b2"});
  h.append({make_zxid(1, 5), "d"});
  // Trim keeps at most 1 entry, but never past the floor.
  h.trim(1, make_zxid(1, 3));
  EXPECT_EQ(h.base(), make_zxid(1, 3));
  EXPECT_EQ(h.size(), 2u);
  h.trim(1, make_zxid(1, 9));
  EXPECT_EQ(h.base(), make_zxid(1, 4));
  EXPECT_EQ(h.size(), 1u);
  h.reset(make_zxid(4, 7));
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.last(), make_zxid(4, 7));
}

TEST(HistoryDeathTest, AGapIsACallerBug) {
  History h = three();
  EXPECT_DEATH(h.append({make_zxid(2, 3), "gap"}), "gap");
}

}  // namespace
}  // namespace conclave::zab
