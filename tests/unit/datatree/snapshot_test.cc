#include <gtest/gtest.h>

#include <random>

#include "datatree/data_tree.h"
#include "tests/unit/datatree/test_util.h"

namespace conclave::datatree {
namespace {

using testing::ctx_for;
using testing::Driver;
using testing::kSession;

void build(Driver& d) {
  d.open_session(kSession, 5000);
  d.open_session(kSession + 1, 6000);
  d.create("/a", "alpha");
  d.create("/a/b", std::string(1000, 'b'));
  d.create("/a/s-", "", create_mode::kPersistentSequential);
  d.create("/e", "", create_mode::kEphemeral);
  d.create("/acl", "", 0, ctx_for(), {wire::Acl{wire::perms::kRead, wire::Id{"digest", "u:h"}}});
  d.write(wire::OpCode::kCreateContainer,
          wire::CreateRequest{"/c", "", wire::open_acl_unsafe(), create_mode::kContainer},
          ctx_for());
  d.set("/a", "beta");
}

TEST(SnapshotTest, RoundTripEqualsOriginal) {
  DataTree tree;
  Driver d(tree);
  build(d);
  auto bytes = tree.serialize_snapshot();
  auto loaded = DataTree::load_snapshot(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  DataTree& copy = **loaded;
  EXPECT_EQ(copy.digest(), tree.digest());
  EXPECT_EQ(copy.last_applied_zxid(), tree.last_applied_zxid());
  EXPECT_EQ(copy.node_count(), tree.node_count());
  EXPECT_EQ(copy.sessions(), tree.sessions());
  ASSERT_NE(copy.session_password(kSession), nullptr);
  EXPECT_EQ(*copy.session_password(kSession), "pw-" + std::to_string(kSession));
  EXPECT_EQ(copy.approximate_data_size(), tree.approximate_data_size());
  EXPECT_EQ(copy.ephemeral_count(), tree.ephemeral_count());
  EXPECT_EQ(copy.acl_cache_size(), tree.acl_cache_size());
  EXPECT_EQ(copy.serialize_snapshot(), bytes);
  for (const char* p : {"/", "/a", "/a/b", "/a/s-0000000001", "/e", "/acl", "/c", "/zookeeper",
                        "/zookeeper/config"}) {
    ASSERT_TRUE(copy.stat_of(p)) << p;
    EXPECT_EQ(*copy.stat_of(p), *tree.stat_of(p)) << p;
  }
  RequestContext super_ctx = ctx_for();
  super_ctx.is_super = true;
  EXPECT_EQ(copy.get_data(wire::GetDataRequest{"/a", false}, super_ctx, 0)->data, "beta");
  EXPECT_EQ(copy.get_acl(wire::GetAclRequest{"/acl"}, super_ctx)->acl,
            tree.get_acl(wire::GetAclRequest{"/acl"}, super_ctx)->acl);
  EXPECT_EQ(copy.get_ephemerals(kSession, "/"), (std::vector<std::string>{"/e"}));
}

TEST(SnapshotTest, ContinuesLikeTheOriginal) {
  DataTree tree;
  Driver d(tree);
  build(d);
  auto loaded = DataTree::load_snapshot(tree.serialize_snapshot());
  ASSERT_TRUE(loaded.ok());
  Txn t1 = tree.prepare(wire::OpCode::kCreate2,
                        wire::CreateRequest{"/z", "1", wire::open_acl_unsafe(), 0}, ctx_for(),
                        d.zxid() + 1, d.now_ms());
  Txn t2 = tree.prepare_close_session(kSession, d.zxid() + 2, d.now_ms());
  tree.apply(t1);
  tree.apply(t2);
  (*loaded)->apply(t1);
  (*loaded)->apply(t2);
  EXPECT_EQ((*loaded)->digest(), tree.digest());
  EXPECT_EQ((*loaded)->serialize_snapshot(), tree.serialize_snapshot());
}

TEST(SnapshotTest, CorruptionIsDetected) {
  DataTree tree;
  Driver d(tree);
  build(d);
  auto bytes = tree.serialize_snapshot();
  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_FALSE(DataTree::load_snapshot(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DataTree::load_snapshot(bytes + "x").ok());
  // Flip one data byte of /a/b (a long run of 'b'): the digest must catch it.
  auto flipped = bytes;
  auto at = flipped.find(std::string(100, 'b'));
  ASSERT_NE(at, std::string::npos);
  flipped[at + 50] = 'c';
  auto r = DataTree::load_snapshot(flipped);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kDataInconsistency);
}

TEST(SnapshotTest, GarbageNeverCrashes) {
  DataTree tree;
  Driver d(tree);
  build(d);
  auto bytes = tree.serialize_snapshot();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    auto b = bytes;
    for (int f = 0; f < 3; ++f)
      b[rng() % b.size()] = static_cast<char>(rng());
    (void)DataTree::load_snapshot(b);
  }
}

}  // namespace
}  // namespace conclave::datatree
