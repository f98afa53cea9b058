// Every operation against a real server, the same expectations for Conclave and ZooKeeper.
#include <set>

#include "tests/client/test_env.h"

namespace conclave::client::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class OpsTest : public ServerTest {};

TEST_F(OpsTest, CreateEachMode) {
  auto p = sync_->create(path("/p"), "d");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->path, path("/p"));
  EXPECT_EQ(p->stat.ephemeral_owner, 0);
  EXPECT_EQ(p->stat.data_length, 1);

  auto e = sync_->create(path("/e"), "", {.mode = CreateMode::kEphemeral});
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->stat.ephemeral_owner, client_->session_id());

  auto ps = sync_->create(path("/ps-"), "", {.mode = CreateMode::kPersistentSequential});
  ASSERT_TRUE(ps.ok()) << ps.error().to_string();
  EXPECT_EQ(ps->path, path("/ps-0000000002"));  // the parent's cversion before the create

  auto es = sync_->create(path("/es-"), "", {.mode = CreateMode::kEphemeralSequential});
  ASSERT_TRUE(es.ok()) << es.error().to_string();
  EXPECT_EQ(es->path, path("/es-0000000003"));
  EXPECT_EQ(es->stat.ephemeral_owner, client_->session_id());

  auto c = sync_->create(path("/c"), "", {.mode = CreateMode::kContainer});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  // Clients never see the container and TTL markers in ephemeralOwner: ZooKeeper's
  // DataNode.copyStat reports 0 for them (getClientEphemeralOwner), and so does Conclave.
  EXPECT_EQ(c->stat.ephemeral_owner, 0);
  EXPECT_EQ(sync_->exists(path("/c"))->value().ephemeral_owner, 0);

  auto t = sync_->create(path("/t"), "", {.mode = CreateMode::kPersistentWithTtl, .ttl_ms = 60000});
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->stat.ephemeral_owner, 0);

  auto ts = sync_->create(path("/ts-"), "",
                          {.mode = CreateMode::kPersistentSequentialWithTtl, .ttl_ms = 60000});
  ASSERT_TRUE(ts.ok()) << ts.error().to_string();
  EXPECT_EQ(ts->path, path("/ts-0000000006"));

  // Client-side refusals.
  EXPECT_EQ(sync_->create(path("/x"), "", {.mode = CreateMode::kPersistentWithTtl}).code(),
            ErrorCode::kBadArguments);
  EXPECT_EQ(sync_->create(path("/x"), "", {.ttl_ms = 5}).code(), ErrorCode::kBadArguments);
  EXPECT_EQ(sync_->create("no-slash").code(), ErrorCode::kBadArguments);
  EXPECT_EQ(sync_->create(path("/a//b")).code(), ErrorCode::kBadArguments);

  // Server-side refusals.
  EXPECT_EQ(sync_->create(path("/p")).code(), ErrorCode::kNodeExists);
  EXPECT_EQ(sync_->create(path("/none/x")).code(), ErrorCode::kNoNode);
  EXPECT_EQ(sync_->create(path("/e/x")).code(), ErrorCode::kNoChildrenForEphemerals);
  auto err = sync_->create(path("/p"));
  EXPECT_EQ(err.error().to_string(), "Node already exists: " + path("/p"));
}

