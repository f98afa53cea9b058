#include "datatree/data_tree.h"

#include <gtest/gtest.h>

#include "tests/unit/datatree/test_util.h"

namespace conclave::datatree {
namespace {

using testing::ctx_for;
using testing::Driver;
using testing::kNowMs;
using testing::kSession;
using wire::Acl;
using wire::Id;
using wire::OpCode;
namespace perms = wire::perms;

int32_t ev(wire::EventType t) {
  return static_cast<int32_t>(t);
}

std::vector<std::tuple<WatcherId, int32_t, std::string>> events_of(const ApplyResult& r) {
  std::vector<std::tuple<WatcherId, int32_t, std::string>> out;
  for (const auto& e : r.events)
    out.emplace_back(e.watcher, e.event.type, e.event.path);
  return out;
}

// ---- the initial tree, as a fresh ZooKeeper 3.8 shows it ----

TEST(DataTreeTest, InitialTreeMatchesZooKeeper) {
  DataTree tree;
  auto root = tree.stat_of("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->cversion, -1);
  EXPECT_EQ(root->num_children, 1);
  EXPECT_EQ(root->czxid, 0);
  auto zk = tree.stat_of("/zookeeper");
  ASSERT_TRUE(zk);
  EXPECT_EQ(zk->cversion, -2);
  EXPECT_EQ(zk->num_children, 2);
  auto config = tree.stat_of("/zookeeper/config");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->aversion, -1);
  EXPECT_EQ(tree.stat_of("/zookeeper/quota")->cversion, 0);
  auto acl = tree.get_acl(wire::GetAclRequest{"/zookeeper/config"}, ctx_for());
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->acl, wire::read_acl_unsafe());
  auto children = tree.get_children(wire::GetChildrenRequest{"/zookeeper", false}, ctx_for(), 0);
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->children, (std::vector<std::string>{"config", "quota"}));
  EXPECT_EQ(tree.node_count(), 4u);
}

TEST(DataTreeTest, ReservedNodes) {
  DataTree tree;
  Driver d(tree);
  // Verified on ZooKeeper 3.8: deleting a reserved node is BadArguments, /zookeeper/config is
  // read-only by ACL, and creating under /zookeeper or setting it is allowed.
  EXPECT_EQ(d.remove("/zookeeper").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.remove("/zookeeper/quota").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.remove("/zookeeper/config").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.remove("/").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.set("/zookeeper/config", "x").err, ErrorCode::kNoAuth);
  EXPECT_EQ(d.create("/zookeeper/x").err, ErrorCode::kOk);
  EXPECT_EQ(d.set("/zookeeper", "x").err, ErrorCode::kOk);
  EXPECT_EQ(d.create("/zookeeper").err, ErrorCode::kNodeExists);
  EXPECT_EQ(d.create("/").err, ErrorCode::kNodeExists);
}

// Verified on ZooKeeper 3.8: reads of "" answer with the root (its node map holds the root
// under "" as the parent of "/a"), while every write of "" is BadArguments.
TEST(DataTreeTest, EmptyPathReadsTheRoot) {
  DataTree tree;
  Driver d(tree);
  ASSERT_EQ(d.create("/a").err, ErrorCode::kOk);
  auto data = tree.get_data(wire::GetDataRequest{"", false}, ctx_for(), 0);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->stat, *tree.stat_of("/"));
  auto exists = tree.exists(wire::ExistsRequest{"", false}, ctx_for(), 0);
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->stat, *tree.stat_of("/"));
  auto children = tree.get_children(wire::GetChildrenRequest{"", false}, ctx_for(), 0);
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->children, (std::vector<std::string>{"a", "zookeeper"}));
  EXPECT_TRUE(tree.get_acl(wire::GetAclRequest{""}, ctx_for()).ok());
  // getAllChildrenNumber counts keys starting with path + "/": for "" the root is one of them.
  EXPECT_EQ(*tree.get_all_children_number("/", ctx_for()), 4);
  EXPECT_EQ(*tree.get_all_children_number("", ctx_for()), 5);
  EXPECT_EQ(d.create("").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.set("", "x").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.remove("").err, ErrorCode::kBadArguments);
}

// ---- stats ----

