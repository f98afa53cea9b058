#include "session/session_ids.h"

#include <gtest/gtest.h>

namespace conclave::session {
namespace {

TEST(SessionIdsTest, IdsCarryServerIdAndAreUnique) {
  SessionIdGenerator gen(5, 1'700'000'000'000);
  SessionId a = gen.next();
  SessionId b = gen.next();
  EXPECT_NE(a, b);
  EXPECT_EQ(static_cast<uint64_t>(a) >> 56, 5u);
}

TEST(SessionIdsTest, PasswordVerifiesOnlyForItsIdAndSecret) {
  std::string pw = session_password(42, "secret");
  EXPECT_EQ(pw.size(), kPasswordBytes);
  EXPECT_TRUE(check_session_password(42, "secret", pw));
  EXPECT_FALSE(check_session_password(43, "secret", pw));
  EXPECT_FALSE(check_session_password(42, "other", pw));
  EXPECT_FALSE(check_session_password(42, "secret", pw.substr(0, 15)));
  EXPECT_FALSE(check_session_password(42, "secret", std::string(16, '\0')));
}

}  // namespace
}  // namespace conclave::session
