// What a follower or observer sends its leader inside a REQUEST packet, and what it reports in
// its PING answers: ZooKeeper's LearnerHandler REQUEST carries the session, cxid, type, request
// bytes and auth info; ours carries the client's whole request packet so that the leader
// decodes and prepares it exactly as it would its own client's.
//
// Encoding (jute): int version (2); int kind; long session_id; then by kind
//   kWrite:         long connection; buffer packet; int auth_count, auth_count x (ustring
//                   scheme; ustring id); bool is_super
//   kCreateSession: long connection; int timeout_ms; buffer password
//   kCloseSession:  nothing more
//   kAttachSession: long connection
// `connection` names the learner's client connection that holds the session. The leader keeps
// each session's owner (the member and connection it last attached to, ZooKeeper's session
// owner) and drops writes from any other: a client's xids may restart on a new connection
// (kazoo's do), so a late write from its old one would otherwise commit with an xid the new
// connection is using and be answered as if it were that request.
// A learner's PING answer: int version (1); int count, count x long session_id (the sessions
// with a connection there, alive); long applied_zxid; long digest (the tree's digest there, so
// that the leader can compare it with its own at that zxid).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/zxid.h"
#include "wire/data_types.h"

namespace conclave::server {

struct ForwardedRequest {
  // kAttachSession: the session re-attached to `connection` of the sending member.
  enum class Kind : int32_t {
    kWrite = 1,
    kCreateSession = 2,
    kCloseSession = 3,
    kAttachSession = 4
  };
  Kind kind = Kind::kWrite;
  SessionId session_id = 0;
  uint64_t connection = 0;  // kWrite, kCreateSession, kAttachSession
  // kWrite: the client's request packet (header and record), as it arrived.
  std::string packet{};
  std::vector<wire::Id> auth_ids{};
  bool is_super = false;
  // kCreateSession: the negotiated timeout and the password handed to the client.
  int32_t timeout_ms = 0;
  std::string password{};
  bool operator==(const ForwardedRequest&) const = default;
};

std::string encode_forwarded_request(const ForwardedRequest& r);
// Bounds-checked: malformed bytes give kMarshallingError, never a crash.
Result<ForwardedRequest> decode_forwarded_request(std::string_view bytes);

struct LearnerPing {
  std::vector<SessionId> sessions{};
  Zxid applied_zxid = 0;
  uint64_t digest = 0;
  bool operator==(const LearnerPing&) const = default;
};
std::string encode_learner_ping(const LearnerPing& p);
Result<LearnerPing> decode_learner_ping(std::string_view bytes);

}  // namespace conclave::server
