// recipes::ServiceRegistry, ServiceDiscovery and ServiceCache against a real server (Conclave
// or Apache ZooKeeper, same expectations): register and discover, the instance is an ephemeral
// node of the registering session, the cache follows adds, updates and removes (and a service
// node that appears later), registrations are written again after a reconnect when gone and on
// a new session after expiry, unreadable instance data is skipped, and a document in Curator's
// layout reads back as Curator wrote it.
#include <nlohmann/json.hpp>

#include "recipes/protected_node.h"
#include "recipes/service_cache.h"
#include "recipes/service_discovery.h"
#include "recipes/service_registry.h"
#include "tests/recipes/recipe_fixture.h"

namespace conclave::recipes::testing {
namespace {

using nlohmann::json;

class ServiceRegistryTest : public RecipeTest {
 protected:
  static ServiceInstance instance(const std::string& name, const std::string& id, int port) {
    return ServiceInstance{.name = name,
                           .id = id,
                           .address = "10.0.0.7",
                           .port = port,
                           .payload = {{"zone", "eu-1"}},
                           .uri_spec = "{scheme}://{address}:{port}"};
  }
  static std::vector<std::string> ids(const std::vector<ServiceInstance>& all) {
    std::vector<std::string> out;
    for (const auto& i : all)
      out.push_back(i.id);
    return out;
  }
  // Marks "changed" (etc.) into `rec` for each cache event.
  static void record(ServiceCache& cache, Recorder& rec) {
    cache.add_listener([&rec](CacheEvent e) { rec.mark(std::string(cache_event_name(e))); });
  }
  // Waits until the cache's instances satisfy `pred` (re-checked at each event).
  static bool wait_cache(Recorder& rec, ServiceCache& cache,
                         const std::function<bool(const std::vector<ServiceInstance>&)>& pred) {
    return rec.wait([&](const auto&) { return pred(cache.instances()); });
  }
  static void record(ServiceRegistry& registry, Recorder& rec) {
    registry.add_listener(
        [&rec](RegistryState s) { rec.mark(std::string(registry_state_name(s))); });
  }
};

TEST_F(ServiceRegistryTest, RegisterAndDiscover) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  ASSERT_TRUE(c1 && c2);
  const std::string base = path("/services");
  ServiceRegistry registry(*c1, base);
  EXPECT_EQ(registry.state(), RegistryState::kActive);
  ASSERT_TRUE(registry.register_instance(instance("orders", "o1", 8080)).ok());
  ASSERT_TRUE(registry.register_instance(instance("orders", "o2", 8081)).ok());
  ASSERT_TRUE(registry.register_instance(instance("payments", "p1", 9090)).ok());

  ServiceDiscovery discovery(*c2, base);
  auto names = discovery.query_names();
  ASSERT_TRUE(names.ok()) << names.error().to_string();
  EXPECT_EQ(*names, (std::vector<std::string>{"orders", "payments"}));
  auto found = discovery.query_instances("orders");
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  const auto mine = registry.registered();
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_GT(mine[0].registration_time_utc_ms, 0);  // set by the registry
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0], mine[0]);
  EXPECT_EQ((*found)[1], mine[1]);
  EXPECT_EQ(build_uri((*found)[1]).value(), "http://10.0.0.7:8081");
  auto one = discovery.query_instance("payments", "p1");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->port, 9090);
  auto none = discovery.query_instance("payments", "p9");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(discovery.query_instances("nothing").value().empty());
  EXPECT_EQ(discovery.malformed_count(), 0u);

  // The node: <base>/<name>/<id>, ephemeral, owned by the registering session, Curator's JSON.
  auto node = sync_->get_data(base + "/orders/o1");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->stat.ephemeral_owner, c1->client().session_id());
  const json doc = json::parse(node->data);
  EXPECT_EQ(doc["serviceType"], "DYNAMIC");
  EXPECT_EQ(doc["payload"]["zone"], "eu-1");

  ServiceInstance changed = instance("orders", "o1", 8080);
  changed.payload["zone"] = "eu-2";
  ASSERT_TRUE(registry.update_instance(changed).ok());
  EXPECT_EQ(discovery.query_instance("orders", "o1").value()->payload.at("zone"), "eu-2");
  EXPECT_EQ(registry.update_instance(instance("orders", "o9", 1)).code(), ErrorCode::kNoNode);
  EXPECT_EQ(registry.register_instance(instance("payments", "o1", 1)).code(),
            ErrorCode::kBadArguments);  // o1 is an orders instance here
  EXPECT_EQ(registry.register_instance(instance("a/b", "x", 1)).code(), ErrorCode::kBadArguments);

  ASSERT_TRUE(registry.unregister_instance("o2").ok());
  EXPECT_EQ(ids(discovery.query_instances("orders").value()), std::vector<std::string>{"o1"});
  EXPECT_EQ(registry.unregister_instance("o2").code(), ErrorCode::kNoNode);
  registry.close();
  EXPECT_EQ(registry.state(), RegistryState::kClosed);
  EXPECT_TRUE(discovery.query_instances("orders").value().empty());
  EXPECT_TRUE(discovery.query_instances("payments").value().empty());
}

