#include "wire/records.h"

#include <cassert>

namespace conclave::wire {

namespace {

// The smallest ClientInfo (two empty ustrings), to bound a forged count before allocating.
constexpr size_t kClientInfoMinBytes = 8;

void encode_strings(JuteWriter& w, const std::vector<std::string>& v) {
  encode(w, v);
}
void decode_strings(JuteReader& r, std::vector<std::string>& v) {
  decode(r, v);
}

}  // namespace

// ---- Connect handshake ----

void encode(JuteWriter& w, const ConnectRequest& v) {
  w.write_int(v.protocol_version);
  w.write_long(v.last_zxid_seen);
  w.write_int(v.timeout_ms);
  w.write_long(v.session_id);
  w.write_buffer(v.passwd);
  if (v.has_read_only) w.write_bool(v.read_only);
}

void decode(JuteReader& r, ConnectRequest& v) {
  v.protocol_version = r.read_int();
  v.last_zxid_seen = r.read_long();
  v.timeout_ms = r.read_int();
  v.session_id = r.read_long();
  v.passwd = r.read_buffer();
  // 3.8 clients append readOnly by hand and older ones send nothing, so a byte left over
  // after passwd is the only sign of which form this is.
  v.has_read_only = r.ok() && r.remaining() >= 1;
  v.read_only = v.has_read_only ? r.read_bool() : false;
}

void encode(JuteWriter& w, const ConnectResponse& v) {
  w.write_int(v.protocol_version);
  w.write_int(v.timeout_ms);
  w.write_long(v.session_id);
  w.write_buffer(v.passwd);
  if (v.has_read_only) w.write_bool(v.read_only);
}

void decode(JuteReader& r, ConnectResponse& v) {
  v.protocol_version = r.read_int();
  v.timeout_ms = r.read_int();
  v.session_id = r.read_long();
  v.passwd = r.read_buffer();
  v.has_read_only = r.ok() && r.remaining() >= 1;
  v.read_only = v.has_read_only ? r.read_bool() : false;
}

// ---- Headers and events ----

void encode(JuteWriter& w, const RequestHeader& v) {
  w.write_int(v.xid);
  w.write_int(v.type);
}

void decode(JuteReader& r, RequestHeader& v) {
  v.xid = r.read_int();
  v.type = r.read_int();
}

void encode(JuteWriter& w, const ReplyHeader& v) {
  w.write_int(v.xid);
  w.write_long(v.zxid);
  w.write_int(v.err);
}

void decode(JuteReader& r, ReplyHeader& v) {
  v.xid = r.read_int();
  v.zxid = r.read_long();
  v.err = r.read_int();
}

void encode(JuteWriter& w, const WatcherEvent& v) {
  w.write_int(v.type);
  w.write_int(v.state);
  w.write_string(v.path);
}

void decode(JuteReader& r, WatcherEvent& v) {
  v.type = r.read_int();
  v.state = r.read_int();
  v.path = r.read_string();
}

void encode(JuteWriter& w, const MultiHeader& v) {
  w.write_int(v.type);
  w.write_bool(v.done);
  w.write_int(v.err);
}

void decode(JuteReader& r, MultiHeader& v) {
  v.type = r.read_int();
  v.done = r.read_bool();
  v.err = r.read_int();
}

// ---- Requests and responses ----

void encode(JuteWriter& w, const AuthPacket& v) {
  w.write_int(v.type);
  w.write_string(v.scheme);
  w.write_buffer(v.auth);
}

void decode(JuteReader& r, AuthPacket& v) {
  v.type = r.read_int();
  v.scheme = r.read_string();
  v.auth = r.read_buffer();
}

void encode(JuteWriter& w, const CreateRequest& v) {
  w.write_string(v.path);
  w.write_buffer(v.data);
  encode(w, v.acl);
  w.write_int(v.flags);
}

void decode(JuteReader& r, CreateRequest& v) {
  v.path = r.read_string();
  v.data = r.read_buffer();
  decode(r, v.acl);
  v.flags = r.read_int();
}

void encode(JuteWriter& w, const CreateTtlRequest& v) {
  w.write_string(v.path);
  w.write_buffer(v.data);
  encode(w, v.acl);
  w.write_int(v.flags);
  w.write_long(v.ttl);
}

void decode(JuteReader& r, CreateTtlRequest& v) {
  v.path = r.read_string();
  v.data = r.read_buffer();
  decode(r, v.acl);
  v.flags = r.read_int();
  v.ttl = r.read_long();
}

void encode(JuteWriter& w, const CreateResponse& v) {
  w.write_string(v.path);
}
void decode(JuteReader& r, CreateResponse& v) {
  v.path = r.read_string();
}

void encode(JuteWriter& w, const Create2Response& v) {
  w.write_string(v.path);
  encode(w, v.stat);
}

void decode(JuteReader& r, Create2Response& v) {
  v.path = r.read_string();
  decode(r, v.stat);
}

void encode(JuteWriter& w, const DeleteRequest& v) {
  w.write_string(v.path);
  w.write_int(v.version);
}

void decode(JuteReader& r, DeleteRequest& v) {
  v.path = r.read_string();
  v.version = r.read_int();
}

void encode(JuteWriter& w, const ExistsRequest& v) {
  w.write_string(v.path);
  w.write_bool(v.watch);
}

void decode(JuteReader& r, ExistsRequest& v) {
  v.path = r.read_string();
  v.watch = r.read_bool();
}

void encode(JuteWriter& w, const ExistsResponse& v) {
  encode(w, v.stat);
}
void decode(JuteReader& r, ExistsResponse& v) {
  decode(r, v.stat);
}

void encode(JuteWriter& w, const GetDataRequest& v) {
  w.write_string(v.path);
  w.write_bool(v.watch);
}

void decode(JuteReader& r, GetDataRequest& v) {
  v.path = r.read_string();
  v.watch = r.read_bool();
}

void encode(JuteWriter& w, const GetDataResponse& v) {
  w.write_buffer(v.data);
  encode(w, v.stat);
}

void decode(JuteReader& r, GetDataResponse& v) {
  v.data = r.read_buffer();
  decode(r, v.stat);
}

void encode(JuteWriter& w, const SetDataRequest& v) {
  w.write_string(v.path);
  w.write_buffer(v.data);
  w.write_int(v.version);
}

void decode(JuteReader& r, SetDataRequest& v) {
  v.path = r.read_string();
  v.data = r.read_buffer();
  v.version = r.read_int();
}

void encode(JuteWriter& w, const SetDataResponse& v) {
  encode(w, v.stat);
}
void decode(JuteReader& r, SetDataResponse& v) {
  decode(r, v.stat);
}

void encode(JuteWriter& w, const GetAclRequest& v) {
  w.write_string(v.path);
}
void decode(JuteReader& r, GetAclRequest& v) {
  v.path = r.read_string();
}

void encode(JuteWriter& w, const GetAclResponse& v) {
  encode(w, v.acl);
  encode(w, v.stat);
}

void decode(JuteReader& r, GetAclResponse& v) {
  decode(r, v.acl);
  decode(r, v.stat);
}

void encode(JuteWriter& w, const SetAclRequest& v) {
  w.write_string(v.path);
  encode(w, v.acl);
  w.write_int(v.version);
}

void decode(JuteReader& r, SetAclRequest& v) {
  v.path = r.read_string();
  decode(r, v.acl);
  v.version = r.read_int();
}

void encode(JuteWriter& w, const SetAclResponse& v) {
  encode(w, v.stat);
}
void decode(JuteReader& r, SetAclResponse& v) {
  decode(r, v.stat);
}

void encode(JuteWriter& w, const GetChildrenRequest& v) {
  w.write_string(v.path);
  w.write_bool(v.watch);
}

void decode(JuteReader& r, GetChildrenRequest& v) {
  v.path = r.read_string();
  v.watch = r.read_bool();
}

void encode(JuteWriter& w, const GetChildrenResponse& v) {
  encode_strings(w, v.children);
}
void decode(JuteReader& r, GetChildrenResponse& v) {
  decode_strings(r, v.children);
}

void encode(JuteWriter& w, const GetChildren2Response& v) {
  encode_strings(w, v.children);
  encode(w, v.stat);
}

void decode(JuteReader& r, GetChildren2Response& v) {
  decode_strings(r, v.children);
  decode(r, v.stat);
}

void encode(JuteWriter& w, const SyncRequest& v) {
  w.write_string(v.path);
}
void decode(JuteReader& r, SyncRequest& v) {
  v.path = r.read_string();
}

void encode(JuteWriter& w, const SyncResponse& v) {
  w.write_string(v.path);
}
void decode(JuteReader& r, SyncResponse& v) {
  v.path = r.read_string();
}

void encode(JuteWriter& w, const CheckVersionRequest& v) {
  w.write_string(v.path);
  w.write_int(v.version);
}

void decode(JuteReader& r, CheckVersionRequest& v) {
  v.path = r.read_string();
  v.version = r.read_int();
}

void encode(JuteWriter& w, const CheckWatchesRequest& v) {
  w.write_string(v.path);
  w.write_int(v.type);
}

void decode(JuteReader& r, CheckWatchesRequest& v) {
  v.path = r.read_string();
  v.type = r.read_int();
}

void encode(JuteWriter& w, const RemoveWatchesRequest& v) {
  w.write_string(v.path);
  w.write_int(v.type);
}

void decode(JuteReader& r, RemoveWatchesRequest& v) {
  v.path = r.read_string();
  v.type = r.read_int();
}

void encode(JuteWriter& w, const GetEphemeralsRequest& v) {
  w.write_string(v.prefix_path);
}
void decode(JuteReader& r, GetEphemeralsRequest& v) {
  v.prefix_path = r.read_string();
}

void encode(JuteWriter& w, const GetEphemeralsResponse& v) {
  encode_strings(w, v.ephemerals);
}
void decode(JuteReader& r, GetEphemeralsResponse& v) {
  decode_strings(r, v.ephemerals);
}

void encode(JuteWriter& w, const GetAllChildrenNumberRequest& v) {
  w.write_string(v.path);
}
void decode(JuteReader& r, GetAllChildrenNumberRequest& v) {
  v.path = r.read_string();
}

void encode(JuteWriter& w, const GetAllChildrenNumberResponse& v) {
  w.write_int(v.total_number);
}
void decode(JuteReader& r, GetAllChildrenNumberResponse& v) {
  v.total_number = r.read_int();
}

void encode(JuteWriter& w, const SetWatches& v) {
  w.write_long(v.relative_zxid);
  encode_strings(w, v.data_watches);
  encode_strings(w, v.exist_watches);
  encode_strings(w, v.child_watches);
}

void decode(JuteReader& r, SetWatches& v) {
  v.relative_zxid = r.read_long();
  decode_strings(r, v.data_watches);
  decode_strings(r, v.exist_watches);
  decode_strings(r, v.child_watches);
}

void encode(JuteWriter& w, const SetWatches2& v) {
  w.write_long(v.relative_zxid);
  encode_strings(w, v.data_watches);
  encode_strings(w, v.exist_watches);
  encode_strings(w, v.child_watches);
  encode_strings(w, v.persistent_watches);
  encode_strings(w, v.persistent_recursive_watches);
}

void decode(JuteReader& r, SetWatches2& v) {
  v.relative_zxid = r.read_long();
  decode_strings(r, v.data_watches);
  decode_strings(r, v.exist_watches);
  decode_strings(r, v.child_watches);
  decode_strings(r, v.persistent_watches);
  decode_strings(r, v.persistent_recursive_watches);
}

void encode(JuteWriter& w, const AddWatchRequest& v) {
  w.write_string(v.path);
  w.write_int(v.mode);
}

void decode(JuteReader& r, AddWatchRequest& v) {
  v.path = r.read_string();
  v.mode = r.read_int();
}

void encode(JuteWriter& w, const ClientInfo& v) {
  w.write_string(v.auth_scheme);
  w.write_string(v.user);
}

void decode(JuteReader& r, ClientInfo& v) {
  v.auth_scheme = r.read_string();
  v.user = r.read_string();
}

void encode(JuteWriter& w, const WhoAmIResponse& v) {
  w.write_int(static_cast<int32_t>(v.client_info.size()));
  for (const auto& c : v.client_info)
    encode(w, c);
}

void decode(JuteReader& r, WhoAmIResponse& v) {
  v.client_info.clear();
  int32_t n = r.read_count(kClientInfoMinBytes);
  v.client_info.resize(static_cast<size_t>(n));
  for (auto& c : v.client_info)
    decode(r, c);
}

void encode(JuteWriter& w, const ErrorResponse& v) {
  w.write_int(v.err);
}
void decode(JuteReader& r, ErrorResponse& v) {
  v.err = r.read_int();
}

void encode(JuteWriter& w, const ReconfigRequest& v) {
  w.write_string(v.joining_servers);
  w.write_string(v.leaving_servers);
  w.write_string(v.new_members);
  w.write_long(v.cur_config_id);
}

void decode(JuteReader& r, ReconfigRequest& v) {
  v.joining_servers = r.read_string();
  v.leaving_servers = r.read_string();
  v.new_members = r.read_string();
  v.cur_config_id = r.read_long();
}

void encode(JuteWriter& w, const GetSaslRequest& v) {
  w.write_buffer(v.token);
}
void decode(JuteReader& r, GetSaslRequest& v) {
  v.token = r.read_buffer();
}

void encode(JuteWriter& w, const SetSaslResponse& v) {
  w.write_buffer(v.token);
}
void decode(JuteReader& r, SetSaslResponse& v) {
  v.token = r.read_buffer();
}

// ---- multi ----

bool is_multi_write_op(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kCheck:
      return true;
    default:
      return false;
  }
}

