// Valid sample packets for every request opcode a client may send, plus connect requests:
// shared by the unit tests (truncation, round trips) and the fuzzer's seed corpus.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "wire/packet.h"

namespace conclave::wire::samples {

inline Stat stat() {
  return Stat{0x100000002, 0x100000007, 1700000000123, 1700000000456, 3, 4, 5, 0,
              11,          2,           0x100000009};
}

struct SampleRequest {
  RequestHeader header;
  RequestBody body;
};

// One request per client opcode (several for multi), each a realistic value.
inline std::vector<SampleRequest> requests() {
  const AclList acl = {Acl{perms::kAll, Id{"world", "anyone"}},
                       Acl{perms::kRead, Id{"digest", "u:hash"}}};
  MultiRequest multi;
  multi.ops.push_back({OpCode::kCreate, CreateRequest{"/m/a", "1", acl, 0}});
  multi.ops.push_back({OpCode::kCreate2, CreateRequest{"/m/b", "", acl, 2}});
  multi.ops.push_back({OpCode::kCreateContainer, CreateRequest{"/m/c", "", acl, 4}});
  multi.ops.push_back({OpCode::kCreateTtl, CreateTtlRequest{"/m/t", "t", acl, 5, 1000}});
  multi.ops.push_back({OpCode::kDelete, DeleteRequest{"/m/d", 3}});
  multi.ops.push_back({OpCode::kSetData, SetDataRequest{"/m", "v", -1}});
  multi.ops.push_back({OpCode::kCheck, CheckVersionRequest{"/m", 7}});
  MultiRequest multi_read;
  multi_read.ops.push_back({OpCode::kGetData, GetDataRequest{"/r/a", false}});
  multi_read.ops.push_back({OpCode::kGetChildren, GetChildrenRequest{"/r", false}});
  auto h = [](int32_t xid, OpCode op) { return RequestHeader{xid, to_int(op)}; };
  return {
      {h(1, OpCode::kCreate), CreateRequest{"/a", "data", acl, 0}},
      {h(2, OpCode::kDelete), DeleteRequest{"/a", -1}},
      {h(3, OpCode::kExists), ExistsRequest{"/a", true}},
      {h(4, OpCode::kGetData), GetDataRequest{"/a", true}},
      {h(5, OpCode::kSetData), SetDataRequest{"/a", "new", 2}},
      {h(6, OpCode::kGetAcl), GetAclRequest{"/a"}},
      {h(7, OpCode::kSetAcl), SetAclRequest{"/a", acl, 1}},
      {h(8, OpCode::kGetChildren), GetChildrenRequest{"/", true}},
      {h(9, OpCode::kSync), SyncRequest{"/a"}},
      {h(xid::kPing, OpCode::kPing), NoBody{}},
      {h(10, OpCode::kGetChildren2), GetChildrenRequest{"/", false}},
      {h(11, OpCode::kCheck), CheckVersionRequest{"/a", 3}},
      {h(12, OpCode::kMulti), multi},
      {h(13, OpCode::kCreate2), CreateRequest{"/b", "", acl, 3}},
      {h(14, OpCode::kReconfig), ReconfigRequest{"server.4=h:2888:3888;2181", "", "", -1}},
      {h(15, OpCode::kCheckWatches), CheckWatchesRequest{"/a", 3}},
      {h(16, OpCode::kRemoveWatches), RemoveWatchesRequest{"/a", 1}},
      {h(17, OpCode::kCreateContainer), CreateRequest{"/c", "", acl, 4}},
      {h(18, OpCode::kDeleteContainer), DeleteRequest{"/c", -1}},
      {h(19, OpCode::kCreateTtl), CreateTtlRequest{"/t", "x", acl, 5, 60000}},
      {h(20, OpCode::kMultiRead), multi_read},
      {h(xid::kAuth, OpCode::kAuth), AuthPacket{0, "digest", "u:p"}},
      {h(xid::kSetWatches, OpCode::kSetWatches), SetWatches{0x100000001, {"/d"}, {"/e"}, {"/c"}}},
      {h(21, OpCode::kSasl), GetSaslRequest{std::string("\x60\x82\x00", 3)}},
      {h(22, OpCode::kGetEphemerals), GetEphemeralsRequest{"/"}},
      {h(23, OpCode::kGetAllChildrenNumber), GetAllChildrenNumberRequest{"/"}},
      {h(xid::kSetWatches, OpCode::kSetWatches2),
       SetWatches2{0x100000001, {"/d"}, {}, {"/c"}, {"/p"}, {"/r"}}},
      {h(24, OpCode::kAddWatch), AddWatchRequest{"/w", kAddWatchPersistent}},
      {h(25, OpCode::kWhoAmI), NoBody{}},
      {h(26, OpCode::kCloseSession), NoBody{}},
  };
}

// The body (frame stripped) of a request.
inline Bytes request_body(const SampleRequest& s) {
  return encode_request(s.header, s.body).substr(kFrameLengthBytes);
}

// Connect request bodies: 3.8-style with and without readOnly, and a new session's empty passwd.
inline std::vector<ConnectRequest> connect_requests() {
  return {
      ConnectRequest{0, 0, 30000, 0, std::string(16, '\0'), false, true},
      ConnectRequest{0, 0x200000005, 10000, 0x0102030405060708, std::string(16, 'p'), true, true},
      ConnectRequest{0, 0x200000005, 10000, 0x0102030405060708, std::string(16, 'p'), false, false},
      ConnectRequest{0, 0, 4000, 0, "", false, false},
  };
}

inline Bytes connect_body(const ConnectRequest& c) {
  return encode_connect_request(c).substr(kFrameLengthBytes);
}

}  // namespace conclave::wire::samples
