// The pure parts of recipes/protected_node.h: protected names, sequence parsing, ordering,
// and GUID ownership (no server needed).
#include "recipes/protected_node.h"

#include <set>

#include <gtest/gtest.h>

namespace conclave::recipes {
namespace {

TEST(ProtectedNode, GuidsAreUniqueVersion4Text) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string g = new_guid();
    ASSERT_EQ(g.size(), 36u);
    EXPECT_EQ(g[8], '-');
    EXPECT_EQ(g[14], '4');                                                      // version
    EXPECT_TRUE(g[19] == '8' || g[19] == '9' || g[19] == 'a' || g[19] == 'b');  // variant
    EXPECT_TRUE(seen.insert(g).second);
  }
}

TEST(ProtectedNode, NameAndSequence) {
  const std::string guid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
  EXPECT_EQ(protected_name(guid, "lock-"), "_c_" + guid + "-lock-");
  EXPECT_EQ(sequence_of("_c_" + guid + "-lock-0000000042", "lock-"), 42);
  EXPECT_EQ(sequence_of("lock-0000000007", "lock-"), 7);  // unprotected (Curator old)
  EXPECT_EQ(sequence_of("_c_x-latch-0000000001", "lock-"), std::nullopt);  // another recipe
  EXPECT_EQ(sequence_of("lock-00000000x1", "lock-"), std::nullopt);
  EXPECT_EQ(sequence_of("lock-1", "lock-"), std::nullopt);
  EXPECT_EQ(sequence_of("counter", "lock-"), std::nullopt);
}

TEST(ProtectedNode, SortedBySequenceNotByName) {
  const auto sorted = sort_contenders(
      {"_c_ffff-lock-0000000003", "_c_0000-lock-0000000010", "other", "_c_aaaa-lock-0000000001"},
      "lock-");
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(sorted[0].sequence, 1);
  EXPECT_EQ(sorted[1].name, "_c_ffff-lock-0000000003");
  EXPECT_EQ(sorted[2].sequence, 10);
}

TEST(ProtectedNode, OwnedByExactGuid) {
  EXPECT_TRUE(owned_by("_c_abc-lock-0000000001", "abc"));
  EXPECT_FALSE(owned_by("_c_abcd-lock-0000000001", "abc"));
  EXPECT_FALSE(owned_by("_c_ab-lock-0000000001", "abc"));
  EXPECT_FALSE(owned_by("abc-lock-0000000001", "abc"));
  EXPECT_EQ(child_path("/", "x"), "/x");
  EXPECT_EQ(child_path("/a/b", "x"), "/a/b/x");
}

}  // namespace
}  // namespace conclave::recipes