TEST(DataTreeTest, StatAfterCreateSetDelete) {
  DataTree tree;
  Driver d(tree);
  auto r = d.create("/a", "hello");
  ASSERT_EQ(r.err, ErrorCode::kOk);
  EXPECT_EQ(r.path, "/a");
  Zxid z1 = d.zxid();
  EXPECT_EQ(r.stat.czxid, z1);
  EXPECT_EQ(r.stat.mzxid, z1);
  EXPECT_EQ(r.stat.pzxid, z1);
  EXPECT_EQ(r.stat.ctime, kNowMs);
  EXPECT_EQ(r.stat.mtime, kNowMs);
  EXPECT_EQ(r.stat.version, 0);
  EXPECT_EQ(r.stat.cversion, 0);
  EXPECT_EQ(r.stat.aversion, 0);
  EXPECT_EQ(r.stat.ephemeral_owner, 0);
  EXPECT_EQ(r.stat.data_length, 5);
  EXPECT_EQ(r.stat.num_children, 0);
  EXPECT_EQ(tree.stat_of("/")->pzxid, z1);
  EXPECT_EQ(tree.stat_of("/")->cversion, 0);  // -1 + 1

  d.advance_ms(10);
  auto s = d.set("/a", "bye");
  ASSERT_EQ(s.err, ErrorCode::kOk);
  EXPECT_EQ(s.stat.version, 1);
  EXPECT_EQ(s.stat.mzxid, d.zxid());
  EXPECT_EQ(s.stat.czxid, z1);
  EXPECT_EQ(s.stat.mtime, kNowMs + 10);
  EXPECT_EQ(s.stat.ctime, kNowMs);
  EXPECT_EQ(s.stat.data_length, 3);
  EXPECT_EQ(tree.stat_of("/")->pzxid, z1);  // setData leaves the parent alone

  // The same sequence as the probe of ZooKeeper 3.8: cversion counts creates and deletes.
  d.create("/t");
  d.create("/t/a");
  EXPECT_EQ(tree.stat_of("/t")->cversion, 1);
  d.create("/t/b");
  EXPECT_EQ(tree.stat_of("/t")->cversion, 2);
  d.remove("/t/a");
  EXPECT_EQ(tree.stat_of("/t")->cversion, 3);
  EXPECT_EQ(tree.stat_of("/t")->pzxid, d.zxid());
  EXPECT_EQ(d.create("/t/s-", "", create_mode::kPersistentSequential).path, "/t/s-0000000002");
  EXPECT_EQ(tree.stat_of("/t")->cversion, 4);
  d.remove("/t/b");
  EXPECT_EQ(tree.stat_of("/t")->cversion, 5);
  EXPECT_EQ(d.create("/t/s-", "", create_mode::kPersistentSequential).path, "/t/s-0000000003");
  EXPECT_EQ(tree.stat_of("/t")->cversion, 6);
  EXPECT_EQ(tree.stat_of("/t")->num_children, 2);

  auto acl =
      d.write(OpCode::kSetAcl, wire::SetAclRequest{"/a", wire::read_acl_unsafe(), 0}, ctx_for());
  ASSERT_EQ(acl.err, ErrorCode::kOk);
  EXPECT_EQ(acl.stat.aversion, 1);
  EXPECT_EQ(acl.stat.version, 1);
  EXPECT_EQ(acl.stat.mzxid, s.stat.mzxid);  // setACL bumps aversion only
}

TEST(DataTreeTest, WriteErrorsInZooKeeperOrder) {
  DataTree tree;
  Driver d(tree);
  d.create("/a");
  d.create("/a/b");
  EXPECT_EQ(d.create("/a").err, ErrorCode::kNodeExists);
  EXPECT_EQ(d.create("/x/y").err, ErrorCode::kNoNode);
  EXPECT_EQ(d.create("a").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.create("/a/").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.create("/x//y").err, ErrorCode::kNoNode);  // parent "/x/" checked first
  EXPECT_EQ(d.create("/a/.").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.create("/a", "", 7).err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.remove("/a", 5).err, ErrorCode::kBadVersion);  // version before NotEmpty
  EXPECT_EQ(d.remove("/a").err, ErrorCode::kNotEmpty);
  EXPECT_EQ(d.remove("/nope").err, ErrorCode::kNoNode);
  EXPECT_EQ(d.set("/a", "", 7).err, ErrorCode::kBadVersion);
  EXPECT_EQ(d.set("/nope", "").err, ErrorCode::kNoNode);
  EXPECT_EQ(d.set("/a/", "").err, ErrorCode::kBadArguments);
  EXPECT_EQ(d.write(OpCode::kCheck, wire::CheckVersionRequest{"/a", 3}, ctx_for()).err,
            ErrorCode::kBadVersion);
  EXPECT_EQ(d.write(OpCode::kCheck, wire::CheckVersionRequest{"/a", 0}, ctx_for()).err,
            ErrorCode::kOk);
  EXPECT_EQ(d.write(OpCode::kSetAcl, wire::SetAclRequest{"/a", {}, -1}, ctx_for()).err,
            ErrorCode::kInvalidAcl);
  EXPECT_EQ(
      d.write(OpCode::kSetAcl, wire::SetAclRequest{"/a", wire::open_acl_unsafe(), 4}, ctx_for())
          .err,
      ErrorCode::kBadVersion);
  // Mismatched request and opcode.
  EXPECT_EQ(d.write(OpCode::kDelete, wire::SetDataRequest{"/a", "", -1}, ctx_for()).err,
            ErrorCode::kMarshallingError);
}

TEST(DataTreeTest, FailedWriteStillUsesItsZxid) {
  DataTree tree;
  Driver d(tree);
  d.create("/a");
  Txn txn = tree.prepare(OpCode::kCreate, wire::CreateRequest{"/a", "", wire::open_acl_unsafe(), 0},
                         ctx_for(), 2, kNowMs);
  EXPECT_EQ(txn.header.type, OpCode::kError);
  EXPECT_EQ(txn.header.zxid, 2);
  ASSERT_TRUE(std::holds_alternative<ErrorTxn>(txn.body));
  uint64_t before = tree.digest();
  auto r = tree.apply(txn);
  EXPECT_EQ(r.err, ErrorCode::kNodeExists);
  EXPECT_EQ(tree.last_applied_zxid(), 2);
  EXPECT_EQ(tree.digest(), before);
}

// ---- sequential nodes ----