TEST_F(ServiceRegistryTest, InstanceGoesWithItsSession) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  ASSERT_TRUE(c1 && c2);
  const std::string base = path("/services");
  ServiceRegistry registry(*c1, base);
  ASSERT_TRUE(registry.register_instance(instance("orders", "o1", 8080)).ok());
  ServiceDiscovery discovery(*c2, base);
  ASSERT_EQ(discovery.query_instances("orders").value().size(), 1u);
  c1->close();  // the session ends: the server deletes its ephemeral nodes
  EXPECT_TRUE(wait_children(*sync_, base + "/orders", 0));
  EXPECT_TRUE(discovery.query_instances("orders").value().empty());
  EXPECT_EQ(registry.state(), RegistryState::kLost);
}

TEST_F(ServiceRegistryTest, CacheFollowsAddsUpdatesAndRemoves) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  ASSERT_TRUE(c1 && c2);
  const std::string base = path("/services");
  Recorder& rec = recorder();
  // Started before the service has a node: it waits for the node to appear.
  ServiceCache cache(*c2, base, "orders");
  record(cache, rec);
  ASSERT_TRUE(cache.start().ok());
  EXPECT_TRUE(cache.instances().empty());
  EXPECT_EQ(cache.start().code(), ErrorCode::kApiError);  // once only

  ServiceRegistry registry(*c1, base);
  ASSERT_TRUE(registry.register_instance(instance("orders", "o1", 8080)).ok());
  ASSERT_TRUE(wait_cache(rec, cache, [](const auto& all) { return all.size() == 1; }));
  EXPECT_EQ(cache.instances()[0], registry.registered()[0]);
  ASSERT_TRUE(registry.register_instance(instance("orders", "o2", 8081)).ok());
  ASSERT_TRUE(registry.register_instance(instance("payments", "p1", 9090)).ok());  // not ours
  ASSERT_TRUE(wait_cache(rec, cache, [](const auto& all) { return all.size() == 2; }));

  ServiceInstance changed = instance("orders", "o1", 8080);
  changed.payload["zone"] = "eu-2";
  ASSERT_TRUE(registry.update_instance(changed).ok());
  ASSERT_TRUE(wait_cache(rec, cache, [](const auto& all) {
    return all.size() == 2 && all[0].payload.at("zone") == "eu-2";
  }));
  ASSERT_TRUE(registry.unregister_instance("o1").ok());
  ASSERT_TRUE(
      wait_cache(rec, cache, [](const auto& all) { return all.size() == 1 && all[0].id == "o2"; }));
  // The last instance leaves: the server may remove the service node (a container), and
  // the cache then waits for it to come back.
  ASSERT_TRUE(registry.unregister_instance("o2").ok());
  ASSERT_TRUE(wait_cache(rec, cache, [](const auto& all) { return all.empty(); }));
  ASSERT_TRUE(registry.register_instance(instance("orders", "o3", 8083)).ok());
  ASSERT_TRUE(
      wait_cache(rec, cache, [](const auto& all) { return all.size() == 1 && all[0].id == "o3"; }));
  // Each kChanged is a real change: add, add, update, remove, remove, add.
  EXPECT_EQ(rec.count("changed"), 6u);
  EXPECT_EQ(cache.malformed_count(), 0u);
}

TEST_F(ServiceRegistryTest, WrittenAgainAfterAReconnectWhenGone) {
  client::ClientOptions o = survives_restart();  // outlasts a server restart
  auto checker = open_connection(o);  // the fixture's 10 s session may not outlast a restart
  ASSERT_TRUE(checker);
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string base = path("/services");
  Recorder& states = recorder();
  ServiceRegistry registry(*conn, base);
  record(registry, states);
  ASSERT_TRUE(registry.register_instance(instance("orders", "kept", 8080)).ok());
  ASSERT_TRUE(registry.register_instance(instance("orders", "deleted", 8081)).ok());
  auto kept = checker->sync().exists(base + "/orders/kept");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  // Someone removes one registration; nothing notices until the next reconnect (Curator's
  // behaviour: registrations are written again on RECONNECTED).
  ASSERT_TRUE(checker->sync().remove(base + "/orders/deleted").ok());
  kill_server();
  ASSERT_TRUE(states.wait_line("suspended", 10s));
  EXPECT_EQ(registry.state(), RegistryState::kSuspended);
  start_server();
  ASSERT_TRUE(states.wait_line("active"));
  auto again = checker->sync().get_data(base + "/orders/deleted");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->stat.ephemeral_owner, conn->client().session_id());
  EXPECT_EQ(parse_instance(again->data).value(), registry.registered()[0]);  // "deleted" < "kept"
  // The other one, still there and current, was left alone (same creation).
  auto still = checker->sync().exists(base + "/orders/kept");
  ASSERT_TRUE(still.ok() && still->has_value());
  EXPECT_EQ((*still)->czxid, (**kept).czxid);
  EXPECT_EQ((*still)->mzxid, (**kept).mzxid);
  EXPECT_EQ(states.lines(), (std::vector<std::string>{"suspended", "active"}));
}

