#include <gtest/gtest.h>

#include "common/result.h"
#include "common/zxid.h"

namespace conclave {
namespace {

TEST(ErrorTest, CodesKeepZooKeeperValues) {
  EXPECT_EQ(to_int(ErrorCode::kNoNode), -101);
  EXPECT_EQ(to_int(ErrorCode::kNodeExists), -110);
  EXPECT_EQ(to_int(ErrorCode::kSessionExpired), -112);
  EXPECT_EQ(error_message(ErrorCode::kNoNode), "Node does not exist");
  EXPECT_EQ(error_name(ErrorCode::kBadVersion), "BADVERSION");
  EXPECT_EQ(error_message(static_cast<ErrorCode>(-9999)), "Unknown error");
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Error(ErrorCode::kBadArguments, "path must start with /");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), ErrorCode::kBadArguments);
  EXPECT_EQ(bad.error().to_string(), "Invalid arguments: path must start with /");
  Status s = ErrorCode::kOk;
  EXPECT_TRUE(s.ok());
}

TEST(ZxidTest, EpochAndCounterHalves) {
  Zxid z = make_zxid(3, 0xfffffffeu);
  EXPECT_EQ(zxid_epoch(z), 3u);
  EXPECT_EQ(zxid_counter(z), 0xfffffffeu);
  EXPECT_EQ(make_zxid(1, 0), int64_t{1} << 32);
  EXPECT_EQ(zxid_epoch(make_zxid(0xffffffffu, 1)), 0xffffffffu);
}

}  // namespace
}  // namespace conclave