TEST(DataTreeTest, SequentialNamesAndWrap) {
  DataTree tree;
  Driver d(tree);
  d.create("/q");
  EXPECT_EQ(d.create("/q/n-", "", create_mode::kPersistentSequential).path, "/q/n-0000000000");
  EXPECT_EQ(d.create("/q/", "", create_mode::kPersistentSequential).path, "/q/0000000001");
  // Drive the parent's cversion to INT32_MAX through a txn (as replay would), then wrap.
  Txn t{TxnHeader{0, 0, d.zxid() + 1, kNowMs, OpCode::kCreate},
        CreateTxn{"/q/x", "", wire::open_acl_unsafe(), 0, 2147483647}};
  ASSERT_EQ(tree.apply(t).err, ErrorCode::kOk);
  Driver d2(tree);
  for (int i = 0; i < static_cast<int>(d.zxid()) + 2; ++i)
    d2.open_session(1000 + i);
  EXPECT_EQ(d2.create("/q/n-", "", create_mode::kPersistentSequential).path, "/q/n-2147483647");
  EXPECT_EQ(d2.create("/q/n-", "", create_mode::kPersistentSequential).path, "/q/n--2147483648");
  EXPECT_EQ(d2.create("/q/n-", "", create_mode::kPersistentSequential).path, "/q/n--2147483647");
}

// ---- ephemerals and sessions ----

TEST(DataTreeTest, EphemeralsBelongToTheirSession) {
  DataTree tree;
  Driver d(tree);
  // An ephemeral needs a live session.
  EXPECT_EQ(d.create("/e", "", create_mode::kEphemeral).err, ErrorCode::kSessionExpired);
  d.open_session(kSession, 4000);
  EXPECT_EQ(tree.sessions().at(kSession), 4000);
  auto r = d.create("/e", "", create_mode::kEphemeral);
  ASSERT_EQ(r.err, ErrorCode::kOk);
  EXPECT_EQ(r.stat.ephemeral_owner, kSession);
  EXPECT_EQ(d.create("/e/c").err, ErrorCode::kNoChildrenForEphemerals);
  EXPECT_EQ(d.create("/s-", "", create_mode::kEphemeralSequential).path, "/s-0000000001");
  d.create("/p");
  d.create("/p/e", "", create_mode::kEphemeral);
  EXPECT_EQ(tree.ephemeral_count(), 3u);
  EXPECT_EQ(tree.get_ephemerals(kSession, ""),
            (std::vector<std::string>{"/e", "/p/e", "/s-0000000001"}));
  EXPECT_EQ(tree.get_ephemerals(kSession, "/p"), (std::vector<std::string>{"/p/e"}));
  EXPECT_TRUE(tree.get_ephemerals(42, "/").empty());

  ASSERT_TRUE(tree.exists(wire::ExistsRequest{"/e", true}, ctx_for(), 7).ok());
  ASSERT_TRUE(tree.get_children(wire::GetChildrenRequest{"/p", true}, ctx_for(), 8).ok());
  Txn close = tree.prepare_close_session(kSession, d.zxid() + 1, kNowMs);
  EXPECT_EQ(std::get<CloseSessionTxn>(close.body).paths_to_delete,
            (std::vector<std::string>{"/e", "/p/e", "/s-0000000001"}));
  auto c = tree.apply(close);
  EXPECT_EQ(c.err, ErrorCode::kOk);
  EXPECT_FALSE(tree.stat_of("/e"));
  EXPECT_FALSE(tree.stat_of("/p/e"));
  EXPECT_TRUE(tree.stat_of("/p"));
  EXPECT_EQ(tree.ephemeral_count(), 0u);
  EXPECT_FALSE(tree.sessions().contains(kSession));
  EXPECT_EQ(events_of(c), (std::vector<std::tuple<WatcherId, int32_t, std::string>>{
                              {7, ev(wire::EventType::kNodeDeleted), "/e"},
                              {8, ev(wire::EventType::kNodeChildrenChanged), "/p"}}));
}

// ---- containers and TTL ----

TEST(DataTreeTest, ContainersExpireOnceUsedAndEmpty) {
  DataTree tree;
  Driver d(tree);
  auto r = d.write(OpCode::kCreateContainer,
                   wire::CreateRequest{"/c", "", wire::open_acl_unsafe(), create_mode::kContainer},
                   ctx_for());
  ASSERT_EQ(r.err, ErrorCode::kOk);
  EXPECT_EQ(r.stat.ephemeral_owner, 0);  // containers show 0 to clients
  EXPECT_EQ(d.write(OpCode::kCreateContainer,
                    wire::CreateRequest{"/c2", "", wire::open_acl_unsafe(), 0}, ctx_for())
                .err,
            ErrorCode::kBadArguments);
  d.create("/plain");
  EXPECT_TRUE(tree.expired_nodes(d.now_ms(), 100).empty());  // never had a child
  EXPECT_EQ(tree.expired_nodes(d.now_ms() + 1000, 100, 500), (std::vector<std::string>{"/c"}));
  d.create("/c/x");
  EXPECT_TRUE(tree.expired_nodes(d.now_ms(), 100).empty());  // has a child
  // Deleting a container that is not empty is refused.
  EXPECT_EQ(d.write(OpCode::kDeleteContainer, wire::DeleteRequest{"/c", -1}, ctx_for()).err,
            ErrorCode::kNotEmpty);
  d.remove("/c/x");
  EXPECT_EQ(tree.expired_nodes(d.now_ms(), 100), (std::vector<std::string>{"/c"}));
  EXPECT_EQ(d.write(OpCode::kDeleteContainer, wire::DeleteRequest{"/plain", -1}, ctx_for()).err,
            ErrorCode::kBadVersion);
  EXPECT_EQ(d.write(OpCode::kDeleteContainer, wire::DeleteRequest{"/c", -1}, ctx_for()).err,
            ErrorCode::kOk);
  EXPECT_FALSE(tree.stat_of("/c"));
  EXPECT_TRUE(tree.expired_nodes(d.now_ms(), 100).empty());
}

