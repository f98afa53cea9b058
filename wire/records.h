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
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  Bytes passwd;
  bool read_only = false;
  bool has_read_only = true;  // answer in the form the client used
};

// ---- Headers ----

struct RequestHeader {
  int32_t xid = 0;
  int32_t type = 0;  // an OpCode; kept as int so unknown opcodes decode and get an error reply
};

struct ReplyHeader {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
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
};

// ---- Requests and responses, by opcode ----

struct AuthPacket {  // opcode 100, xid -4
  int32_t type = 0;
  std::string scheme;
  Bytes auth;
};

struct CreateRequest {  // create 1, create2 15, createContainer 19
  std::string path;
  Bytes data;
  AclList acl;
  int32_t flags = 0;  // CreateMode
};

struct CreateTtlRequest {  // createTTL 21
  std::string path;
  Bytes data;
  AclList acl;
  int32_t flags = 0;
  int64_t ttl = 0;
};

struct CreateResponse {
  std::string path;
};

struct Create2Response {
  std::string path;
  Stat stat;
};

struct DeleteRequest {  // delete 2, deleteContainer 20
  std::string path;
  int32_t version = -1;
};

struct ExistsRequest {
  std::string path;
  bool watch = false;
};

struct ExistsResponse {
  Stat stat;
};

struct GetDataRequest {
  std::string path;
  bool watch = false;
};

struct GetDataResponse {
  Bytes data;
  Stat stat;
};

struct SetDataRequest {
  std::string path;
  Bytes data;
  int32_t version = -1;
};

struct SetDataResponse {
  Stat stat;
};

struct GetAclRequest {
  std::string path;
};

struct GetAclResponse {
  AclList acl;
  Stat stat;
};

struct SetAclRequest {
  std::string path;
  AclList acl;
  int32_t version = -1;
};

struct SetAclResponse {
  Stat stat;
};

struct GetChildrenRequest {  // getChildren 8 and getChildren2 12 share the request
  std::string path;
  bool watch = false;
};

struct GetChildrenResponse {
  std::vector<std::string> children;
};

struct GetChildren2Response {
  std::vector<std::string> children;
  Stat stat;
};

struct SyncRequest {
  std::string path;
};

struct SyncResponse {
  std::string path;
};

struct CheckVersionRequest {
  std::string path;
  int32_t version = -1;
};

struct CheckWatchesRequest {  // checkWatches 17
  std::string path;
  int32_t type = 0;  // WatcherType
};

struct RemoveWatchesRequest {  // removeWatches 18
  std::string path;
  int32_t type = 0;  // WatcherType
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
};

struct GetEphemeralsResponse {
  std::vector<std::string> ephemerals;
};

struct GetAllChildrenNumberRequest {
  std::string path;
};

struct GetAllChildrenNumberResponse {
  int32_t total_number = 0;
};

struct SetWatches {  // setWatches 101
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
};

struct SetWatches2 {  // setWatches2 105
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;
};

// AddWatchModes.
constexpr int32_t kAddWatchPersistent = 0;
constexpr int32_t kAddWatchPersistentRecursive = 1;

struct AddWatchRequest {  // addWatch 106
  std::string path;
  int32_t mode = 0;
};

struct ClientInfo {
  std::string auth_scheme;
  std::string user;
};

struct WhoAmIResponse {  // whoAmI 107 (the request has no body)
  std::vector<ClientInfo> client_info;
};

struct ErrorResponse {  // a failed op inside a multi response
  int32_t err = 0;
};

// ---- multi (14) and multiRead (22) ----

struct MultiHeader {
  int32_t type = 0;
  bool done = false;
  int32_t err = 0;
};

// One operation inside a multi request. The allowed types are checked by decode():
// multi takes create/create2/createTTL/createContainer/delete/setData/check,
// multiRead takes getData/getChildren.
using MultiOp = std::variant<CreateRequest, CreateTtlRequest, DeleteRequest, SetDataRequest,
                             CheckVersionRequest, GetDataRequest, GetChildrenRequest>;

struct MultiOpEntry {
  OpCode type = OpCode::kError;  // which opcode the entry was sent as (create vs create2 ...)
  MultiOp op;
};

struct MultiRequest {
  std::vector<MultiOpEntry> ops;
};

// One result inside a multi response, tagged by its opcode; errors are OpCode::kError.
struct MultiResult {
  OpCode type = OpCode::kError;
  int32_t err = 0;             // for kError results
  std::string path;            // create / create2
  Stat stat;                   // create2 / setData / getData
  Bytes data;                  // getData (multiRead)
  std::vector<std::string> children;  // getChildren (multiRead)
};

struct MultiResponse {
  std::vector<MultiResult> results;
};

}  // namespace conclave::wire
