// recipes::ServiceDiscovery — the read side of service discovery (Curator x-discovery's
// queryForNames / queryForInstances / queryForInstance): what is registered under a base
// path, read once. ServiceCache follows one service as it changes; ServiceRegistry writes.
//
//   ServiceDiscovery discovery(conn, "/services");
//   auto names = discovery.query_names();                // {"orders", "payments"}
//   auto orders = discovery.query_instances("orders");   // by id
//
// Layout (Curator's): <base>/<service name>/<instance id>, each instance node holding the
// instance as JSON (service_instance.h). A node whose data is not a readable instance (not
// JSON, wrong field types, ...) is skipped: logged, counted in malformed_count(), and left out
// of the answer; one bad registration never hides the others or fails the query.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/types.h"
#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/service_instance.h"

namespace conclave::recipes {

class ServiceDiscovery {
 public:
  ServiceDiscovery(Connection& conn, std::string base_path);

  // The services with a node under the base path, sorted (empty when there is no base path).
  // A service whose last instance left may still be listed until the server removes its
  // (container) node.
  Result<std::vector<std::string>> query_names() const;
  // The readable instances of `name`, sorted by id (empty when the service has no node).
  Result<std::vector<ServiceInstance>> query_instances(const std::string& name) const;
  // One instance: nullopt when its node does not exist, kMarshallingError when it is
  // unreadable (also counted).
  Result<std::optional<ServiceInstance>> query_instance(const std::string& name,
                                                        const std::string& id) const;

  // Instance nodes skipped (or refused) as unreadable so far.
  uint64_t malformed_count() const { return malformed_.load(); }

  const std::string& base_path() const { return base_; }

 private:
  Connection& conn_;
  const std::string base_;
  mutable std::atomic<uint64_t> malformed_{0};
};

// Reads the data of every node in `paths` with the requests pipelined (one round trip rather
// than one per node), setting `watch` on each that exists (when given). Answers in the order
// of `paths`. Blocks until every answer is in (each bounded by the client's deadline).
std::vector<Result<client::DataResult>> read_nodes(Connection& conn,
                                                   const std::vector<std::string>& paths,
                                                   const client::Watcher& watch = {});

// Parses one instance node's data; on failure logs it (with `path`), bumps `malformed` and
// answers nullopt.
std::optional<ServiceInstance> read_instance(const std::string& path, const std::string& data,
                                             std::atomic<uint64_t>& malformed);

}  // namespace conclave::recipes