TEST(DataTreeTest, TtlNeedsExtendedTypes) {
  DataTree tree;
  Driver d(tree);
  EXPECT_EQ(d.write(OpCode::kCreateTtl,
                    wire::CreateTtlRequest{"/t", "", wire::open_acl_unsafe(),
                                           create_mode::kPersistentWithTtl, 1000},
                    ctx_for())
                .err,
            ErrorCode::kUnimplemented);
}

TEST(DataTreeTest, TtlNodesExpire) {
  DataTree tree(DataTreeOptions{.extended_types_enabled = true});
  Driver d(tree);
  auto ttl_create = [&](const std::string& path, int32_t flags, int64_t ttl) {
    return d.write(OpCode::kCreateTtl,
                   wire::CreateTtlRequest{path, "", wire::open_acl_unsafe(), flags, ttl},
                   ctx_for());
  };
  EXPECT_EQ(ttl_create("/t", create_mode::kPersistentWithTtl, 0).err, ErrorCode::kBadArguments);
  EXPECT_EQ(ttl_create("/t", create_mode::kPersistentWithTtl, kTtlMaxMs + 1).err,
            ErrorCode::kBadArguments);
  EXPECT_EQ(ttl_create("/t", create_mode::kPersistent, 1000).err, ErrorCode::kBadArguments);
  auto r = ttl_create("/t", create_mode::kPersistentWithTtl, 1000);
  ASSERT_EQ(r.err, ErrorCode::kOk);
  EXPECT_EQ(r.stat.ephemeral_owner, 0);
  EXPECT_EQ(ttl_create("/ts-", create_mode::kPersistentSequentialWithTtl, 5000).path,
            "/ts-0000000001");
  EXPECT_TRUE(tree.expired_nodes(d.now_ms() + 1000, 100).empty());  // mtime + ttl == now
  EXPECT_EQ(tree.expired_nodes(d.now_ms() + 1001, 100), (std::vector<std::string>{"/t"}));
  EXPECT_EQ(tree.expired_nodes(d.now_ms() + 6000, 100),
            (std::vector<std::string>{"/t", "/ts-0000000001"}));
  EXPECT_EQ(tree.expired_nodes(d.now_ms() + 6000, 1), (std::vector<std::string>{"/t"}));
  // A setData renews the node; the delete is refused until it expires again.
  d.advance_ms(800);
  d.set("/t", "x");
  d.advance_ms(800);
  EXPECT_TRUE(tree.expired_nodes(d.now_ms(), 100).empty());
  EXPECT_EQ(d.write(OpCode::kDeleteContainer, wire::DeleteRequest{"/t", -1}, ctx_for()).err,
            ErrorCode::kBadVersion);
  d.advance_ms(300);
  EXPECT_EQ(d.write(OpCode::kDeleteContainer, wire::DeleteRequest{"/t", -1}, ctx_for()).err,
            ErrorCode::kOk);
}

// ---- ACLs per operation and scheme ----