bool is_multi_read_op(OpCode type) {
  return type == OpCode::kGetData || type == OpCode::kGetChildren;
}

namespace {

// Whether `op` holds the record that an entry of `type` is sent with.
[[maybe_unused]] bool op_matches_type(OpCode type, const MultiOp& op) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
      return std::holds_alternative<CreateRequest>(op);
    case OpCode::kCreateTtl:
      return std::holds_alternative<CreateTtlRequest>(op);
    case OpCode::kDelete:
      return std::holds_alternative<DeleteRequest>(op);
    case OpCode::kSetData:
      return std::holds_alternative<SetDataRequest>(op);
    case OpCode::kCheck:
      return std::holds_alternative<CheckVersionRequest>(op);
    case OpCode::kGetData:
      return std::holds_alternative<GetDataRequest>(op);
    case OpCode::kGetChildren:
      return std::holds_alternative<GetChildrenRequest>(op);
    default:
      return false;
  }
}

// The terminator both directions end with (MultiOperationRecord and MultiResponse).
constexpr MultiHeader kMultiDone{-1, true, -1};

template <class T>
MultiOp decode_op(JuteReader& r) {
  T rec;
  decode(r, rec);
  return rec;
}

}  // namespace

void encode(JuteWriter& w, const MultiRequest& v) {
  for (const auto& e : v.ops) {
    assert(op_matches_type(e.type, e.op));
    encode(w, MultiHeader{to_int(e.type), false, -1});
    std::visit([&w](const auto& rec) { encode(w, rec); }, e.op);
  }
  encode(w, kMultiDone);
}

