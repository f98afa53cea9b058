// The replicated tree of znodes: ZooKeeper's DataTree semantics, with the write path split in
// two, as in ZooKeeper's PrepRequestProcessor and FinalRequestProcessor:
//
//   Txn txn = tree.prepare(op, request, ctx, zxid, now_ms);   // validate, resolve, decide
//   ... log encode_txn(txn) ...
//   ApplyResult r = tree.apply(txn);                          // mutate, fire watches
//
// prepare() never mutates the tree; it assumes every earlier prepared txn has been applied.
// Every failure ZooKeeper reports for a write becomes an ErrorTxn that still uses the zxid.
// apply() is deterministic (same txns -> same tree, digest and results) and never fails on a
// txn prepare() produced against the same state. Reads check ACLs and return wire responses.
//
// Single-threaded: the server's event loop owns the tree.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/zxid.h"
#include "datatree/acl_cache.h"
#include "datatree/auth.h"
#include "datatree/node.h"
#include "datatree/txn.h"
#include "datatree/watch_registry.h"
#include "wire/records.h"

namespace conclave::datatree {

// ephemeralOwner encodings (EphemeralType).
constexpr int64_t kContainerOwner = static_cast<int64_t>(0x8000000000000000ull);
constexpr uint64_t kExtendedOwnerMask = 0xff00000000000000ull;
constexpr uint64_t kExtendedFeatureMask = 0x00ffff0000000000ull;
constexpr int64_t kTtlMaxMs = 0x000000ffffffffffll;  // 40 bits, about 34 years

// CreateMode flags.
namespace create_mode {
constexpr int32_t kPersistent = 0;
constexpr int32_t kEphemeral = 1;
constexpr int32_t kPersistentSequential = 2;
constexpr int32_t kEphemeralSequential = 3;
constexpr int32_t kContainer = 4;
constexpr int32_t kPersistentWithTtl = 5;
constexpr int32_t kPersistentSequentialWithTtl = 6;
}  // namespace create_mode

enum class NodeKind { kPersistent, kEphemeral, kContainer, kTtl };

// A write as the server decoded it. deleteContainer (20) is a DeleteRequest.
using WriteRequest = std::variant<wire::CreateRequest, wire::CreateTtlRequest, wire::DeleteRequest,
                                  wire::SetDataRequest, wire::SetAclRequest,
                                  wire::CheckVersionRequest, wire::MultiRequest>;

struct ApplyResult {
  ErrorCode err = ErrorCode::kOk;
  std::string path;  // the created path (with its sequential suffix)
  wire::Stat stat;   // create2 / setData / setACL
  std::vector<wire::MultiResult> multi_results;
  std::vector<TriggeredWatch> events;  // deliver after the reply is allowed out
};

struct DataTreeOptions {
  // zookeeper.extendedTypesEnabled: TTL nodes. Without it createTTL is kUnimplemented.
  bool extended_types_enabled = false;
  // ZOOKEEPER-2590 (3.8.4+, 3.9.2+): exists() needs READ on an existing node. Older releases
  // (3.8.0 as packaged by Debian) skip the check.
  bool exists_checks_read_acl = true;
};

class DataTree {
 public:
  explicit DataTree(DataTreeOptions options = {});
  DataTree(const DataTree&) = delete;
  DataTree& operator=(const DataTree&) = delete;

  // ---- write path ----
  Txn prepare(wire::OpCode op, const WriteRequest& req, const RequestContext& ctx, Zxid zxid,
              int64_t now_ms) const;
  Txn prepare_create_session(SessionId session_id, int32_t timeout_ms, Zxid zxid, int64_t now_ms,
                             Bytes password = {}) const;
  // The session's ephemerals become the txn's paths_to_delete.
  Txn prepare_close_session(SessionId session_id, Zxid zxid, int64_t now_ms) const;
  ApplyResult apply(const Txn& txn);

  // ---- read path (ACL-checked) ----
  // Watches are set for `watcher` when the request asks for one, as ZooKeeper does:
  // getData/getChildren only on an existing node, exists also on a missing one.
  Result<wire::GetDataResponse> get_data(const wire::GetDataRequest& req, const RequestContext& ctx,
                                         WatcherId watcher);
  // A missing node is kNoNode (the server answers exists with an error header).
  Result<wire::ExistsResponse> exists(const wire::ExistsRequest& req, const RequestContext& ctx,
                                      WatcherId watcher);
  // Children sorted by name (ZooKeeper returns hash order; clients must not depend on it).
  Result<wire::GetChildren2Response> get_children(const wire::GetChildrenRequest& req,
                                                  const RequestContext& ctx, WatcherId watcher);
  // Needs READ or ADMIN; without ADMIN, digest ids are masked as "user:x".
  Result<wire::GetAclResponse> get_acl(const wire::GetAclRequest& req,
                                       const RequestContext& ctx) const;
  // The caller's own ephemerals under `prefix` (empty or "/" for all), sorted.
  std::vector<std::string> get_ephemerals(SessionId session_id, std::string_view prefix) const;
  // Every descendant of `path`.
  Result<int32_t> get_all_children_number(std::string_view path, const RequestContext& ctx) const;
  // Per-op results (getData / getChildren), each failure an error result of its own.
  std::vector<wire::MultiResult> multi_read(const wire::MultiRequest& req,
                                            const RequestContext& ctx, WatcherId watcher);