TEST(DataTreeTest, AclChecksPerOperation) {
  DataTree tree;
  Driver d(tree);
  auto anyone = ctx_for();
  const std::string bob = digest_id("bob:secret");
  auto bob_ctx = ctx_for(kSession, {Id{"digest", bob}});

  // Only bob may do anything; world may read.
  wire::AclList acl = {Acl{perms::kAll, Id{"digest", bob}},
                       Acl{perms::kRead, Id{"world", "anyone"}}};
  ASSERT_EQ(d.create("/b", "d", 0, anyone, acl).err, ErrorCode::kOk);
  EXPECT_EQ(d.create("/b/c", "", 0, anyone).err, ErrorCode::kNoAuth);
  EXPECT_EQ(d.create("/b/c", "", 0, bob_ctx).err, ErrorCode::kOk);
  EXPECT_EQ(d.set("/b", "x", -1, anyone).err, ErrorCode::kNoAuth);
  EXPECT_EQ(d.set("/b", "x", -1, bob_ctx).err, ErrorCode::kOk);
  EXPECT_EQ(d.remove("/b/c", -1, anyone).err, ErrorCode::kNoAuth);
  // Delete is checked on the parent, even for a node that does not exist.
  EXPECT_EQ(d.remove("/b/none", -1, anyone).err, ErrorCode::kNoAuth);
  EXPECT_EQ(d.remove("/b/c", -1, bob_ctx).err, ErrorCode::kOk);
  EXPECT_EQ(
      d.write(OpCode::kSetAcl, wire::SetAclRequest{"/b", wire::open_acl_unsafe(), -1}, anyone).err,
      ErrorCode::kNoAuth);
  EXPECT_TRUE(tree.get_data(wire::GetDataRequest{"/b", false}, anyone, 0).ok());

  // getACL: READ suffices, but the digest hash is masked without ADMIN.
  auto masked = tree.get_acl(wire::GetAclRequest{"/b"}, anyone);
  ASSERT_TRUE(masked.ok());
  EXPECT_EQ(masked->acl[0].id.id, "bob:x");
  auto full = tree.get_acl(wire::GetAclRequest{"/b"}, bob_ctx);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->acl[0].id.id, bob);

  // No READ: reads fail, exists too (ZOOKEEPER-2590), unless the option says otherwise.
  wire::AclList write_only = {Acl{perms::kWrite, Id{"world", "anyone"}}};
  ASSERT_EQ(d.create("/w", "d", 0, anyone, write_only).err, ErrorCode::kOk);
  EXPECT_EQ(tree.get_data(wire::GetDataRequest{"/w", false}, anyone, 0).code(), ErrorCode::kNoAuth);
  EXPECT_EQ(tree.get_children(wire::GetChildrenRequest{"/w", false}, anyone, 0).code(),
            ErrorCode::kNoAuth);
  EXPECT_EQ(tree.get_acl(wire::GetAclRequest{"/w"}, anyone).code(), ErrorCode::kNoAuth);
  EXPECT_EQ(tree.exists(wire::ExistsRequest{"/w", false}, anyone, 0).code(), ErrorCode::kNoAuth);
  EXPECT_EQ(tree.get_all_children_number("/w", anyone).code(), ErrorCode::kNoAuth);
  EXPECT_EQ(d.write(OpCode::kCheck, wire::CheckVersionRequest{"/w", -1}, anyone).err,
            ErrorCode::kNoAuth);
  EXPECT_EQ(d.create("/w/x", "", 0, anyone).err, ErrorCode::kNoAuth);

  // ADMIN alone lets getACL through.
  wire::AclList admin_only = {Acl{perms::kAdmin, Id{"world", "anyone"}}};
  ASSERT_EQ(d.create("/adm", "", 0, anyone, admin_only).err, ErrorCode::kOk);
  EXPECT_TRUE(tree.get_acl(wire::GetAclRequest{"/adm"}, anyone).ok());

  // Super bypasses everything.
  auto super_ctx = ctx_for();
  super_ctx.is_super = true;
  EXPECT_TRUE(tree.get_data(wire::GetDataRequest{"/w", false}, super_ctx, 0).ok());
  EXPECT_EQ(d.set("/zookeeper/config", "x", -1, super_ctx).err, ErrorCode::kOk);
}

TEST(DataTreeTest, IpAclAndAuthScheme) {
  DataTree tree;
  Driver d(tree);
  auto local = ctx_for();
  RequestContext remote;
  remote.session_id = kSession;
  remote.auth_ids = {Id{"ip", "10.9.8.7"}};
  wire::AclList acl = {Acl{perms::kAll, Id{"ip", "127.0.0.0/8"}}};
  ASSERT_EQ(d.create("/ip", "", 0, local, acl).err, ErrorCode::kOk);
  EXPECT_TRUE(tree.get_data(wire::GetDataRequest{"/ip", false}, local, 0).ok());
  EXPECT_EQ(tree.get_data(wire::GetDataRequest{"/ip", false}, remote, 0).code(),
            ErrorCode::kNoAuth);

  // auth: expanded to the caller's authenticated ids; with none it is InvalidACL (verified on
  // ZooKeeper 3.8 with an ip-only client).
  wire::AclList auth_acl = {Acl{perms::kAll, Id{"auth", ""}}};
  EXPECT_EQ(d.create("/au", "", 0, local, auth_acl).err, ErrorCode::kInvalidAcl);
  auto bob_ctx = ctx_for(kSession, {Id{"digest", "bob:h"}});
  ASSERT_EQ(d.create("/au", "", 0, bob_ctx, auth_acl).err, ErrorCode::kOk);
  auto stored = tree.get_acl(wire::GetAclRequest{"/au"}, bob_ctx);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->acl, (wire::AclList{Acl{perms::kAll, Id{"digest", "bob:h"}}}));
  EXPECT_EQ(d.create("/bad", "", 0, local, {Acl{perms::kAll, Id{"digest", "nocolon"}}}).err,
            ErrorCode::kInvalidAcl);
  EXPECT_EQ(d.create("/bad", "", 0, local, {Acl{perms::kAll, Id{"ip", "1.2.3.x"}}}).err,
            ErrorCode::kInvalidAcl);
  EXPECT_EQ(d.create("/bad", "", 0, local, {}).err, ErrorCode::kInvalidAcl);
  EXPECT_EQ(d.create("/bad", "", 0, local, {Acl{perms::kAll, Id{"foo", "bar"}}}).err,
            ErrorCode::kInvalidAcl);
}

TEST(DataTreeTest, AclCacheSharesLists) {
  DataTree tree;
  Driver d(tree);
  size_t base = tree.acl_cache_size();
  for (int i = 0; i < 50; ++i)
    d.create("/n" + std::to_string(i));
  EXPECT_EQ(tree.acl_cache_size(), base);  // all share open_acl_unsafe with "/"
  wire::AclList custom = {Acl{perms::kRead, Id{"ip", "1.2.3.4"}}};
  d.create("/c1", "", 0, ctx_for(), custom);
  d.create("/c2", "", 0, ctx_for(), custom);
  EXPECT_EQ(tree.acl_cache_size(), base + 1);
  d.remove("/c1");
  EXPECT_EQ(tree.acl_cache_size(), base + 1);
  d.remove("/c2");
  EXPECT_EQ(tree.acl_cache_size(), base);
}

