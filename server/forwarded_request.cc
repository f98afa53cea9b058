#include "server/forwarded_request.h"

#include "wire/jute.h"

namespace conclave::server {
namespace {

constexpr int32_t kVersion = 2;  // 2: the connection, and kAttachSession
constexpr int32_t kPingVersion = 1;
constexpr size_t kIdBytesMin = 4 + 4;  // two empty ustrings
constexpr size_t kSessionBytes = 8;

Error malformed(const char* what) {
  return Error(ErrorCode::kMarshallingError, what);
}

}  // namespace

std::string encode_forwarded_request(const ForwardedRequest& r) {
  wire::JuteWriter w;
  w.write_int(kVersion);
  w.write_int(static_cast<int32_t>(r.kind));
  w.write_long(r.session_id);
  switch (r.kind) {
    case ForwardedRequest::Kind::kWrite:
      w.write_long(static_cast<int64_t>(r.connection));
      w.write_buffer(r.packet);
      w.write_int(static_cast<int32_t>(r.auth_ids.size()));
      for (const wire::Id& id : r.auth_ids) {
        w.write_string(id.scheme);
        w.write_string(id.id);
      }
      w.write_bool(r.is_super);
      break;
    case ForwardedRequest::Kind::kCreateSession:
      w.write_long(static_cast<int64_t>(r.connection));
      w.write_int(r.timeout_ms);
      w.write_buffer(r.password);
      break;
    case ForwardedRequest::Kind::kCloseSession:
      break;
    case ForwardedRequest::Kind::kAttachSession:
      w.write_long(static_cast<int64_t>(r.connection));
      break;
  }
  return w.take();
}

Result<ForwardedRequest> decode_forwarded_request(std::string_view bytes) {
  wire::JuteReader rd(bytes);
  if (rd.read_int() != kVersion || !rd.ok()) return malformed("unknown forwarded request version");
  ForwardedRequest r;
  r.kind = static_cast<ForwardedRequest::Kind>(rd.read_int());
  r.session_id = rd.read_long();
  switch (r.kind) {
    case ForwardedRequest::Kind::kWrite: {
      r.connection = static_cast<uint64_t>(rd.read_long());
      r.packet = rd.read_buffer();
      int32_t n = rd.read_count(kIdBytesMin);
      for (int32_t i = 0; i < n && rd.ok(); ++i) {
        wire::Id id;
        id.scheme = rd.read_string();
        id.id = rd.read_string();
        r.auth_ids.push_back(std::move(id));
      }
      r.is_super = rd.read_bool();
      break;
    }
    case ForwardedRequest::Kind::kCreateSession:
      r.connection = static_cast<uint64_t>(rd.read_long());
      r.timeout_ms = rd.read_int();
      r.password = rd.read_buffer();
      break;
    case ForwardedRequest::Kind::kCloseSession:
      break;
    case ForwardedRequest::Kind::kAttachSession:
      r.connection = static_cast<uint64_t>(rd.read_long());
      break;
    default:
      return malformed("unknown forwarded request kind");
  }
  if (!rd.ok() || !rd.at_end()) return malformed("malformed forwarded request");
  return r;
}

std::string encode_learner_ping(const LearnerPing& p) {
  wire::JuteWriter w;
  w.write_int(kPingVersion);
  w.write_int(static_cast<int32_t>(p.sessions.size()));
  for (SessionId id : p.sessions)
    w.write_long(id);
  w.write_long(p.applied_zxid);
  w.write_long(static_cast<int64_t>(p.digest));
  return w.take();
}

Result<LearnerPing> decode_learner_ping(std::string_view bytes) {
  wire::JuteReader rd(bytes);
  if (rd.read_int() != kPingVersion || !rd.ok()) return malformed("unknown learner ping version");
  LearnerPing p;
  int32_t n = rd.read_count(kSessionBytes);
  for (int32_t i = 0; i < n && rd.ok(); ++i)
    p.sessions.push_back(rd.read_long());
  p.applied_zxid = rd.read_long();
  p.digest = static_cast<uint64_t>(rd.read_long());
  if (!rd.ok() || !rd.at_end()) return malformed("malformed learner ping");
  return p;
}

}  // namespace conclave::server
