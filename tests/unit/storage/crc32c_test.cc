#include "storage/crc32c.h"

#include <gtest/gtest.h>

namespace conclave::storage {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  EXPECT_EQ(crc32c_extend(crc32c("1234"), "56789"), crc32c("123456789"));
}

TEST(Crc32cTest, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i)
    data.push_back(static_cast<char>(i * 7 + 3));
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= data.size(); len += 13) {
      std::string_view piece(data.data() + start, len);
      EXPECT_EQ(crc32c_extend(0x1234u, piece), crc32c_extend_portable(0x1234u, piece))
          << "start " << start << " len " << len;
    }
  }
  EXPECT_EQ(crc32c_extend_portable(0, "123456789"), 0xE3069283u);
}

}  // namespace
}  // namespace conclave::storage