// ---- multi ----

TEST(DataTreeTest, MultiSuccessSeesEarlierOps) {
  DataTree tree;
  Driver d(tree);
  wire::MultiRequest m;
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m", "a", wire::open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kCreate2, wire::CreateRequest{"/m/b", "", wire::open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kSetData, wire::SetDataRequest{"/m", "z", 0}});
  m.ops.push_back({OpCode::kCheck, wire::CheckVersionRequest{"/m", 1}});
  m.ops.push_back({OpCode::kDelete, wire::DeleteRequest{"/m/b", -1}});
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m/s-", "", wire::open_acl_unsafe(), 2}});
  auto r = d.write(OpCode::kMulti, m, ctx_for());
  ASSERT_EQ(r.err, ErrorCode::kOk);
  ASSERT_EQ(r.multi_results.size(), 6u);
  EXPECT_EQ(r.multi_results[0].type, OpCode::kCreate);
  EXPECT_EQ(r.multi_results[0].path, "/m");
  EXPECT_EQ(r.multi_results[1].type, OpCode::kCreate2);
  EXPECT_EQ(r.multi_results[1].path, "/m/b");
  EXPECT_EQ(r.multi_results[2].type, OpCode::kSetData);
  // As on ZooKeeper 3.8: the setData stat shows the child created earlier in the multi.
  EXPECT_EQ(r.multi_results[2].stat.version, 1);
  EXPECT_EQ(r.multi_results[2].stat.num_children, 1);
  EXPECT_EQ(r.multi_results[2].stat.cversion, 1);
  EXPECT_EQ(r.multi_results[3].type, OpCode::kCheck);
  EXPECT_EQ(r.multi_results[4].type, OpCode::kDelete);
  EXPECT_EQ(r.multi_results[5].path, "/m/s-0000000001");
  auto stat = tree.stat_of("/m");
  EXPECT_EQ(stat->czxid, d.zxid());
  EXPECT_EQ(stat->mzxid, d.zxid());
  EXPECT_EQ(stat->cversion, 3);
}

TEST(DataTreeTest, MultiFailureChangesNothing) {
  DataTree tree;
  Driver d(tree);
  uint64_t before = tree.digest();
  wire::MultiRequest m;
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m1", "a", wire::open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m1/b", "", wire::open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m1/b", "", wire::open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kSetData, wire::SetDataRequest{"/m1", "z", -1}});
  m.ops.push_back({OpCode::kCheck, wire::CheckVersionRequest{"/m1", 0}});
  auto r = d.write(OpCode::kMulti, m, ctx_for());
  EXPECT_EQ(r.err, ErrorCode::kNodeExists);
  // Verified with kazoo on ZooKeeper 3.8: [0, 0, NodeExists, -2, -2].
  std::vector<int32_t> errs;
  for (const auto& res : r.multi_results) {
    EXPECT_EQ(res.type, OpCode::kError);
    errs.push_back(res.err);
  }
  EXPECT_EQ(errs, (std::vector<int32_t>{0, 0, -110, -2, -2}));
  EXPECT_FALSE(tree.stat_of("/m1"));
  EXPECT_EQ(tree.digest(), before);
  EXPECT_EQ(tree.last_applied_zxid(), d.zxid());
  EXPECT_TRUE(r.events.empty());
  // The failed multi is logged as a multi of errors.
  EXPECT_EQ(d.log().back().header.type, OpCode::kMulti);

  // A read op inside a write multi makes the whole request malformed.
  wire::MultiRequest bad;
  bad.ops.push_back({OpCode::kGetData, wire::GetDataRequest{"/", false}});
  EXPECT_EQ(d.write(OpCode::kMulti, bad, ctx_for()).err, ErrorCode::kMarshallingError);
}

TEST(DataTreeTest, MultiRead) {
  DataTree tree;
  Driver d(tree);
  d.create("/r", "data");
  d.create("/r/c");
  wire::MultiRequest m;
  m.ops.push_back({OpCode::kGetData, wire::GetDataRequest{"/r", true}});
  m.ops.push_back({OpCode::kGetChildren, wire::GetChildrenRequest{"/r", false}});
  m.ops.push_back({OpCode::kGetData, wire::GetDataRequest{"/none", false}});
  auto res = tree.multi_read(m, ctx_for(), 5);
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].type, OpCode::kGetData);
  EXPECT_EQ(res[0].data, "data");
  EXPECT_EQ(res[1].children, (std::vector<std::string>{"c"}));
  EXPECT_EQ(res[2].type, OpCode::kError);
  EXPECT_EQ(res[2].err, to_int(ErrorCode::kNoNode));
  EXPECT_EQ(tree.watches().check_watches("/r", wire::WatcherType::kData, 5), ErrorCode::kOk);
}

// ---- watches through the tree ----