void decode_multi(JuteReader& r, MultiRequest& v, MultiKind kind) {
  v.ops.clear();
  // Every op costs a header, so there can be no more ops than headers fit in what is left;
  // the loop below can therefore never outrun the input, whatever the counts say.
  const size_t max_ops = r.remaining() / kMultiHeaderBytes;
  MultiKind seen = kind;
  for (size_t i = 0;; ++i) {
    MultiHeader h;
    decode(r, h);
    if (!r.ok()) return;
    if (h.done) return;  // ZooKeeper stops on `done`, whatever the type says
    if (i >= max_ops) {
      r.fail();
      return;
    }
    const auto type = static_cast<OpCode>(h.type);
    const MultiKind op_kind = is_multi_write_op(type)  ? MultiKind::kWrite
                              : is_multi_read_op(type) ? MultiKind::kRead
                                                       : MultiKind::kAny;
    if (op_kind == MultiKind::kAny) {  // not an op any multi may hold
      r.fail();
      return;
    }
    if (seen == MultiKind::kAny) seen = op_kind;
    if (op_kind != seen) {  // a write in a multiRead, a read in a multi, or a mix
      r.fail();
      return;
    }
    MultiOpEntry e;
    e.type = type;
    switch (type) {
      case OpCode::kCreate:
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
        e.op = decode_op<CreateRequest>(r);
        break;
      case OpCode::kCreateTtl:
        e.op = decode_op<CreateTtlRequest>(r);
        break;
      case OpCode::kDelete:
        e.op = decode_op<DeleteRequest>(r);
        break;
      case OpCode::kSetData:
        e.op = decode_op<SetDataRequest>(r);
        break;
      case OpCode::kCheck:
        e.op = decode_op<CheckVersionRequest>(r);
        break;
      case OpCode::kGetData:
        e.op = decode_op<GetDataRequest>(r);
        break;
      case OpCode::kGetChildren:
        e.op = decode_op<GetChildrenRequest>(r);
        break;
      default:
        r.fail();
        return;
    }
    if (!r.ok()) return;
    v.ops.push_back(std::move(e));
  }
}

