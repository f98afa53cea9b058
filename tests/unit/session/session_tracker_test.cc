#include "session/session_tracker.h"

#include <gtest/gtest.h>

namespace conclave::session {
namespace {

TEST(SessionTrackerTest, ExpiresInTickBucketsAfterTimeout) {
  SessionTracker t(/*tick_ms=*/100);
  t.add(1, 1000, 5000);  // due 6000, bucket rounds up to 6100
  t.add(2, 1000, 5050);  // due 6050, same bucket
  EXPECT_EQ(t.next_expiry_ms(), 6100);
  EXPECT_TRUE(t.take_expired(6099).empty());
  auto expired = t.take_expired(6100);
  EXPECT_EQ(expired, (std::vector<SessionId>{1, 2}));
  EXPECT_TRUE(t.is_closing(1));
  EXPECT_TRUE(t.take_expired(99999).empty()) << "an expired session is reported once";
}

TEST(SessionTrackerTest, TouchPostponesExpiry) {
  SessionTracker t(100);
  t.add(7, 1000, 0);
  EXPECT_TRUE(t.touch(7, 900));
  EXPECT_TRUE(t.take_expired(1100).empty());
  EXPECT_EQ(t.take_expired(2000), std::vector<SessionId>{7});
  EXPECT_FALSE(t.touch(7, 2000)) << "closing sessions cannot be revived by a ping";
}

TEST(SessionTrackerTest, RemoveForgetsTheSession) {
  SessionTracker t(100);
  t.add(3, 500, 0);
  t.remove(3);
  EXPECT_FALSE(t.contains(3));
  EXPECT_EQ(t.next_expiry_ms(), -1);
  EXPECT_FALSE(t.touch(3, 10));
}

TEST(SessionTrackerTest, NegotiationClampsToBounds) {
  EXPECT_EQ(SessionTracker::negotiate_timeout_ms(1000, 4000, 40000), 4000);
  EXPECT_EQ(SessionTracker::negotiate_timeout_ms(90000, 4000, 40000), 40000);
  EXPECT_EQ(SessionTracker::negotiate_timeout_ms(10000, 4000, 40000), 10000);
}

}  // namespace
}  // namespace conclave::session