TEST_F(ServiceRegistryTest, WrittenOnANewSessionAfterExpiry) {
  client::ClientOptions o;
  o.session_timeout_ms = 2'000;
  auto old_conn = open_connection(o);
  ASSERT_TRUE(old_conn);
  std::unique_ptr<Connection> fresh;  // outlives the registry, which ends up on it
  const std::string base = path("/services");
  Recorder& states = recorder();
  ServiceRegistry registry(*old_conn, base);
  record(registry, states);
  ASSERT_TRUE(registry.register_instance(instance("orders", "o1", 8080)).ok());
  kill_server();
  // The client declares the session expired once the server was silent for its timeout.
  ASSERT_TRUE(states.wait_line("lost"));
  EXPECT_EQ(states.lines(), (std::vector<std::string>{"suspended", "lost"}));
  // Registered while lost: kept for the new session.
  EXPECT_EQ(registry.register_instance(instance("orders", "o2", 8081)).code(),
            ErrorCode::kSessionExpired);
  start_server();
  o = survives_restart();  // these outlast the server restart below
  fresh = open_connection(o);
  // The fixture's own session (10 s) may have expired while the server was down.
  auto checker = open_connection(o);
  ASSERT_TRUE(fresh && checker);
  // The old session's node may still be there (the restarted server expires that session
  // only after its timeout): it is replaced by the new session's.
  ASSERT_TRUE(registry.reattach(*fresh).ok());
  old_conn.reset();
  EXPECT_EQ(registry.state(), RegistryState::kActive);
  for (const char* id : {"o1", "o2"}) {
    auto node = checker->sync().get_data(base + "/orders/" + id);
    ASSERT_TRUE(node.ok()) << id << ": " << node.error().to_string();
    EXPECT_EQ(node->stat.ephemeral_owner, fresh->client().session_id()) << id;
  }
  ServiceDiscovery discovery(*fresh, base);
  EXPECT_EQ(ids(discovery.query_instances("orders").value()),
            (std::vector<std::string>{"o1", "o2"}));
  // And they are followed on the new connection: a reconnect re-checks them.
  ASSERT_TRUE(checker->sync().remove(base + "/orders/o1").ok());
  kill_server();
  start_server();
  ASSERT_TRUE(wait_children(checker->sync(), base + "/orders", 2));
}

TEST_F(ServiceRegistryTest, CloseWhileDisconnectedLeavesTheDeletesToTheConnection) {
  client::ClientOptions o =
      survives_restart();             // the session outlives the restart: its nodes must be deleted
  auto checker = open_connection(o);  // the fixture's 10 s session may not outlast a restart
  ASSERT_TRUE(checker);
  auto conn = open_connection(o);
  ASSERT_TRUE(conn);
  const std::string base = path("/services");
  Recorder& states = recorder();
  ServiceRegistry registry(*conn, base);
  record(registry, states);
  ASSERT_TRUE(registry.register_instance(instance("orders", "o1", 8080)).ok());
  ASSERT_TRUE(registry.register_instance(instance("orders", "o2", 8081)).ok());
  kill_server();
  ASSERT_TRUE(states.wait_line("suspended", 10s));
  // Not a wait for the reconnect per instance (up to the client's 30 s deadline each).
  const auto before = std::chrono::steady_clock::now();
  registry.close();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  EXPECT_TRUE(registry.registered().empty());
  start_server();
  // Deleted once the connection is back.
  EXPECT_TRUE(wait_children(checker->sync(), base + "/orders", 0));
}

