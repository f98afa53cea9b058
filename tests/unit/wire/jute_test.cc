#include "wire/jute.h"

#include <gtest/gtest.h>

#include "wire/data_types.h"

namespace conclave::wire {
namespace {

TEST(JuteTest, PrimitivesAreBigEndian) {
  JuteWriter w;
  w.write_int(0x01020304);
  w.write_long(-2);
  w.write_bool(true);
  w.write_string("ab");
  w.write_null();
  EXPECT_EQ(w.bytes(), std::string("\x01\x02\x03\x04"
                                   "\xff\xff\xff\xff\xff\xff\xff\xfe"
                                   "\x01"
                                   "\x00\x00\x00\x02"
                                   "ab"
                                   "\xff\xff\xff\xff",
                                   4 + 8 + 1 + 6 + 4));
  JuteReader r(w.bytes());
  EXPECT_EQ(r.read_int(), 0x01020304);
  EXPECT_EQ(r.read_long(), -2);
  EXPECT_TRUE(r.read_bool());
  EXPECT_EQ(r.read_string(), "ab");
  EXPECT_FALSE(r.was_null());
  EXPECT_EQ(r.read_buffer(), "");
  EXPECT_TRUE(r.was_null());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(JuteTest, TruncatedInputFailsAndLatches) {
  std::string bytes("\x00\x00\x00\x10xyz", 7);  // claims 16 bytes, has 3
  JuteReader r(bytes);
  EXPECT_EQ(r.read_buffer(), "");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.read_int(), 0);
  EXPECT_FALSE(r.ok());
}

TEST(JuteTest, NegativeLengthOtherThanNullFails) {
  std::string bytes("\xff\xff\xff\xfe", 4);
  JuteReader r(bytes);
  r.read_buffer();
  EXPECT_FALSE(r.ok());
}

TEST(JuteTest, ForgedVectorCountIsRejectedBeforeAllocation) {
  std::string bytes("\x7f\xff\xff\xff", 4);  // two billion ACL entries in 4 bytes
  JuteReader r(bytes);
  AclList acl;
  decode(r, acl);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(acl.empty());
}

TEST(JuteTest, StatRoundTripsIn68Bytes) {
  Stat s{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  JuteWriter w;
  encode(w, s);
  EXPECT_EQ(w.size(), kStatBytes);
  JuteReader r(w.bytes());
  Stat back;
  decode(r, back);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(back, s);
}

}  // namespace
}  // namespace conclave::wire