void decode(JuteReader& r, MultiRequest& v) {
  decode_multi(r, v, MultiKind::kAny);
}

void encode(JuteWriter& w, const MultiResponse& v) {
  for (const auto& res : v.results) {
    switch (res.type) {
      case OpCode::kCreate:
        encode(w, MultiHeader{to_int(OpCode::kCreate), false, 0});
        encode(w, CreateResponse{res.path});
        break;
      case OpCode::kCreate2:
      case OpCode::kCreateTtl:
      case OpCode::kCreateContainer:
        encode(w, MultiHeader{to_int(OpCode::kCreate2), false, 0});
        encode(w, Create2Response{res.path, res.stat});
        break;
      case OpCode::kDelete:
      case OpCode::kCheck:
        encode(w, MultiHeader{to_int(res.type), false, 0});
        break;
      case OpCode::kSetData:
        encode(w, MultiHeader{to_int(OpCode::kSetData), false, 0});
        encode(w, SetDataResponse{res.stat});
        break;
      case OpCode::kGetData:
        encode(w, MultiHeader{to_int(OpCode::kGetData), false, 0});
        encode(w, GetDataResponse{res.data, res.stat});
        break;
      case OpCode::kGetChildren:
        encode(w, MultiHeader{to_int(OpCode::kGetChildren), false, 0});
        encode(w, GetChildrenResponse{res.children});
        break;
      case OpCode::kError:
        encode(w, MultiHeader{to_int(OpCode::kError), false, res.err});
        encode(w, ErrorResponse{res.err});
        break;
      default:
        // A result type no client can decode is a server bug; answer it as a system error
        // rather than emit bytes that would desynchronize the client's stream.
        assert(false && "result type not allowed in a multi response");
        encode(w, MultiHeader{to_int(OpCode::kError), false, to_int(ErrorCode::kSystemError)});
        encode(w, ErrorResponse{to_int(ErrorCode::kSystemError)});
        break;
    }
  }
  encode(w, kMultiDone);
}

