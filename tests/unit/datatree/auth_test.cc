#include "datatree/auth.h"

#include <gtest/gtest.h>

namespace conclave::datatree {
namespace {

using wire::Acl;
using wire::Id;
namespace perms = wire::perms;

RequestContext ctx_with(std::vector<Id> ids, bool super = false) {
  RequestContext ctx;
  ctx.auth_ids = std::move(ids);
  ctx.is_super = super;
  return ctx;
}

TEST(AuthTest, DigestIdMatchesZooKeeper) {
  // Known value: DigestAuthenticationProvider.generateDigest("super:test").
  EXPECT_EQ(digest_id("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  EXPECT_EQ(digest_id("user:pa:ss").substr(0, 5), "user:");
}

TEST(AuthTest, WorldAnyoneAdmitsEveryone) {
  wire::AclList acl = {Acl{perms::kRead, Id{"world", "anyone"}}};
  EXPECT_TRUE(check_acl(acl, perms::kRead, ctx_with({})));
  EXPECT_FALSE(check_acl(acl, perms::kWrite, ctx_with({})));
}

TEST(AuthTest, EmptyAclAndSuperAdmit) {
  EXPECT_TRUE(check_acl({}, perms::kAdmin, ctx_with({})));
  wire::AclList acl = {Acl{perms::kRead, Id{"digest", "u:h"}}};
  EXPECT_TRUE(check_acl(acl, perms::kAdmin, ctx_with({}, true)));
}

TEST(AuthTest, DigestMatchesExactly) {
  wire::AclList acl = {Acl{perms::kAll, Id{"digest", "bob:abc"}}};
  EXPECT_TRUE(check_acl(acl, perms::kWrite, ctx_with({Id{"digest", "bob:abc"}})));
  EXPECT_FALSE(check_acl(acl, perms::kWrite, ctx_with({Id{"digest", "bob:abd"}})));
  EXPECT_FALSE(check_acl(acl, perms::kWrite, ctx_with({Id{"ip", "bob:abc"}})));
}

TEST(AuthTest, IpMatchesAddressAndPrefix) {
  EXPECT_TRUE(id_matches("ip", "10.1.2.3", "10.1.2.3"));
  EXPECT_FALSE(id_matches("ip", "10.1.2.4", "10.1.2.3"));
  EXPECT_TRUE(id_matches("ip", "10.1.2.3", "10.0.0.0/8"));
  EXPECT_FALSE(id_matches("ip", "11.1.2.3", "10.0.0.0/8"));
  EXPECT_TRUE(id_matches("ip", "10.1.2.3", "10.1.2.0/23"));
  EXPECT_TRUE(id_matches("ip", "1.2.3.4", "0.0.0.0/0"));
  EXPECT_TRUE(id_matches("ip", "::1", "::1"));
  EXPECT_TRUE(id_matches("ip", "fe80::1:2", "fe80::/64"));
  EXPECT_FALSE(id_matches("ip", "fe81::1", "fe80::/16"));
  EXPECT_FALSE(id_matches("ip", "10.1.2.3", "::/0"));  // families never match
  wire::AclList acl = {Acl{perms::kRead, Id{"ip", "127.0.0.0/8"}}};
  EXPECT_TRUE(check_acl(acl, perms::kRead, ctx_with({Id{"ip", "127.0.0.1"}})));
  EXPECT_FALSE(check_acl(acl, perms::kRead, ctx_with({Id{"ip", "128.0.0.1"}})));
}

TEST(AuthTest, ValidIds) {
  EXPECT_TRUE(is_valid_acl_id(Id{"world", "anyone"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"world", "someone"}));
  EXPECT_TRUE(is_valid_acl_id(Id{"digest", "u:h"}));
  EXPECT_TRUE(is_valid_acl_id(Id{"digest", "u:h:"}));  // Java's split drops trailing fields
  EXPECT_FALSE(is_valid_acl_id(Id{"digest", "nocolon"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"digest", "u:"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"digest", "a:b:c"}));
  EXPECT_TRUE(is_valid_acl_id(Id{"ip", "10.0.0.0/8"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"ip", "10.0.0.0/33"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"ip", "1.2.3.x"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"ip", "1.2.3"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"ip", "1.2.3.256"}));
  EXPECT_TRUE(is_valid_acl_id(Id{"ip", "::1"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"ip", "::1/129"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"foo", "bar"}));
  EXPECT_FALSE(is_valid_acl_id(Id{"super", ""}));
}

TEST(AuthTest, FixupAclExpandsAuthAndDropsDuplicates) {
  auto ctx = ctx_with({Id{"ip", "127.0.0.1"}, Id{"digest", "bob:h1"}, Id{"digest", "amy:h2"}});
  auto r = fixup_acl({Acl{perms::kAll, Id{"auth", ""}}, Acl{perms::kRead, Id{"world", "anyone"}},
                      Acl{perms::kRead, Id{"world", "anyone"}}},
                     ctx);
  ASSERT_TRUE(r.ok());
  wire::AclList want = {Acl{perms::kAll, Id{"digest", "bob:h1"}},
                        Acl{perms::kAll, Id{"digest", "amy:h2"}},
                        Acl{perms::kRead, Id{"world", "anyone"}}};
  EXPECT_EQ(*r, want);
}

TEST(AuthTest, FixupAclRejects) {
  auto ip_only = ctx_with({Id{"ip", "127.0.0.1"}});
  // ip ids are not "authenticated": auth has nothing to expand to.
  EXPECT_EQ(fixup_acl({Acl{perms::kAll, Id{"auth", ""}}}, ip_only).code(), ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl({}, ip_only).code(), ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl({Acl{perms::kAll, Id{"digest", "x"}}}, ip_only).code(),
            ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl({Acl{perms::kAll, Id{"ip", "1.2.3.x"}}}, ip_only).code(),
            ErrorCode::kInvalidAcl);
  EXPECT_TRUE(fixup_acl({Acl{0, Id{"world", "anyone"}}}, ip_only).ok());  // perms 0 is allowed
}

}  // namespace
}  // namespace conclave::datatree
