#include "datatree/path.h"

#include <gtest/gtest.h>

namespace conclave::datatree {
namespace {

TEST(PathTest, ValidatePathTable) {
  using namespace std::string_literals;
  const std::vector<std::pair<std::string, bool>> cases = {
      {"/", true},
      {"/a", true},
      {"/a/b/c", true},
      {"/a.b", true},
      {"/...", true},
      {"/a/.b", true},
      {"/a/b..", true},
      {"/zookeeper", true},
      {"/\xc3\xa9t\xc3\xa9", true},  // é
      {"", false},
      {"a", false},
      {"a/b", false},
      {"/a/", false},
      {"//", false},
      {"/a//b", false},
      {"/.", false},
      {"/..", false},
      {"/a/./b", false},
      {"/a/../b", false},
      {"/a/..", false},
      {"/a\0b"s, false},
      {"/a\x01", false},
      {"/a\x1f", false},
      {"/a\x7f", false},
      {"/a\xc2\x80", false},          // U+0080
      {"/a\xc2\x9f", false},          // U+009F
      {"/a\xc2\xa0", true},           // U+00A0
      {"/a\xee\x80\x80", false},      // U+E000, private use
      {"/a\xef\xbf\xb0", false},      // U+FFF0
      {"/a\xef\xbf\xbd", false},      // U+FFFD
      {"/a\xf0\x9f\x98\x80", false},  // U+1F600: a surrogate pair in Java
      {"/a\xff", false},              // malformed UTF-8
      {"/a\xc3", false},              // truncated UTF-8
      {"/a\xe2\x82\xac", true},       // U+20AC
  };
  for (const auto& [path, valid] : cases) {
    auto st = validate_path(path);
    EXPECT_EQ(st.ok(), valid) << "path: " << path;
    if (!valid) {
      EXPECT_EQ(st.code(), ErrorCode::kBadArguments);
    }
  }
}

TEST(PathTest, SequentialAllowsTrailingSlash) {
  EXPECT_TRUE(validate_path("/a/", true).ok());
  EXPECT_TRUE(validate_path("/a/.", true).ok());
  EXPECT_FALSE(validate_path("/a//", true).ok());
  EXPECT_FALSE(validate_path("/a/", false).ok());
}

TEST(PathTest, ErrorCarriesReason) {
  auto st = validate_path("/a//b");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().detail.find("empty node name"), std::string::npos);
}

TEST(PathTest, ParentAndBasename) {
  EXPECT_EQ(parent_of("/a/b"), "/a");
  EXPECT_EQ(parent_of("/a"), "/");
  EXPECT_EQ(parent_of("/"), "");
  EXPECT_EQ(basename_of("/a/b"), "b");
  EXPECT_EQ(basename_of("/a"), "a");
  EXPECT_EQ(basename_of("/"), "");
}

}  // namespace
}  // namespace conclave::datatree
