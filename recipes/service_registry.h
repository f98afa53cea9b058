// recipes::ServiceRegistry — the write side of service discovery (Curator x-discovery's
// registerService / updateService / unregisterService; what people run Consul's agent for):
// this process's service instances, kept registered for as long as it runs.
//
//   ServiceRegistry registry(conn, "/services");
//   ServiceInstance me{.name = "orders", .id = new_guid(), .address = "10.0.0.7", .port = 8080,
//                      .payload = {{"zone", "eu-1"}}, .uri_spec = "{scheme}://{address}:{port}"};
//   registry.register_instance(me);
//   ...
//   registry.unregister_instance(me.id);   // or close(), or just exit
//
// Each instance is an ephemeral node <base>/<name>/<id> holding the instance as JSON (Curator's
// layout, service_instance.h); the service's node and the base path are made containers, so a
// service with no instances left disappears. A process that dies takes its instances with its
// session, once the server expires it.
//
// Registrations are kept, not just written once:
//  - Connection loss: the nodes live on with the session (state kSuspended meanwhile). After
//    every reconnect each registration is checked and written again if it is gone or not ours
//    (as Curator re-registers on RECONNECTED), then the state is kActive again.
//  - Session expiry: the nodes are gone with the session and the registry is kLost. A
//    recipes::Connection cannot renew its session (its client handle is dead after expiry),
//    so the application opens a new Connection and calls reattach(new_connection): every
//    registration is written again on the new session. (Curator's client makes a new
//    session by itself; here the application does.)
//  - A node at the instance's path owned by another session (left by our own expired
//    session, which the server has not removed yet) is deleted and created again, as Curator
//    does. Two processes registering one id fight over it: ids must be unique.
//
// Listeners hear the state changes: kSuspended and kLost on the client's callback thread;
// kActive on the registry's thread (after a reconnect's re-registration) or the thread of
// reattach(); kClosed on the thread of close(). The blocking calls (register, update,
// unregister, reattach, close) must not be made on the client's callback thread, nor from a
// listener.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "recipes/connection.h"
#include "recipes/service_instance.h"

namespace conclave::recipes {

// How many create/delete rounds one registration tries when other sessions' nodes or the
// server's container reaping keep getting in its way.
constexpr int kRegisterAttemptsMax = 10;

enum class RegistryState {
  kActive,     // connected; every registration was written on this session
  kSuspended,  // connection lost (or not yet connected): the nodes live while the session does
  kLost,       // the session is over: the nodes are gone; reattach() a new Connection
  kClosed,     // close() was called
};
std::string_view registry_state_name(RegistryState s);

class ServiceRegistry {
 public:
  using Listener = std::function<void(RegistryState)>;
  using ListenerId = uint64_t;

  ServiceRegistry(Connection& conn, std::string base_path);
  ~ServiceRegistry();  // close()
  ServiceRegistry(const ServiceRegistry&) = delete;
  ServiceRegistry& operator=(const ServiceRegistry&) = delete;

  // Registers (or registers again, replacing the data of) `instance`; a registration_time of
  // 0 is set to now. kBadArguments if validate_for_registration() refuses it or the id is
  // registered here under another service name. When the write fails with a connection error
  // (kConnectionLoss, kOperationTimeout) or on a dead session (kSessionExpired) the error is
  // returned but the instance stays registered: it is written after the reconnect or on
  // reattach() (unregister_instance() drops it). Other errors drop it.
  Status register_instance(ServiceInstance instance);
  // Writes a changed instance: kNoNode if its id is not registered here, kBadArguments if it
  // is registered under another service name; otherwise as register_instance().
  Status update_instance(ServiceInstance instance);
  // Drops the registration and deletes its node (unless another session owns the node). While
  // the connection is down the delete is left to the connection, which sends it after the
  // reconnect (or the session's end removes the node). kNoNode if `id` is not registered here.
  Status unregister_instance(const std::string& id);

  // Moves every registration to `fresh` (after kLost: a new Connection, a new session) and
  // writes them there; the first write error is returned, the registrations stay. The old
  // Connection must still exist during this call (its listener is removed); destroy it after.
  Status reattach(Connection& fresh);

  // Unregisters everything (deleting the nodes), stops. Idempotent.
  void close();

  std::vector<ServiceInstance> registered() const;  // by id
  RegistryState state() const;
  const std::string& base_path() const { return base_; }

  ListenerId add_listener(Listener listener);
  void remove_listener(ListenerId id);

 private:
  struct Core;
  Status write_registration(Connection& conn, const std::string& id);
  Status store_and_write(ServiceInstance instance, bool must_exist);
  void run();

  const std::string base_;
  std::shared_ptr<Core> core_;
  // Serialises every write of registrations (the application's calls, the re-registration
  // after a reconnect, reattach, close) so an older version never overwrites a newer one.
  // Held across server calls; never taken on the client's callback thread.
  std::mutex write_mu_;
  Connection* conn_;                        // guarded by write_mu_
  Connection::ListenerId listener_id_ = 0;  // on *conn_; guarded by write_mu_
  std::thread worker_;
};

}  // namespace conclave::recipes