void decode(JuteReader& r, MultiResponse& v) {
  v.results.clear();
  const size_t max_results = r.remaining() / kMultiHeaderBytes;
  for (size_t i = 0;; ++i) {
    MultiHeader h;
    decode(r, h);
    if (!r.ok()) return;
    if (h.done) return;
    if (i >= max_results) {
      r.fail();
      return;
    }
    MultiResult res;
    res.type = static_cast<OpCode>(h.type);
    switch (res.type) {
      case OpCode::kCreate: {
        CreateResponse c;
        decode(r, c);
        res.path = std::move(c.path);
        break;
      }
      case OpCode::kCreate2: {
        Create2Response c;
        decode(r, c);
        res.path = std::move(c.path);
        res.stat = c.stat;
        break;
      }
      case OpCode::kDelete:
      case OpCode::kCheck:
        break;
      case OpCode::kSetData: {
        SetDataResponse s;
        decode(r, s);
        res.stat = s.stat;
        break;
      }
      case OpCode::kGetData: {
        GetDataResponse g;
        decode(r, g);
        res.data = std::move(g.data);
        res.stat = g.stat;
        break;
      }
      case OpCode::kGetChildren: {
        GetChildrenResponse g;
        decode(r, g);
        res.children = std::move(g.children);
        break;
      }
      case OpCode::kError: {
        ErrorResponse e;
        decode(r, e);
        res.err = e.err;
        break;
      }
      default:
        r.fail();
        return;
    }
    if (!r.ok()) return;
    v.results.push_back(std::move(res));
  }
}

}  // namespace conclave::wire
