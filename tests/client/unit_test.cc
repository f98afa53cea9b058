// Client pieces that need no server: connect strings, path rules, the chroot, the watch
// table's ZKWatchManager rules, and a handle that cannot reach any server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <vector>

#include "client/client.h"
#include "client/connect_string.h"
#include "client/paths.h"
#include "client/watch_registry.h"
#include "common/asio.h"

namespace conclave::client {
namespace {

using namespace std::chrono_literals;
using wire::EventType;

TEST(ConnectString, HostsPortsAndChroot) {
  auto cs = parse_connect_string("a:1,b:2,[::1]:3,c/app/x");
  ASSERT_TRUE(cs.ok()) << cs.error().to_string();
  EXPECT_EQ(cs->hosts, (std::vector<HostPort>{{"a", 1}, {"b", 2}, {"::1", 3}, {"c", 2181}}));
  EXPECT_EQ(cs->chroot, "/app/x");
  EXPECT_EQ(parse_connect_string("a:1/")->chroot, "");
  EXPECT_EQ(parse_connect_string("").code(), ErrorCode::kBadArguments);
  EXPECT_EQ(parse_connect_string("a:x").code(), ErrorCode::kBadArguments);
  EXPECT_EQ(parse_connect_string("a:70000").code(), ErrorCode::kBadArguments);
  EXPECT_EQ(parse_connect_string("a:1/app/").code(), ErrorCode::kBadArguments);
  EXPECT_EQ(parse_connect_string("/app").code(), ErrorCode::kBadArguments);
}

TEST(HostList, ShuffledRoundRobinWithRounds) {
  HostList h({{"a", 1}, {"b", 1}, {"c", 1}}, 42);
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(h.round_complete());
    seen.insert(h.next().host);
  }
  EXPECT_TRUE(h.round_complete());
  EXPECT_EQ(seen.size(), 3u);
  h.on_connected();
  EXPECT_FALSE(h.round_complete());
}

TEST(Paths, Validation) {
  for (const char* ok : {"/", "/a", "/a/b", "/a.b", "/..a"}) {
    EXPECT_TRUE(validate_path(ok, false).ok()) << ok;
  }
  for (const char* bad : {"", "a", "/a/", "//", "/a//b", "/a/./b", "/a/..", "/a\x01"}) {
    EXPECT_EQ(validate_path(bad, false).code(), ErrorCode::kBadArguments) << bad;
  }
  EXPECT_TRUE(validate_path("/a/", true).ok());  // sequential: the server adds the suffix
}

TEST(Paths, Chroot) {
  Chroot none;
  EXPECT_EQ(none.prepend("/a"), "/a");
  EXPECT_EQ(none.strip("/a"), "/a");
  Chroot c("/app");
  EXPECT_EQ(c.prepend("/"), "/app");
  EXPECT_EQ(c.prepend("/a"), "/app/a");
  EXPECT_EQ(c.strip("/app"), "/");
  EXPECT_EQ(c.strip("/app/a/b"), "/a/b");
  EXPECT_EQ(c.strip("/apple"), "/apple");
}

struct Fired {
  std::vector<std::string> names;
  Watcher make(std::string name) {
    return Watcher([this, name](const WatchedEvent&) { names.push_back(name); });
  }
};

std::vector<const void*> ids(const std::vector<Watcher>& ws) {
  std::vector<const void*> out;
  for (const auto& w : ws)
    out.push_back(w.identity());
  return out;
}

TEST(WatchRegistry, OneShotAndDedup) {
  using Kind = WatchRegistry::Kind;
  Fired f;
  Watcher a = f.make("a"), b = f.make("b");
  WatchRegistry r;
  r.add(Kind::kData, "/n", a);
  r.add(Kind::kExist, "/n", a);  // the same watcher: one firing
  r.add(Kind::kData, "/n", b);
  r.add(Kind::kChild, "/n", b);
  EXPECT_EQ(ids(r.take_for_event(EventType::kNodeDataChanged, "/n")),
            (std::vector<const void*>{a.identity(), b.identity()}));
  EXPECT_TRUE(r.take_for_event(EventType::kNodeDataChanged, "/n").empty());
  EXPECT_EQ(r.paths(Kind::kChild), std::vector<std::string>{"/n"});
  EXPECT_EQ(ids(r.take_for_event(EventType::kNodeDeleted, "/n")),
            std::vector<const void*>{b.identity()});
  EXPECT_TRUE(r.empty());
}

TEST(WatchRegistry, PersistentAndRecursive) {
  using Kind = WatchRegistry::Kind;
  Fired f;
  Watcher p = f.make("p"), rec = f.make("r");
  WatchRegistry r;
  r.add(Kind::kPersistent, "/a", p);
  r.add(Kind::kPersistentRecursive, "/", rec);
  EXPECT_EQ(r.take_for_event(EventType::kNodeDataChanged, "/a").size(), 2u);
  EXPECT_EQ(r.take_for_event(EventType::kNodeDataChanged, "/a").size(), 2u);  // stays
  EXPECT_EQ(ids(r.take_for_event(EventType::kNodeChildrenChanged, "/a")),
            std::vector<const void*>{p.identity()});  // recursive: never children-changed
  EXPECT_EQ(ids(r.take_for_event(EventType::kNodeCreated, "/a/b/c")),
            std::vector<const void*>{rec.identity()});
  auto removed = r.remove("/a", WatcherType::kPersistent);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].second, EventType::kPersistentWatchRemoved);
  EXPECT_EQ(r.remove("/", WatcherType::kAny).size(), 1u);
  EXPECT_TRUE(r.empty());
}

