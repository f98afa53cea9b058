#include "server/forwarded_request.h"

#include "wire/jute.h"

namespace conclave::server {
namespace {

constexpr int32_t kVersion = 1;
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
      w.write_buffer(r.packet);
      w.write_int(static_cast<int32_t>(r.auth_ids.size()));
      for (const wire::Id& id : r.auth_ids) {
        w.write_string(id.scheme);
        w.write_string(id.id);
      }
      w.write_bool(r.is_super);
      break;
    case ForwardedRequest::Kind::kCreateSession:
      w.write_int(r.timeout_ms);
      w.write_buffer(r.password);
      break;
    case ForwardedRequest::Kind::kCloseSession:
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
      r.timeout_ms = rd.read_int();
      r.password = rd.read_buffer();
      break;
    case ForwardedRequest::Kind::kCloseSession:
      break;
    default:
      return malformed("unknown forwarded request kind");
  }
  if (!rd.ok() || !rd.at_end()) return malformed("malformed forwarded request");
  return r;
}

std::string encode_session_touches(const std::vector<SessionId>& sessions) {
  wire::JuteWriter w;
  w.write_int(kVersion);
  w.write_int(static_cast<int32_t>(sessions.size()));
  for (SessionId id : sessions)
    w.write_long(id);
  return w.take();
}

Result<std::vector<SessionId>> decode_session_touches(std::string_view bytes) {
  wire::JuteReader rd(bytes);
  if (rd.read_int() != kVersion || !rd.ok()) return malformed("unknown session touches version");
  std::vector<SessionId> out;
  int32_t n = rd.read_count(kSessionBytes);
  for (int32_t i = 0; i < n && rd.ok(); ++i)
    out.push_back(rd.read_long());
  if (!rd.ok() || !rd.at_end()) return malformed("malformed session touches");
  return out;
}

}  // namespace conclave::server