TEST(DataTreeTest, WatchTriggers) {
  DataTree tree;
  Driver d(tree);
  auto ctx = ctx_for();
  using E = wire::EventType;
  // exists on a missing node sets a watch; getData on a missing node does not.
  EXPECT_EQ(tree.exists(wire::ExistsRequest{"/a", true}, ctx, 1).code(), ErrorCode::kNoNode);
  EXPECT_EQ(tree.get_data(wire::GetDataRequest{"/a", true}, ctx, 2).code(), ErrorCode::kNoNode);
  ASSERT_TRUE(tree.get_children(wire::GetChildrenRequest{"/", true}, ctx, 3).ok());
  ASSERT_TRUE(
      tree.add_watch(wire::AddWatchRequest{"/", wire::kAddWatchPersistentRecursive}, 4).ok());
  auto r = d.create("/a");
  EXPECT_EQ(events_of(r), (std::vector<std::tuple<WatcherId, int32_t, std::string>>{
                              {1, ev(E::kNodeCreated), "/a"},
                              {4, ev(E::kNodeCreated), "/a"},
                              {3, ev(E::kNodeChildrenChanged), "/"}}));
  EXPECT_EQ(r.events[0].zxid, d.zxid());

  ASSERT_TRUE(tree.get_data(wire::GetDataRequest{"/a", true}, ctx, 1).ok());
  ASSERT_TRUE(tree.exists(wire::ExistsRequest{"/a", true}, ctx, 2).ok());
  ASSERT_TRUE(tree.get_children(wire::GetChildrenRequest{"/a", true}, ctx, 2).ok());
  r = d.set("/a", "x");
  EXPECT_EQ(events_of(r), (std::vector<std::tuple<WatcherId, int32_t, std::string>>{
                              {1, ev(E::kNodeDataChanged), "/a"},
                              {2, ev(E::kNodeDataChanged), "/a"},
                              {4, ev(E::kNodeDataChanged), "/a"}}));
  // setACL fires nothing.
  r = d.write(OpCode::kSetAcl, wire::SetAclRequest{"/a", wire::open_acl_unsafe(), -1}, ctx);
  EXPECT_TRUE(r.events.empty());

  ASSERT_TRUE(tree.get_data(wire::GetDataRequest{"/a", true}, ctx, 1).ok());
  ASSERT_TRUE(tree.get_children(wire::GetChildrenRequest{"/", true}, ctx, 3).ok());
  ASSERT_TRUE(tree.add_watch(wire::AddWatchRequest{"/a", wire::kAddWatchPersistent}, 5).ok());
  r = d.remove("/a");
  // Watcher 2 holds a child watch on /a: NodeDeleted too; 5 (persistent) once though it sits
  // in both tables.
  EXPECT_EQ(events_of(r), (std::vector<std::tuple<WatcherId, int32_t, std::string>>{
                              {1, ev(E::kNodeDeleted), "/a"},
                              {4, ev(E::kNodeDeleted), "/a"},
                              {5, ev(E::kNodeDeleted), "/a"},
                              {2, ev(E::kNodeDeleted), "/a"},
                              {3, ev(E::kNodeChildrenChanged), "/"}}));
  // Persistent watches stay: recreating /a fires 4 and 5 again.
  r = d.create("/a");
  EXPECT_EQ(events_of(r), (std::vector<std::tuple<WatcherId, int32_t, std::string>>{
                              {4, ev(E::kNodeCreated), "/a"}, {5, ev(E::kNodeCreated), "/a"}}));
  r = d.create("/a/b");
  EXPECT_EQ(events_of(r),
            (std::vector<std::tuple<WatcherId, int32_t, std::string>>{
                {4, ev(E::kNodeCreated), "/a/b"}, {5, ev(E::kNodeChildrenChanged), "/a"}}));
  tree.watches().remove_watcher(4);
  tree.watches().remove_watcher(5);
  EXPECT_TRUE(d.set("/a/b", "x").events.empty());
}

TEST(DataTreeTest, FailedWritesFireNothing) {
  DataTree tree;
  Driver d(tree);
  d.create("/a");
  ASSERT_TRUE(tree.get_data(wire::GetDataRequest{"/a", true}, ctx_for(), 1).ok());
  EXPECT_TRUE(d.set("/a", "x", 9).events.empty());
  EXPECT_EQ(d.set("/a", "x").events.size(), 1u);
}

TEST(DataTreeTest, SetWatchesRelativeZxidRules) {
  DataTree tree;
  Driver d(tree);
  d.create("/old");
  d.create("/kids");
  Zxid seen = d.zxid();
  d.create("/new");
  d.set("/old", "x");
  d.create("/kids/k");
  d.create("/quiet");
  Zxid seen2 = d.zxid();
  using E = wire::EventType;
  wire::SetWatches2 sw;
  sw.relative_zxid = seen;
  sw.data_watches = {"/old", "/gone", "/quiet"};
  sw.exist_watches = {"/new", "/absent"};
  sw.child_watches = {"/kids", "/gone", "/"};
  sw.persistent_watches = {"/p"};
  sw.persistent_recursive_watches = {"/r"};
  sw.relative_zxid = seen;
  auto fired = tree.set_watches(sw, 7);
  std::vector<std::pair<int32_t, std::string>> got;
  for (const auto& f : fired) {
    EXPECT_EQ(f.watcher, 7u);
    got.emplace_back(f.event.type, f.event.path);
  }
  EXPECT_EQ(got, (std::vector<std::pair<int32_t, std::string>>{
                     {ev(E::kNodeDataChanged), "/old"},
                     {ev(E::kNodeDeleted), "/gone"},
                     {ev(E::kNodeDataChanged), "/quiet"},  // created after `seen`
                     {ev(E::kNodeCreated), "/new"},
                     {ev(E::kNodeChildrenChanged), "/kids"},
                     {ev(E::kNodeDeleted), "/gone"},
                     {ev(E::kNodeChildrenChanged), "/"}}));
  auto& w = tree.watches();
  EXPECT_EQ(w.check_watches("/absent", wire::WatcherType::kData, 7), ErrorCode::kOk);
  EXPECT_EQ(w.check_watches("/p", wire::WatcherType::kPersistent, 7), ErrorCode::kOk);
  EXPECT_EQ(w.check_watches("/r", wire::WatcherType::kPersistentRecursive, 7), ErrorCode::kOk);
  EXPECT_EQ(w.check_watches("/old", wire::WatcherType::kData, 7), ErrorCode::kNoWatcher);

  wire::SetWatches2 quiet;
  quiet.relative_zxid = seen2;
  quiet.data_watches = {"/quiet"};
  quiet.child_watches = {"/kids"};
  EXPECT_TRUE(tree.set_watches(quiet, 8).empty());
  EXPECT_EQ(w.check_watches("/quiet", wire::WatcherType::kData, 8), ErrorCode::kOk);
  EXPECT_EQ(w.check_watches("/kids", wire::WatcherType::kChildren, 8), ErrorCode::kOk);
}