// A port nobody listens on: bind, take the port, close.
uint16_t dead_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

TEST(ClientWithoutServer, DeadlineCloseAndRefusal) {
  ClientOptions o;
  o.reconnect_backoff_max_ms = 50;
  std::vector<SessionState> states;
  auto c = Client::connect("127.0.0.1:" + std::to_string(dead_port()), o);
  ASSERT_TRUE(c.ok());
  Client& zk = **c;
  EXPECT_EQ(zk.wait_connected(100ms).code(), ErrorCode::kOperationTimeout);
  EXPECT_EQ(zk.state(), SessionState::kConnecting);
  // Queued while disconnected, failed at its deadline.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(zk.get_data("/a", {}, 200ms).get().code(), ErrorCode::kOperationTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  // Refused client-side without a round trip.
  EXPECT_EQ(zk.get_data("bad").get().code(), ErrorCode::kBadArguments);
  // Pending calls fail with ConnectionLoss on close; later calls fail at once.
  auto pending = zk.exists("/a");
  zk.close();
  EXPECT_EQ(pending.get().code(), ErrorCode::kConnectionLoss);
  EXPECT_EQ(zk.state(), SessionState::kClosed);
  auto after = zk.create("/x");
  ASSERT_EQ(after.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(after.get().code(), ErrorCode::kConnectionLoss);
  zk.close();  // idempotent
}

TEST(ClientWithoutServer, BadOptions) {
  EXPECT_EQ(Client::connect("h:1,").code(), ErrorCode::kOk);
  ClientOptions o;
  o.session_id = 5;
  EXPECT_EQ(Client::connect("h:1", o).code(), ErrorCode::kBadArguments);
  EXPECT_EQ(Client::connect("h:1/bad/").code(), ErrorCode::kBadArguments);
}

TEST(ClientWithoutServer, CloseFromACallback) {
  auto c = Client::connect("127.0.0.1:" + std::to_string(dead_port()));
  ASSERT_TRUE(c.ok());
  std::shared_ptr<Client> zk(std::move(c.value()));
  std::promise<void> closed;
  zk->get_data("bad", {}, [zk, &closed](Result<DataResult>) {
    zk->close();  // on the callback thread: must not join itself
    closed.set_value();
  });
  ASSERT_EQ(closed.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(zk->state(), SessionState::kClosed);
}

// A server that takes the connection and never answers the ConnectRequest (as Apache
// ZooKeeper 3.8.0 does with a connection that arrives while it starts up, ZOOKEEPER-5051):
// with one host the handle gives up after 2/3 of the session timeout, not the whole of it,
// and tries again, so a session could still be re-attached in the last third.
TEST(ClientWithoutServer, SilentServerIsLeftAfterTwoThirdsOfTheSessionTimeout) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<asio::ip::tcp::socket> accepted;  // kept open, never read
  std::vector<std::chrono::steady_clock::time_point> accepted_at;
  std::function<void()> accept_next = [&] {
    acceptor.async_accept([&](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;
      accepted_at.push_back(std::chrono::steady_clock::now());
      accepted.push_back(std::move(s));
      if (accepted_at.size() < 2) accept_next();
    });
  };
  accept_next();
  ClientOptions o;
  o.session_timeout_ms = 3'000;
  auto c = Client::connect("127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()), o);
  ASSERT_TRUE(c.ok());
  io.run_for(10s);  // returns once the second connection is in
  ASSERT_EQ(accepted_at.size(), 2u);
  const auto gap = accepted_at[1] - accepted_at[0];
  EXPECT_GE(gap, 1'900ms);  // 2/3 of 3 s, less scheduling slack
  EXPECT_LT(gap, 3'000ms);  // before the whole session timeout
  (*c)->close();
}

}  // namespace
}  // namespace conclave::client
