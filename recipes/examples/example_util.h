// What both example programs share: the session timeout they ask for and a connection made
// from a connect string, reported on stderr when it fails.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "recipes/connection.h"

namespace conclave::recipes::examples {

// CONCLAVE_SESSION_TIMEOUT_MS overrides it: tests shorten it, so that the session of a
// killed process expires (and its lock node or leadership passes on) sooner.
inline int32_t session_timeout_ms() {
  constexpr int32_t kDefaultSessionTimeoutMs = 10'000;
  const char* v = std::getenv("CONCLAVE_SESSION_TIMEOUT_MS");
  const int32_t ms = v ? std::atoi(v) : 0;
  return ms > 0 ? ms : kDefaultSessionTimeoutMs;
}

// A connected Connection, or null after saying why on stderr.
inline std::unique_ptr<Connection> connect(const std::string& hosts,
                                           client::ClientOptions options = {}) {
  options.session_timeout_ms = session_timeout_ms();
  auto conn = Connection::open(hosts, std::move(options));
  if (!conn.ok()) {
    std::fprintf(stderr, "bad connect string %s: %s\n", hosts.c_str(),
                 conn.error().to_string().c_str());
    return nullptr;
  }
  // Generous: a loaded test machine may be slow to start a session.
  if (Status st = (*conn)->wait_connected(std::chrono::seconds(60)); !st.ok()) {
    std::fprintf(stderr, "cannot connect to %s: %s\n", hosts.c_str(),
                 st.error().to_string().c_str());
    return nullptr;
  }
  return std::move(conn.value());
}

}  // namespace conclave::recipes::examples