TEST(DataTreeTest, RemoveWatchesNoWatcher) {
  DataTree tree;
  Driver d(tree);
  d.create("/a");
  EXPECT_EQ(tree.watches().remove_watches("/a", wire::WatcherType::kData, 1),
            ErrorCode::kNoWatcher);
  ASSERT_TRUE(tree.get_data(wire::GetDataRequest{"/a", true}, ctx_for(), 1).ok());
  EXPECT_EQ(tree.watches().remove_watches("/a", wire::WatcherType::kChildren, 1),
            ErrorCode::kNoWatcher);
  EXPECT_EQ(tree.watches().remove_watches("/a", wire::WatcherType::kData, 1), ErrorCode::kOk);
  EXPECT_TRUE(d.set("/a", "x").events.empty());
}

// ---- counts ----

TEST(DataTreeTest, CountsAndSizes) {
  DataTree tree;
  Driver d(tree);
  int64_t base = tree.approximate_data_size();
  EXPECT_EQ(base, static_cast<int64_t>(
                      std::string("//zookeeper/zookeeper/quota/zookeeper/config").size()));
  d.create("/a", "12345");
  d.create("/a/b");
  d.create("/a/b/c");
  EXPECT_EQ(tree.approximate_data_size(), base + 2 + 5 + 4 + 6);
  EXPECT_EQ(tree.node_count(), 7u);
  EXPECT_EQ(*tree.get_all_children_number("/a", ctx_for()), 2);
  EXPECT_EQ(*tree.get_all_children_number("/", ctx_for()), 6);
  EXPECT_EQ(*tree.get_all_children_number("/zookeeper", ctx_for()), 2);
  EXPECT_EQ(tree.get_all_children_number("/x", ctx_for()).code(), ErrorCode::kNoNode);
  d.set("/a", "1");
  EXPECT_EQ(tree.approximate_data_size(), base + 2 + 1 + 4 + 6);
}

// ---- determinism and the digest ----

TEST(DataTreeTest, ReplayIsDeterministic) {
  DataTree tree;
  Driver d(tree);
  d.open_session(kSession);
  d.create("/a", "x");
  d.create("/a/s-", "", create_mode::kPersistentSequential);
  d.create("/e", "", create_mode::kEphemeral);
  d.set("/a", "yy");
  d.write(OpCode::kSetAcl, wire::SetAclRequest{"/a", wire::read_acl_unsafe(), -1}, ctx_for());
  d.create("/a", "dup");  // fails, still logged
  wire::MultiRequest m;
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m", "", wire::open_acl_unsafe(), 0}});
  m.ops.push_back({OpCode::kCreate, wire::CreateRequest{"/m/x", "", wire::open_acl_unsafe(), 0}});
  d.write(OpCode::kMulti, m, ctx_for());
  d.close_session(kSession);

  DataTree replay;
  std::vector<ApplyResult> results;
  for (const auto& txn : d.log()) {
    auto decoded = decode_txn(encode_txn(txn));
    ASSERT_TRUE(decoded.ok());
    results.push_back(replay.apply(*decoded));
  }
  EXPECT_EQ(replay.digest(), tree.digest());
  EXPECT_EQ(replay.last_applied_zxid(), tree.last_applied_zxid());
  EXPECT_EQ(replay.serialize_snapshot(), tree.serialize_snapshot());
  EXPECT_EQ(results[6].err, ErrorCode::kNodeExists);
}

TEST(DataTreeTest, DigestTracksContent) {
  DataTree a;
  DataTree b;
  EXPECT_EQ(a.digest(), b.digest());
  Driver da(a);
  Driver db(b);
  da.create("/x", "1");
  EXPECT_NE(a.digest(), b.digest());
  db.create("/x", "1");
  EXPECT_EQ(a.digest(), b.digest());
  da.set("/x", "2");
  db.set("/x", "3");
  EXPECT_NE(a.digest(), b.digest());
  // Create then delete returns to a digest that reflects the parent's new cversion/pzxid only.
  DataTree c;
  uint64_t empty = c.digest();
  Driver dc(c);
  dc.create("/t");
  dc.remove("/t");
  EXPECT_NE(c.digest(), empty);
}

}  // namespace
}  // namespace conclave::datatree
