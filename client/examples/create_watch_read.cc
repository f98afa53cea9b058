// A tour of the client in one page: connect, create a node, set a watch while reading it,
// change it, and receive the event.
//
//   create_watch_read 127.0.0.1:2181
#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include "client/client.h"

using namespace conclave;
using namespace conclave::client;

int main(int argc, char** argv) {
  const std::string hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
  ClientOptions options;
  options.session_timeout_ms = 10'000;
  options.on_session_event = [](SessionState s) {
    std::printf("session: %s\n", std::string(session_state_name(s)).c_str());
  };
  auto client = Client::connect(hosts, options);
  if (!client.ok()) {
    std::fprintf(stderr, "bad connect string: %s\n", client.error().to_string().c_str());
    return 2;
  }
  Client& zk = **client;
  if (Status st = zk.wait_connected(std::chrono::seconds(10)); !st.ok()) {
    std::fprintf(stderr, "cannot connect to %s: %s\n", hosts.c_str(),
                 st.error().to_string().c_str());
    return 1;
  }

  // An ephemeral sequential node: unique per run, and gone when the session closes.
  auto created = zk.create("/example-", "hello", {.mode = CreateMode::kEphemeralSequential}).get();
  if (!created.ok()) {
    std::fprintf(stderr, "create: %s\n", created.error().to_string().c_str());
    return 1;
  }
  const std::string path = created->path;
  std::printf("created %s\n", path.c_str());

  // Read it and leave a watch: the watcher runs on the client's callback thread.
  std::promise<WatchedEvent> fired;
  Watcher watcher = [&fired](const WatchedEvent& e) { fired.set_value(e); };
  auto read = zk.get_data(path, watcher).get();
  if (!read.ok()) {
    std::fprintf(stderr, "get_data: %s\n", read.error().to_string().c_str());
    return 1;
  }
  std::printf("read %s = \"%s\" (version %d)\n", path.c_str(), read->data.c_str(),
              read->stat.version);

  // Change it; the watch fires once.
  auto set = zk.set_data(path, "world").get();
  if (!set.ok()) {
    std::fprintf(stderr, "set_data: %s\n", set.error().to_string().c_str());
    return 1;
  }
  auto event = fired.get_future();
  if (event.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    std::fprintf(stderr, "no watch event\n");
    return 1;
  }
  const WatchedEvent e = event.get();
  std::printf("event: type %d on %s\n", static_cast<int>(e.type), e.path.c_str());

  auto again = zk.get_data(path).get();
  if (again.ok()) std::printf("read %s = \"%s\"\n", path.c_str(), again->data.c_str());
  zk.close();
  return 0;
}
