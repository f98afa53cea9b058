// main() of client_server_tests: reads the runner's flags (--hosts, --server-kind,
// --control-out, --control-in), then runs GoogleTest. CONCLAVE_LOG_LEVEL=debug in the
// environment turns on the client library's debug trace (connects, disconnects and why).
#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "common/log.h"
#include "tests/client/test_env.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const char* lvl = std::getenv("CONCLAVE_LOG_LEVEL"); lvl && std::string(lvl) == "debug") {
    conclave::log::set_level(conclave::log::Level::kDebug);
  }
  auto& e = conclave::client::testing::env();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--hosts=")) e.hosts = v;
    if (const char* v = value("--server-kind=")) e.server_kind = v;
    if (const char* v = value("--control-out=")) e.control_out = std::atoi(v);
    if (const char* v = value("--control-in=")) e.control_in = std::atoi(v);
  }
  if (e.hosts.empty()) {
    std::fprintf(stderr,
                 "usage: %s --hosts=h:p [--server-kind=conclave|zookeeper] "
                 "[--control-out=fd --control-in=fd]\n(run it through run_client_tests.py)\n",
                 argv[0]);
    return 2;
  }
  return RUN_ALL_TESTS();
}
