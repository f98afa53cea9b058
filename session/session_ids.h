// Session identity: ids unique across restarts and servers, and passwords any server holding
// the ensemble's secret can verify without having seen the session before.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/zxid.h"

namespace conclave::session {

constexpr size_t kPasswordBytes = 16;

// ZooKeeper's scheme: the server id in the top byte, milliseconds since the epoch shifted into
// the middle, then a counter. 0x8000000000000000 is reserved (it marks containers) and skipped.
class SessionIdGenerator {
 public:
  SessionIdGenerator(int64_t server_id, int64_t now_wall_ms);
  SessionId next();

 private:
  int64_t next_;
};

// HMAC-SHA256(secret, big-endian id), truncated to 16 bytes.
std::string session_password(SessionId id, std::string_view secret);
// Constant-time comparison against the expected password.
bool check_session_password(SessionId id, std::string_view secret, std::string_view passwd);

}  // namespace conclave::session
