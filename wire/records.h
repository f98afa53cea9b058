// Every record of the ZooKeeper 3.8/3.9 client protocol (zookeeper.jute), as plain structs,
// with jute encode/decode overloads. Field order is the wire order.
//
// decode() reads into a struct and leaves failure in the reader (`r.ok()`), so a caller
// decodes a whole packet and checks once. Encoders never fail.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "wire/data_types.h"
#include "wire/jute.h"
#include "wire/opcode.h"

namespace conclave::wire {

// ---- Connect handshake (not framed by a RequestHeader) ----

struct ConnectRequest {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  Bytes passwd;
  bool read_only = false;
  bool has_read_only = false;  // 45-byte form (3.8 clients append it by hand; 3.9 in jute)
  bool operator==(const ConnectRequest&) const = default;
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  Bytes passwd;
  bool read_only = false;
  bool has_read_only = true;  // answer in the form the client used
  bool operator==(const ConnectResponse&) const = default;
};

// ---- Headers ----

struct RequestHeader {
  int32_t xid = 0;
  int32_t type = 0;  // an OpCode; kept as int so unknown opcodes decode and get an error reply
  bool operator==(const RequestHeader&) const = default;
};

struct ReplyHeader {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
  bool operator==(const ReplyHeader&) const = default;
};

// Watcher event types (Watcher.Event.EventType) and keeper states.
enum class EventType : int32_t {
  kNone = -1,
  kNodeCreated = 1,
  kNodeDeleted = 2,
  kNodeDataChanged = 3,
  kNodeChildrenChanged = 4,
  kDataWatchRemoved = 5,
  kChildWatchRemoved = 6,
  kPersistentWatchRemoved = 7,
};

enum class KeeperState : int32_t {
  kUnknown = -1,
  kDisconnected = 0,
  kNoSyncConnected = 1,
  kSyncConnected = 3,
  kAuthFailed = 4,
  kConnectedReadOnly = 5,
  kSaslAuthenticated = 6,
  kExpired = -112,
  kClosed = 7,
};

struct WatcherEvent {
  int32_t type = 0;   // EventType
  int32_t state = 0;  // KeeperState
  std::string path;
  bool operator==(const WatcherEvent&) const = default;
};

// ---- Requests and responses, by opcode ----

struct AuthPacket {  // opcode 100, xid -4
  int32_t type = 0;
  std::string scheme;
  Bytes auth;
  bool operator==(const AuthPacket&) const = default;
};

struct CreateRequest {  // create 1, create2 15, createContainer 19
  std::string path;
  Bytes data;
  AclList acl;
  int32_t flags = 0;  // CreateMode
  bool operator==(const CreateRequest&) const = default;
};

struct CreateTtlRequest {  // createTTL 21
  std::string path;
  Bytes data;
  AclList acl;
  int32_t flags = 0;
  int64_t ttl = 0;
  bool operator==(const CreateTtlRequest&) const = default;
};

struct CreateResponse {
  std::string path;
  bool operator==(const CreateResponse&) const = default;
};

struct Create2Response {
  std::string path;
  Stat stat;
  bool operator==(const Create2Response&) const = default;
};

struct DeleteRequest {  // delete 2, deleteContainer 20
  std::string path;
  int32_t version = -1;
  bool operator==(const DeleteRequest&) const = default;
};

struct ExistsRequest {
  std::string path;
  bool watch = false;
  bool operator==(const ExistsRequest&) const = default;
};

struct ExistsResponse {
  Stat stat;
  bool operator==(const ExistsResponse&) const = default;
};

struct GetDataRequest {
  std::string path;
  bool watch = false;
  bool operator==(const GetDataRequest&) const = default;
};

struct GetDataResponse {
  Bytes data;
  Stat stat;
  bool operator==(const GetDataResponse&) const = default;
};

struct SetDataRequest {
  std::string path;
  Bytes data;
  int32_t version = -1;
  bool operator==(const SetDataRequest&) const = default;
};

struct SetDataResponse {
  Stat stat;
  bool operator==(const SetDataResponse&) const = default;
};

struct GetAclRequest {
  std::string path;
  bool operator==(const GetAclRequest&) const = default;
};

struct GetAclResponse {
  AclList acl;
  Stat stat;
  bool operator==(const GetAclResponse&) const = default;
};

struct SetAclRequest {
  std::string path;
  AclList acl;
  int32_t version = -1;
  bool operator==(const SetAclRequest&) const = default;
};

struct SetAclResponse {
  Stat stat;
  bool operator==(const SetAclResponse&) const = default;
};

struct GetChildrenRequest {  // getChildren 8 and getChildren2 12 share the request
  std::string path;
  bool watch = false;
  bool operator==(const GetChildrenRequest&) const = default;
};

struct GetChildrenResponse {
  std::vector<std::string> children;
  bool operator==(const GetChildrenResponse&) const = default;
};

struct GetChildren2Response {
  std::vector<std::string> children;
  Stat stat;
  bool operator==(const GetChildren2Response&) const = default;
};

struct SyncRequest {
  std::string path;
  bool operator==(const SyncRequest&) const = default;
};

struct SyncResponse {
  std::string path;
  bool operator==(const SyncResponse&) const = default;
};

struct CheckVersionRequest {
  std::string path;
  int32_t version = -1;
  bool operator==(const CheckVersionRequest&) const = default;
};

struct CheckWatchesRequest {  // checkWatches 17
  std::string path;
  int32_t type = 0;  // WatcherType
  bool operator==(const CheckWatchesRequest&) const = default;
};

struct RemoveWatchesRequest {  // removeWatches 18
  std::string path;
  int32_t type = 0;  // WatcherType
  bool operator==(const RemoveWatchesRequest&) const = default;
};

// Watcher.WatcherType, for check/removeWatches.
enum class WatcherType : int32_t {
  kChildren = 1,
  kData = 2,
  kAny = 3,
  kPersistent = 4,
  kPersistentRecursive = 5,
};

struct GetEphemeralsRequest {
  std::string prefix_path;
  bool operator==(const GetEphemeralsRequest&) const = default;
};

struct GetEphemeralsResponse {
  std::vector<std::string> ephemerals;
  bool operator==(const GetEphemeralsResponse&) const = default;
};

struct GetAllChildrenNumberRequest {
  std::string path;
  bool operator==(const GetAllChildrenNumberRequest&) const = default;
};

struct GetAllChildrenNumberResponse {
  int32_t total_number = 0;
  bool operator==(const GetAllChildrenNumberResponse&) const = default;
};

struct SetWatches {  // setWatches 101
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  bool operator==(const SetWatches&) const = default;
};

struct SetWatches2 {  // setWatches2 105
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;
  bool operator==(const SetWatches2&) const = default;
};

// AddWatchModes.
constexpr int32_t kAddWatchPersistent = 0;
constexpr int32_t kAddWatchPersistentRecursive = 1;

struct AddWatchRequest {  // addWatch 106
  std::string path;
  int32_t mode = 0;
  bool operator==(const AddWatchRequest&) const = default;
};

struct ClientInfo {
  std::string auth_scheme;
  std::string user;
  bool operator==(const ClientInfo&) const = default;
};

struct WhoAmIResponse {  // whoAmI 107 (the request has no body)
  std::vector<ClientInfo> client_info;
  bool operator==(const WhoAmIResponse&) const = default;
};

struct ErrorResponse {  // a failed op inside a multi response; addWatch's reply body
  int32_t err = 0;
  bool operator==(const ErrorResponse&) const = default;
};

struct ReconfigRequest {  // reconfig 16 (the reply is a GetDataResponse of /zookeeper/config)
  std::string joining_servers;
  std::string leaving_servers;
  std::string new_members;
  int64_t cur_config_id = -1;
  bool operator==(const ReconfigRequest&) const = default;
};

struct GetSaslRequest {  // sasl 102
  Bytes token;
  bool operator==(const GetSaslRequest&) const = default;
};

struct SetSaslResponse {  // the reply to sasl 102
  Bytes token;
  bool operator==(const SetSaslResponse&) const = default;
};

// ---- multi (14) and multiRead (22) ----

struct MultiHeader {
  int32_t type = 0;
  bool done = false;
  int32_t err = 0;
  bool operator==(const MultiHeader&) const = default;
};

// One operation inside a multi request. The allowed types are checked by decode():
// multi takes create/create2/createTTL/createContainer/delete/setData/check,
// multiRead takes getData/getChildren.
using MultiOp = std::variant<CreateRequest, CreateTtlRequest, DeleteRequest, SetDataRequest,
                             CheckVersionRequest, GetDataRequest, GetChildrenRequest>;

struct MultiOpEntry {
  OpCode type = OpCode::kError;  // which opcode the entry was sent as (create vs create2 ...)
  MultiOp op;
  bool operator==(const MultiOpEntry&) const = default;
};

struct MultiRequest {
  std::vector<MultiOpEntry> ops;
  bool operator==(const MultiRequest&) const = default;
};

// One result inside a multi response, tagged by its opcode; errors are OpCode::kError.
struct MultiResult {
  OpCode type = OpCode::kError;
  int32_t err = 0;                    // for kError results
  std::string path;                   // create / create2
  Stat stat;                          // create2 / setData / getData
  Bytes data;                         // getData (multiRead)
  std::vector<std::string> children;  // getChildren (multiRead)
  bool operator==(const MultiResult&) const = default;
};

struct MultiResponse {
  std::vector<MultiResult> results;
  bool operator==(const MultiResponse&) const = default;
};

// ---- Sizes the decoders rely on ----

// A MultiHeader on the wire: int type, boolean done, int err.
constexpr size_t kMultiHeaderBytes = 9;
// The fixed part of a ConnectRequest (everything but the passwd bytes and readOnly).
constexpr size_t kConnectRequestFixedBytes = 28;
// A session password as every ZooKeeper server issues it.
constexpr size_t kSessionPasswdBytes = 16;

// ---- multi op kinds ----

// Which ops a multi may hold: a multi (14) only writes, a multiRead (22) only reads, and a
// multi decoded without knowing its opcode may hold either kind but never both (as
// MultiOperationRecord refuses to mix them).
enum class MultiKind { kAny, kWrite, kRead };

bool is_multi_write_op(
    OpCode type);  // create, create2, createTTL, createContainer, delete, setData, check
bool is_multi_read_op(OpCode type);  // getData, getChildren

// ---- encode / decode, one pair per record ----
//
// ConnectRequest / ConnectResponse: decode reads the trailing readOnly byte when at least
// one byte is left after passwd (the 45/37-byte form) and records that in has_read_only;
// encode writes it only when has_read_only.

void encode(JuteWriter& w, const ConnectRequest& v);
void encode(JuteWriter& w, const ConnectResponse& v);
void encode(JuteWriter& w, const RequestHeader& v);
void encode(JuteWriter& w, const ReplyHeader& v);
void encode(JuteWriter& w, const WatcherEvent& v);
void encode(JuteWriter& w, const AuthPacket& v);
void encode(JuteWriter& w, const CreateRequest& v);
void encode(JuteWriter& w, const CreateTtlRequest& v);
void encode(JuteWriter& w, const CreateResponse& v);
void encode(JuteWriter& w, const Create2Response& v);
void encode(JuteWriter& w, const DeleteRequest& v);
void encode(JuteWriter& w, const ExistsRequest& v);
void encode(JuteWriter& w, const ExistsResponse& v);
void encode(JuteWriter& w, const GetDataRequest& v);
void encode(JuteWriter& w, const GetDataResponse& v);
void encode(JuteWriter& w, const SetDataRequest& v);
void encode(JuteWriter& w, const SetDataResponse& v);
void encode(JuteWriter& w, const GetAclRequest& v);
void encode(JuteWriter& w, const GetAclResponse& v);
void encode(JuteWriter& w, const SetAclRequest& v);
void encode(JuteWriter& w, const SetAclResponse& v);
void encode(JuteWriter& w, const GetChildrenRequest& v);
void encode(JuteWriter& w, const GetChildrenResponse& v);
void encode(JuteWriter& w, const GetChildren2Response& v);
void encode(JuteWriter& w, const SyncRequest& v);
void encode(JuteWriter& w, const SyncResponse& v);
void encode(JuteWriter& w, const CheckVersionRequest& v);
void encode(JuteWriter& w, const CheckWatchesRequest& v);
void encode(JuteWriter& w, const RemoveWatchesRequest& v);
void encode(JuteWriter& w, const GetEphemeralsRequest& v);
void encode(JuteWriter& w, const GetEphemeralsResponse& v);
void encode(JuteWriter& w, const GetAllChildrenNumberRequest& v);
void encode(JuteWriter& w, const GetAllChildrenNumberResponse& v);
void encode(JuteWriter& w, const SetWatches& v);
void encode(JuteWriter& w, const SetWatches2& v);
void encode(JuteWriter& w, const AddWatchRequest& v);
void encode(JuteWriter& w, const ClientInfo& v);
void encode(JuteWriter& w, const WhoAmIResponse& v);
void encode(JuteWriter& w, const ErrorResponse& v);
void encode(JuteWriter& w, const ReconfigRequest& v);
void encode(JuteWriter& w, const GetSaslRequest& v);
void encode(JuteWriter& w, const SetSaslResponse& v);
void encode(JuteWriter& w, const MultiHeader& v);
// Each op as MultiHeader{type, false, -1} + its record, then MultiHeader{-1, true, -1}.
// The entry's type must match its record (asserted).
void encode(JuteWriter& w, const MultiRequest& v);
// Each result as MultiHeader{type, false, err} + its record, then MultiHeader{-1, true, -1}.
// err is 0 except for error results (type -1), which carry their code in the header and in
// ErrorResponse. createTTL and createContainer results go out as create2 (15), the only
// create-with-stat type a client decodes (OpResult.CreateResult always reports create2).
void encode(JuteWriter& w, const MultiResponse& v);

void decode(JuteReader& r, ConnectRequest& v);
void decode(JuteReader& r, ConnectResponse& v);
void decode(JuteReader& r, RequestHeader& v);
void decode(JuteReader& r, ReplyHeader& v);
void decode(JuteReader& r, WatcherEvent& v);
void decode(JuteReader& r, AuthPacket& v);
void decode(JuteReader& r, CreateRequest& v);
void decode(JuteReader& r, CreateTtlRequest& v);
void decode(JuteReader& r, CreateResponse& v);
void decode(JuteReader& r, Create2Response& v);
void decode(JuteReader& r, DeleteRequest& v);
void decode(JuteReader& r, ExistsRequest& v);
void decode(JuteReader& r, ExistsResponse& v);
void decode(JuteReader& r, GetDataRequest& v);
void decode(JuteReader& r, GetDataResponse& v);
void decode(JuteReader& r, SetDataRequest& v);
void decode(JuteReader& r, SetDataResponse& v);
void decode(JuteReader& r, GetAclRequest& v);
void decode(JuteReader& r, GetAclResponse& v);
void decode(JuteReader& r, SetAclRequest& v);
void decode(JuteReader& r, SetAclResponse& v);
void decode(JuteReader& r, GetChildrenRequest& v);
void decode(JuteReader& r, GetChildrenResponse& v);
void decode(JuteReader& r, GetChildren2Response& v);
void decode(JuteReader& r, SyncRequest& v);
void decode(JuteReader& r, SyncResponse& v);
void decode(JuteReader& r, CheckVersionRequest& v);
void decode(JuteReader& r, CheckWatchesRequest& v);
void decode(JuteReader& r, RemoveWatchesRequest& v);
void decode(JuteReader& r, GetEphemeralsRequest& v);
void decode(JuteReader& r, GetEphemeralsResponse& v);
void decode(JuteReader& r, GetAllChildrenNumberRequest& v);
void decode(JuteReader& r, GetAllChildrenNumberResponse& v);
void decode(JuteReader& r, SetWatches& v);
void decode(JuteReader& r, SetWatches2& v);
void decode(JuteReader& r, AddWatchRequest& v);
void decode(JuteReader& r, ClientInfo& v);
void decode(JuteReader& r, WhoAmIResponse& v);
void decode(JuteReader& r, ErrorResponse& v);
void decode(JuteReader& r, ReconfigRequest& v);
void decode(JuteReader& r, GetSaslRequest& v);
void decode(JuteReader& r, SetSaslResponse& v);
void decode(JuteReader& r, MultiHeader& v);
// Reads ops until a header with done set. Fails the reader on an op type `kind` does not
// allow, on mixed kinds (kAny), or on a truncated record. The loop is bounded by the bytes
// left: every op costs at least a kMultiHeaderBytes header.
void decode_multi(JuteReader& r, MultiRequest& v, MultiKind kind);
void decode(JuteReader& r, MultiRequest& v);  // decode_multi(r, v, MultiKind::kAny)
// Reads results until a header with done set; an unknown result type fails the reader.
void decode(JuteReader& r, MultiResponse& v);

}  // namespace conclave::wire
