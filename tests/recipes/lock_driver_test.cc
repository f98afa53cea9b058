// The lock drivers' rules on made-up queues (no server): who holds, and which single node a
// waiter watches, for the exclusive lock and the read-write lock's readers and writers.
#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>

#include "recipes/lock_internals.h"
#include "recipes/read_write_lock.h"

namespace conclave::recipes {
namespace {

// A queue from kinds: 'R' a reader, 'W' a writer, in sequence order (shuffled first, to check
// that the order comes from the sequence numbers across both kinds).
std::vector<Contender> queue_of(const std::string& kinds) {
  std::vector<std::string> children;
  for (size_t i = 0; i < kinds.size(); ++i) {
    char seq[11];
    std::snprintf(seq, sizeof seq, "%010zu", i + 5);
    const std::string name(kinds[i] == 'W' ? kWriteLockName : kReadLockName);
    children.push_back("_c_" + std::string(1, static_cast<char>('z' - i)) + "-" + name + seq);
  }
  children.push_back("unrelated");
  std::reverse(children.begin(), children.end());
  return sort_queue(children, {std::string(kReadLockName), std::string(kWriteLockName)});
}

TEST(LockDriver, OneQueueAcrossKindsBySequence) {
  const auto q = queue_of("RWR");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].sequence, 5);
  EXPECT_FALSE(is_writer(q[0].name));
  EXPECT_TRUE(is_writer(q[1].name));
  EXPECT_EQ(q[2].sequence, 7);
  EXPECT_FALSE(is_writer("_c_x-lock-0000000001"));
}

TEST(LockDriver, ExclusiveFirstHoldsOthersWatchTheirPredecessor) {
  const auto q = queue_of("WWW");
  EXPECT_TRUE(first_holds(q, 0).holds);
  EXPECT_FALSE(first_holds(q, 1).holds);
  EXPECT_EQ(first_holds(q, 1).watch, 0u);
  EXPECT_EQ(first_holds(q, 2).watch, 1u);
}

TEST(LockDriver, ReadersShareUntilAWriterIsAhead) {
  const auto q = queue_of("RRWRRW");
  EXPECT_TRUE(reader_verdict(q, 0).holds);
  EXPECT_TRUE(reader_verdict(q, 1).holds);  // readers ahead do not block a reader
  // Behind the writer: watch the nearest writer ahead, not the reader just ahead.
  EXPECT_FALSE(reader_verdict(q, 3).holds);
  EXPECT_EQ(reader_verdict(q, 3).watch, 2u);
  EXPECT_EQ(reader_verdict(q, 4).watch, 2u);
}

TEST(LockDriver, AReaderWatchesTheNearestWriterAhead) {
  const auto q = queue_of("WRWR");
  EXPECT_FALSE(reader_verdict(q, 1).holds);
  EXPECT_EQ(reader_verdict(q, 1).watch, 0u);
  EXPECT_FALSE(reader_verdict(q, 3).holds);
  EXPECT_EQ(reader_verdict(q, 3).watch, 2u);
  // A writer waits for everyone ahead, readers included: it watches its predecessor.
  EXPECT_FALSE(first_holds(q, 2).holds);
  EXPECT_EQ(first_holds(q, 2).watch, 1u);
}

}  // namespace
}  // namespace conclave::recipes