  // ---- watches ----
  WatchRegistry& watches() { return watches_; }
  const WatchRegistry& watches() const { return watches_; }
  Status add_watch(const wire::AddWatchRequest& req, WatcherId watcher);
  // setWatches / setWatches2 on reconnect: returns the events to fire now.
  std::vector<TriggeredWatch> set_watches(const wire::SetWatches2& req, WatcherId watcher);

  // ---- container and TTL cleanup ----
  // Empty containers that once had a child (or that never had one for longer than
  // `never_used_interval_ms`, when non-zero), and childless TTL nodes whose mtime + ttl is
  // before `now_ms`; sorted, at most `count_max`. Each becomes a deleteContainer write.
  std::vector<std::string> expired_nodes(int64_t now_ms, size_t count_max,
                                         int64_t never_used_interval_ms = 0) const;

  // ---- replicated sessions ----
  const std::map<SessionId, int32_t>& sessions() const { return sessions_; }
  // The password replicated with the session; null for an unknown session, empty for one
  // created by a version-1 transaction (before passwords were replicated).
  const Bytes* session_password(SessionId id) const {
    auto it = session_passwords_.find(id);
    return it == session_passwords_.end() ? nullptr : &it->second;
  }

  // ---- state ----
  uint64_t digest() const { return digest_; }
  Zxid last_applied_zxid() const { return last_applied_zxid_; }
  size_t node_count() const { return nodes_.size(); }
  int64_t approximate_data_size() const { return data_size_; }
  size_t ephemeral_count() const;
  size_t acl_cache_size() const { return acls_.size(); }
  const DataTreeOptions& options() const { return options_; }
  // The client-visible Stat of a node, if it exists (no ACL check; for the server and tests).
  std::optional<wire::Stat> stat_of(std::string_view path) const;
  NodeKind kind_of_owner(int64_t ephemeral_owner) const;

  // ---- snapshots ----
  // The whole replicated state at last_applied_zxid(): nodes, ACL table, sessions, digest.
  wire::Bytes serialize_snapshot() const;
  // Bounds-checked; recomputes the digest and fails with kDataInconsistency on a mismatch.
  static Result<std::unique_ptr<DataTree>> load_snapshot(std::string_view bytes,
                                                         DataTreeOptions options = {});

 private:
  using NodeMap = std::unordered_map<std::string, Node, StringHash, std::equal_to<>>;

  // The state prepare() sees: the tree plus the earlier sub-ops of the multi being prepared.
  struct NodeView {
    StatPersisted stat;
    int32_t child_count = 0;
    const wire::AclList* acl = nullptr;
    int64_t data_length = 0;
  };
  class PrepareView;

  Node* find(std::string_view path);
  const Node* find(std::string_view path) const;
  wire::Stat to_wire_stat(const Node& n) const;
  uint64_t node_hash(std::string_view path, const Node& n) const;

  Result<SubTxn> prepare_op(wire::OpCode op, const WriteRequest& req, const RequestContext& ctx,
                            int64_t now_ms, PrepareView& view) const;
  Result<SubTxn> prepare_create(wire::OpCode op, const std::string& path, const Bytes& data,
                                const wire::AclList& acl, int32_t flags, int64_t ttl,
                                const RequestContext& ctx, PrepareView& view) const;

  ErrorCode apply_create(const TxnHeader& h, const CreateTxn& t, ApplyResult& r);
  ErrorCode apply_delete(const TxnHeader& h, std::string_view path, ApplyResult& r);
  ErrorCode apply_set_data(const TxnHeader& h, const SetDataTxn& t, ApplyResult& r);
  ErrorCode apply_set_acl(const TxnHeader& h, const SetAclTxn& t, ApplyResult& r);
  void apply_multi(const TxnHeader& h, const MultiTxn& t, ApplyResult& r);
  void apply_close_session(const TxnHeader& h, const CloseSessionTxn& t, ApplyResult& r);

  // Index bookkeeping for a node entering or leaving the tree.
  void index_node(const std::string& path, const Node& n);
  void unindex_node(const std::string& path, const Node& n);
  void add_builtin_node(const std::string& path, wire::AclList acl, StatPersisted stat);
  void recompute_digest();

  DataTreeOptions options_;
  NodeMap nodes_;
  AclCache acls_;
  WatchRegistry watches_;
  std::map<SessionId, int32_t> sessions_;
  std::map<SessionId, Bytes> session_passwords_;
  std::unordered_map<SessionId, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttls_;
  uint64_t digest_ = 0;
  Zxid last_applied_zxid_ = 0;
  int64_t data_size_ = 0;
};

}  // namespace conclave::datatree