TEST_F(ServiceRegistryTest, UnreadableInstancesAreSkippedAndCounted) {
  auto c1 = open_connection();
  auto c2 = open_connection();
  ASSERT_TRUE(c1 && c2);
  const std::string base = path("/services");
  ServiceRegistry registry(*c1, base);
  ASSERT_TRUE(registry.register_instance(instance("orders", "good", 8080)).ok());
  const std::string deep = R"({"name":"orders","id":"deep","payload":{"x":)" +
                           std::string(200'000, '[') + std::string(200'000, ']') + "}}";
  for (const auto& [id, data] : std::vector<std::pair<std::string, std::string>>{
           {"garbage", "not json at all"},
           {"types", R"({"name":"orders","id":"types","port":"eighty"})"},
           {"deep", deep},
           {"empty", ""},
       }) {
    ASSERT_TRUE(sync_->create(base + "/orders/" + id, data).ok()) << id;
  }
  ServiceDiscovery discovery(*c2, base);
  auto found = discovery.query_instances("orders");
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(ids(*found), std::vector<std::string>{"good"});
  EXPECT_EQ(discovery.malformed_count(), 4u);
  EXPECT_EQ(discovery.query_instance("orders", "garbage").code(), ErrorCode::kMarshallingError);

  Recorder& rec = recorder();
  ServiceCache cache(*c2, base, "orders");
  record(cache, rec);
  ASSERT_TRUE(cache.start().ok());
  EXPECT_EQ(ids(cache.instances()), std::vector<std::string>{"good"});
  EXPECT_EQ(cache.malformed_count(), 4u);
  // A bad node fixed in place is picked up; a good one broken in place is dropped.
  ASSERT_TRUE(
      sync_->set_data(base + "/orders/types", to_json(instance("orders", "types", 1))).ok());
  ASSERT_TRUE(wait_cache(rec, cache, [](const auto& all) { return all.size() == 2; }));
  ASSERT_TRUE(sync_->set_data(base + "/orders/good", "{broken").ok());
  ASSERT_TRUE(wait_cache(rec, cache,
                         [](const auto& all) { return all.size() == 1 && all[0].id == "types"; }));
  EXPECT_EQ(cache.malformed_count(), 5u);
  for (const char* id : {"garbage", "types", "deep", "empty"})
    ASSERT_TRUE(sync_->remove(base + "/orders/" + id).ok());
}

TEST_F(ServiceRegistryTest, CuratorsDocumentRoundTrips) {
  // What a Curator 5 client (JsonInstanceSerializer, a Map payload) stores for an instance.
  const std::string curator = R"({"name":"orders","id":"c7","address":"10.0.0.9","port":8080,)"
                              R"("sslPort":8443,"payload":{"@class":"java.util.LinkedHashMap",)"
                              R"("zone":"eu-1"},"registrationTimeUTC":1325129459728,)"
                              R"("serviceType":"DYNAMIC","uriSpec":{"parts":[)"
                              R"({"value":"scheme","variable":true},)"
                              R"({"value":"://","variable":false},)"
                              R"({"value":"address","variable":true},)"
                              R"({"value":":","variable":false},)"
                              R"({"value":"ssl-port","variable":true}]},"enabled":true})";
  auto curator_conn = open_connection();
  auto conn = open_connection();
  ASSERT_TRUE(curator_conn && conn);
  const std::string base = path("/services");
  ASSERT_TRUE(ensure_containers(curator_conn->sync(), base + "/orders").ok());
  ASSERT_TRUE(curator_conn->sync()
                  .create(base + "/orders/c7", curator, {.mode = client::CreateMode::kEphemeral})
                  .ok());
  ServiceDiscovery discovery(*conn, base);
  auto found = discovery.query_instance("orders", "c7");
  ASSERT_TRUE(found.ok() && found->has_value());
  const ServiceInstance& c7 = **found;
  EXPECT_EQ(c7.name, "orders");
  EXPECT_EQ(c7.address, "10.0.0.9");
  EXPECT_EQ(c7.ssl_port, 8443);
  EXPECT_EQ(c7.payload, (std::map<std::string, std::string>{{"zone", "eu-1"}}));
  EXPECT_EQ(c7.registration_time_utc_ms, 1325129459728);
  EXPECT_EQ(build_uri(c7).value(), "https://10.0.0.9:8443");
  // Registered by us (on the Curator client's going), the same instance is stored as the same
  // document (Curator's compatible mode: "enabled" left out when true).
  curator_conn->close();
  ASSERT_TRUE(wait_children(*sync_, base + "/orders", 0));
  ServiceRegistry registry(*conn, base);
  ASSERT_TRUE(registry.register_instance(c7).ok());
  auto ours = sync_->get_data(base + "/orders/c7");
  ASSERT_TRUE(ours.ok());
  json want = json::parse(curator);
  want.erase("enabled");
  EXPECT_EQ(json::parse(ours->data), want);
  EXPECT_EQ(discovery.query_instance("orders", "c7").value(), std::optional(c7));
}

}  // namespace
}  // namespace conclave::recipes::testing
