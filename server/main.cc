// conclave-server <zoo.cfg>: runs a server from a ZooKeeper-format config file, in the
// foreground, as `zkServer.sh start-foreground` would.
#include <csignal>
#include <cstdio>
#include <string>

#include "common/asio.h"
#include "common/log.h"
#include "server/config.h"
#include "server/zk_server.h"

namespace {
constexpr int kExitConfigError = 2;
constexpr int kExitStartError = 1;
}  // namespace

int main(int argc, char** argv) {
  using namespace conclave;
  if (argc != 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: conclave-server <zoo.cfg>\n");
    return argc == 2 ? 0 : kExitConfigError;
  }
  if (const char* lvl = std::getenv("CONCLAVE_LOG_LEVEL"); lvl && std::string(lvl) == "debug") {
    log::set_level(log::Level::kDebug);
  }
  auto parsed = server::load_config(argv[1]);
  if (!parsed.ok()) {
    std::fprintf(stderr, "conclave-server: %s\n", parsed.error().detail.c_str());
    return kExitConfigError;
  }
  for (const auto& w : parsed->warnings)
    log::warn(w);

  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  server::ZkServer srv(io, parsed->config);
  Status started = srv.start();
  if (!started.ok()) {
    log::error("cannot start: ", started.error().to_string());
    return kExitStartError;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("signal ", sig, ": shutting down");
    srv.stop();
    io.stop();
  });
  io.run();
  srv.stop();
  return 0;
}