TEST_F(OpsTest, GetSetExistsDelete) {
  ASSERT_TRUE(sync_->create(path("/n"), "v0").ok());
  auto g = sync_->get_data(path("/n"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->data, "v0");
  EXPECT_EQ(g->stat.version, 0);

  auto s = sync_->set_data(path("/n"), "v1", 0);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->version, 1);
  EXPECT_EQ(sync_->set_data(path("/n"), "v2", 0).code(), ErrorCode::kBadVersion);
  EXPECT_EQ(sync_->set_data(path("/missing"), "v").code(), ErrorCode::kNoNode);
  EXPECT_EQ(sync_->get_data(path("/n"))->data, "v1");

  auto ex = sync_->exists(path("/n"));
  ASSERT_TRUE(ex.ok());
  ASSERT_TRUE(ex->has_value());
  EXPECT_EQ((*ex)->version, 1);
  auto missing = sync_->exists(path("/missing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(sync_->get_data(path("/missing")).code(), ErrorCode::kNoNode);

  ASSERT_TRUE(sync_->create(path("/n/kid")).ok());
  EXPECT_EQ(sync_->remove(path("/n")).code(), ErrorCode::kNotEmpty);
  EXPECT_EQ(sync_->remove(path("/n/kid"), 7).code(), ErrorCode::kBadVersion);
  EXPECT_TRUE(sync_->remove(path("/n/kid"), 0).ok());
  EXPECT_TRUE(sync_->remove(path("/n")).ok());
  EXPECT_EQ(sync_->remove(path("/n")).code(), ErrorCode::kNoNode);
}

TEST_F(OpsTest, ChildrenCountsEphemerals) {
  ASSERT_TRUE(sync_->create(path("/a")).ok());
  ASSERT_TRUE(sync_->create(path("/a/x")).ok());
  ASSERT_TRUE(sync_->create(path("/a/x/deep")).ok());
  ASSERT_TRUE(sync_->create(path("/b"), "", {.mode = CreateMode::kEphemeral}).ok());
  auto kids = sync_->get_children(base());
  ASSERT_TRUE(kids.ok());
  EXPECT_THAT(kids->children, UnorderedElementsAre("a", "b"));
  EXPECT_EQ(kids->stat.num_children, 2);
  EXPECT_EQ(sync_->get_children(path("/zz")).code(), ErrorCode::kNoNode);

  auto n = sync_->get_all_children_number(base());
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, 4);

  auto eph = sync_->get_ephemerals(base());
  ASSERT_TRUE(eph.ok()) << eph.error().to_string();
  EXPECT_THAT(*eph, ElementsAre(path("/b")));
}

TEST_F(OpsTest, AclAndAuth) {
  ASSERT_TRUE(sync_->create(path("/n")).ok());
  auto acl = sync_->get_acl(path("/n"));
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->acl, wire::open_acl_unsafe());
  EXPECT_EQ(acl->stat.aversion, 0);

  EXPECT_EQ(sync_->set_acl(path("/n"), wire::open_acl_unsafe(), 3).code(), ErrorCode::kBadVersion);
  auto set = sync_->set_acl(path("/n"), wire::read_acl_unsafe(), 0);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(set->aversion, 1);
  EXPECT_EQ(sync_->set_data(path("/n"), "x").code(), ErrorCode::kNoAuth);

  // digest auth: the creator's ACL is reachable only with the same credentials.
  ASSERT_TRUE(sync_->add_auth("digest", "alice:secret").ok());
  wire::AclList creator{{wire::perms::kAll, {"auth", ""}}};
  ASSERT_TRUE(sync_->create(path("/private"), "s", {.acl = creator}).ok());
  EXPECT_EQ(sync_->get_data(path("/private"))->data, "s");
  auto who = sync_->who_am_i();
  if (who.ok()) {
    bool alice = false;
    for (const auto& ci : *who)
      alice |= ci.auth_scheme == "digest" && ci.user == "alice";
    EXPECT_TRUE(alice);
  } else {
    EXPECT_EQ(who.code(), ErrorCode::kUnimplemented) << who.error().to_string();
  }

  auto other = connect();
  ASSERT_TRUE(other);
  SyncClient o(*other);
  EXPECT_EQ(o.get_data(path("/private")).code(), ErrorCode::kNoAuth);
  ASSERT_TRUE(o.add_auth("digest", "alice:secret").ok());
  EXPECT_EQ(o.get_data(path("/private"))->data, "s");
}

TEST_F(OpsTest, SyncAndCheck) {
  auto s = sync_->sync(base());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(*s, base());
  ASSERT_TRUE(sync_->create(path("/n")).ok());
  EXPECT_TRUE(sync_->check(path("/n"), 0).ok());
  EXPECT_EQ(sync_->check(path("/n"), 3).code(), ErrorCode::kBadVersion);
  EXPECT_EQ(sync_->check(path("/none"), 0).code(), ErrorCode::kNoNode);
}

TEST_F(OpsTest, MultiSuccess) {
  ASSERT_TRUE(sync_->create(path("/old")).ok());
  auto r = sync_->multi({op::create(path("/a"), "1"),
                         op::create(path("/s-"), "", {.mode = CreateMode::kPersistentSequential}),
                         op::set_data(path("/a"), "2", 0), op::check(path("/old"), 0),
                         op::remove(path("/old"))});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].type, wire::OpCode::kCreate);
  EXPECT_EQ((*r)[0].path, path("/a"));
  EXPECT_EQ((*r)[1].path.substr(0, path("/s-").size()), path("/s-"));
  EXPECT_EQ((*r)[2].type, wire::OpCode::kSetData);
  EXPECT_EQ((*r)[2].stat.version, 1);
  EXPECT_EQ((*r)[3].type, wire::OpCode::kCheck);
  EXPECT_EQ((*r)[4].type, wire::OpCode::kDelete);
  EXPECT_EQ(sync_->get_data(path("/a"))->data, "2");
  EXPECT_FALSE(sync_->exists(path("/old"))->has_value());
}

