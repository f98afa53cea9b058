// recipes::ServiceCache — one service's instances, kept current by watches (Curator
// x-discovery's ServiceCache).
//
//   ServiceCache orders(conn, "/services", "orders");
//   orders.add_listener([&](CacheEvent e) { if (e == CacheEvent::kChanged) rebalance(); });
//   orders.start();
//   for (const ServiceInstance& i : orders.instances()) ...
//
// The cache's own thread lists <base>/<name> with a child watch and reads every instance node
// with a data watch (the reads pipelined), so an instance that registers, changes or leaves is
// seen within a round trip of the event. A service node that does not exist yet (or was
// removed as an empty container) is watched with exists() until it appears. Unreadable
// instance data is skipped, logged and counted (malformed_count()), as ServiceDiscovery does.
//
// Session contract: the snapshot is what the server last said. On a connection loss the cache
// says kSuspended at once (the snapshot may go stale); after the reconnect it says
// kReconnected, reads everything again, and says kChanged if anything differs. When the session is
// over it says kLost and stops: instances() keeps the last snapshot, but nothing updates it any
// more (a new Connection and a new ServiceCache follow the service again).
//
// Listeners run on the cache's thread, one event at a time, in order; they may call
// instances() but not close().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/types.h"
#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/service_instance.h"

namespace conclave::recipes {

enum class CacheEvent {
  kChanged,      // instances() differs from what it was at the last kChanged
  kSuspended,    // the connection was lost
  kReconnected,  // the connection is back (with the same session); a full re-read follows
  kLost,         // the session is over: the cache stopped
};
std::string_view cache_event_name(CacheEvent e);

class ServiceCache {
 public:
  using Listener = std::function<void(CacheEvent)>;
  using ListenerId = uint64_t;

  ServiceCache(Connection& conn, std::string base_path, std::string name);
  ~ServiceCache();  // close()
  ServiceCache(const ServiceCache&) = delete;
  ServiceCache& operator=(const ServiceCache&) = delete;

  // Starts following the service and waits for the first read (so instances() answers at
  // once after it); that read's error, if it failed -- kConnectionLoss at once while the
  // connection is not up -- and the cache keeps trying (after the reconnect, or every second
  // after a timeout). Once only. Not on the client's callback thread.
  Status start();
  // Stops the cache's thread (waits for it). Idempotent.
  void close();

  // The readable instances, by id.
  std::vector<ServiceInstance> instances() const;
  // Instance node versions skipped as unreadable so far.
  uint64_t malformed_count() const;

  ListenerId add_listener(Listener listener);
  void remove_listener(ListenerId id);

  const std::string& service_path() const { return service_; }

 private:
  struct Core;
  void run();
  Status refresh(bool full);

  Connection& conn_;
  const std::string service_;
  std::shared_ptr<Core> core_;
  client::Watcher watch_;  // children, exists and data watches; holds the Core weakly
  Connection::ListenerId session_listener_ = 0;
  std::thread worker_;
};

}  // namespace conclave::recipes
