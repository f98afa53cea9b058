// How a client handle behaves: session timeout, per-call deadlines, reconnect pacing and the
// bounds on what it holds. Every number the client uses lives here or in limits below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "client/types.h"
#include "common/zxid.h"

namespace conclave::client {

// Bounds that are not worth a per-handle setting.
namespace limits {
// Largest packet the client accepts from a server (jute.maxbuffer's default).
constexpr int32_t kMaxReplyBytes = wire::kDefaultMaxBuffer;
// Bytes read from the socket at a time.
constexpr size_t kReadChunkBytes = 64 * 1024;
// setWatches2 packets are split so each stays well under jute.maxbuffer (ZooKeeper's client
// uses the same 128 KiB figure, SET_WATCHES_MAX_LENGTH).
constexpr size_t kSetWatchesMaxBytes = 128 * 1024;
// xids count up from 1 and wrap back to 1 before they would turn negative (negative xids are
// reserved for pings, auth, notifications and setWatches).
constexpr int32_t kFirstXid = 1;
}  // namespace limits

struct ClientOptions {
  // Asked of the server, which clamps it to [minSessionTimeout, maxSessionTimeout].
  int32_t session_timeout_ms = 10'000;
  // A call not answered within this time fails with OperationTimeout (per-call override:
  // the Deadline argument). The request may still take effect on the server.
  int64_t default_deadline_ms = 30'000;
  // Ask for a read-only session if the server is partitioned (ZooKeeper's canBeReadOnly).
  bool read_only = false;
  // Re-attach an existing session (both set) instead of starting a new one.
  SessionId session_id = 0;
  std::string session_password;
  // Calls submitted and not yet answered; one more fails at once with ThrottledOp.
  size_t max_pending_requests = 10'000;
  // A TCP connect plus handshake must finish within this. 0 means ZooKeeper's clients' rules:
  // the session timeout (the negotiated one once there is a session) divided by the number of
  // hosts (Java), but at most 2/3 of it (C), so that with one host a server that accepts the
  // connection and never answers still leaves a third of the timeout to re-attach.
  int32_t connect_timeout_ms = 0;
  // After a full round of hosts failed, wait before the next round; doubles up to the max.
  int32_t reconnect_backoff_initial_ms = 50;
  int32_t reconnect_backoff_max_ms = 1'000;
  // close() waits this long for the server to confirm closeSession.
  int32_t close_timeout_ms = 2'000;
  // When no server was heard from for a whole negotiated session timeout, the server has
  // expired the session (unless it restarted), so the handle declares it expired at once
  // rather than finding out on a reconnect that may never come. Off: wait for the server.
  bool expire_when_disconnected = true;
  // Seeds the host shuffle; 0 picks a random seed.
  uint64_t shuffle_seed = 0;
  // Session state changes (connected, disconnected, expired, ...), on the callback thread.
  std::function<void(SessionState)> on_session_event;
};

}  // namespace conclave::client