TEST_F(OpsTest, MultiFailureChangesNothing) {
  ASSERT_TRUE(sync_->create(path("/exists")).ok());
  auto r = sync_->multi(
      {op::create(path("/a")), op::create(path("/exists")), op::set_data(path("/exists"), "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kNodeExists);
  EXPECT_NE(r.error().detail.find("multi op 1"), std::string::npos) << r.error().detail;
  EXPECT_FALSE(sync_->exists(path("/a"))->has_value());
  EXPECT_EQ(sync_->get_data(path("/exists"))->stat.version, 0);

  EXPECT_EQ(sync_->multi({op::check(path("/exists"), 5)}).code(), ErrorCode::kBadVersion);
  // Reads are refused in multi, writes in multi_read, before anything is sent.
  EXPECT_EQ(sync_->multi({op::get_data(path("/exists"))}).code(), ErrorCode::kBadArguments);
  EXPECT_EQ(sync_->multi_read({op::remove(path("/exists"))}).code(), ErrorCode::kBadArguments);
}

TEST_F(OpsTest, MultiRead) {
  ASSERT_TRUE(sync_->create(path("/a"), "A").ok());
  ASSERT_TRUE(sync_->create(path("/a/k")).ok());
  auto r = sync_->multi_read(
      {op::get_data(path("/a")), op::get_children(path("/a")), op::get_data(path("/none"))});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].type, wire::OpCode::kGetData);
  EXPECT_EQ((*r)[0].data, "A");
  EXPECT_EQ((*r)[0].stat.num_children, 1);
  EXPECT_EQ((*r)[1].type, wire::OpCode::kGetChildren);
  EXPECT_THAT((*r)[1].children, ElementsAre("k"));
  EXPECT_EQ((*r)[2].type, wire::OpCode::kError);
  EXPECT_EQ((*r)[2].err, to_int(ErrorCode::kNoNode));
}

TEST_F(OpsTest, PipelinedCallsCompleteInOrder) {
  constexpr int kCalls = 500;
  std::mutex mu;
  std::vector<std::string> done;
  std::condition_variable cv;
  for (int i = 0; i < kCalls; ++i) {
    client_->create(path("/q-"), "", {.mode = CreateMode::kPersistentSequential},
                    [&](Result<CreateResult> r) {
                      std::lock_guard lock(mu);
                      done.push_back(r.ok() ? r->path : r.error().to_string());
                      cv.notify_all();
                    });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return done.size() == kCalls; }));
  for (int i = 0; i < kCalls; ++i) {
    char want[16];
    std::snprintf(want, sizeof want, "%010d", i);
    EXPECT_EQ(done[i], path("/q-") + want);
  }
}

TEST_F(OpsTest, Chroot) {
  ASSERT_TRUE(sync_->create(path("/app")).ok());
  auto rooted = connect(path("/app"));
  ASSERT_TRUE(rooted);
  EXPECT_EQ(rooted->chroot(), path("/app"));
  SyncClient r(*rooted);
  auto c = r.create("/x", "in");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->path, "/x");
  EXPECT_EQ(sync_->get_data(path("/app/x"))->data, "in");
  auto seq = r.create("/s-", "", {.mode = CreateMode::kEphemeralSequential});
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->path, "/s-0000000001");
  EXPECT_THAT(r.get_children("/")->children, UnorderedElementsAre("x", "s-0000000001"));
  EXPECT_THAT(*r.get_ephemerals("/"), ElementsAre("/s-0000000001"));
  EXPECT_EQ(*r.sync("/x"), "/x");
  auto m = r.multi({op::create("/m")});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].path, "/m");

  Recorder& rec = recorder();
  ASSERT_TRUE(r.exists("/x", rec.watcher()).ok());
  ASSERT_TRUE(sync_->set_data(path("/app/x"), "out").ok());
  EXPECT_TRUE(rec.wait_line(event_line(wire::EventType::kNodeDataChanged, "/x")));
}

TEST_F(OpsTest, AsyncCallbackForms) {
  std::promise<std::string> got;
  client_->create(path("/cb"), "v", {}, [&](Result<CreateResult> r) {
    got.set_value(r.ok() ? r->path : r.error().to_string());
  });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(f.get(), path("/cb"));

  std::promise<Status> removed;
  client_->remove(path("/cb"), -1, [&](Status s) { removed.set_value(s); });
  EXPECT_TRUE(removed.get_future().get().ok());

  // A blocking call inside a callback does not deadlock (completed from the I/O thread).
  std::promise<std::string> nested;
  client_->exists(base(), {}, [&](Result<std::optional<Stat>>) {
    auto inner = sync_->get_data(base());
    nested.set_value(inner.ok() ? "ok" : inner.error().to_string());
  });
  auto n = nested.get_future();
  ASSERT_EQ(n.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(n.get(), "ok");
}

}  // namespace
}  // namespace conclave::client::testing
