// Transactions: deterministic, fully resolved tree changes, decided once by prepare() and then
// logged, replicated and applied everywhere. Nothing in a transaction depends on the applying
// member's clock, sessions or connections.
//
// Log encoding (jute, Conclave's own format, versioned by kTxnFormatVersion; version 1, without
// the session password, is still read):
//   int version; TxnHeader{long session_id; int cxid; long zxid; long time_ms; int type};
//   int body_kind; body fields (see txn.cc), where a MultiTxn body is
//   int count; count x (int type; int body_kind; body).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/result.h"
#include "common/zxid.h"
#include "wire/data_types.h"
#include "wire/jute.h"
#include "wire/opcode.h"

namespace conclave::datatree {

using wire::Bytes;

constexpr int32_t kTxnFormatVersion = 2;
// Sub-transactions of one multi; ZooKeeper has no limit but the packet size bounds it, and a
// decoder must not trust a count.
constexpr int32_t kMultiOpsMax = 100'000;

struct TxnHeader {
  SessionId session_id = 0;
  int32_t cxid = 0;
  Zxid zxid = 0;
  int64_t time_ms = 0;
  // The request's opcode (create2, createTTL, ... so replies keep their shape), kMulti,
  // kCreateSession / kCloseSession, or kError for a write that failed in prepare.
  wire::OpCode type = wire::OpCode::kError;
  bool operator==(const TxnHeader&) const = default;
};

// Every kind of node creation. ephemeral_owner is resolved: 0 persistent, the session id for an
// ephemeral, kContainerOwner for a container, a TTL encoding for a TTL node.
struct CreateTxn {
  std::string path;  // with the sequential suffix already appended
  Bytes data;
  wire::AclList acl;  // fixed up (auth expanded, duplicates dropped)
  int64_t ephemeral_owner = 0;
  int32_t parent_cversion = 0;  // the parent's new (internal) cversion
  bool operator==(const CreateTxn&) const = default;
};

struct DeleteTxn {
  std::string path;
  bool operator==(const DeleteTxn&) const = default;
};

struct SetDataTxn {
  std::string path;
  Bytes data;
  int32_t version = 0;  // the new version
  bool operator==(const SetDataTxn&) const = default;
};

struct SetAclTxn {
  std::string path;
  wire::AclList acl;
  int32_t aversion = 0;  // the new aversion
  bool operator==(const SetAclTxn&) const = default;
};

struct CheckVersionTxn {
  std::string path;
  int32_t version = 0;
  bool operator==(const CheckVersionTxn&) const = default;
};

struct CreateSessionTxn {
  int32_t timeout_ms = 0;
  // The password the creating member handed the client: replicated, so that the session can
  // move to any member (empty in version-1 logs: the creating member's secret checks it).
  Bytes password{};
  bool operator==(const CreateSessionTxn&) const = default;
};

struct CloseSessionTxn {
  std::vector<std::string> paths_to_delete;  // sorted
  bool operator==(const CloseSessionTxn&) const = default;
};

struct ErrorTxn {
  ErrorCode err = ErrorCode::kOk;
  bool operator==(const ErrorTxn&) const = default;
};

// The bodies allowed inside a multi.
using SubTxnBody = std::variant<CreateTxn, DeleteTxn, SetDataTxn, CheckVersionTxn, ErrorTxn>;

struct SubTxn {
  wire::OpCode type = wire::OpCode::kError;  // the sub-request's opcode, or kError
  SubTxnBody body;
  bool operator==(const SubTxn&) const = default;
};

struct MultiTxn {
  std::vector<SubTxn> txns;
  bool operator==(const MultiTxn&) const = default;
};

using TxnBody = std::variant<CreateTxn, DeleteTxn, SetDataTxn, SetAclTxn, CheckVersionTxn,
                             CreateSessionTxn, CloseSessionTxn, ErrorTxn, MultiTxn>;

struct Txn {
  TxnHeader header;
  TxnBody body;
  bool operator==(const Txn&) const = default;
};

Bytes encode_txn(const Txn& txn);
// Bounds-checked: any malformed input gives kMarshallingError, never a crash.
Result<Txn> decode_txn(std::string_view bytes);

}  // namespace conclave::datatree
