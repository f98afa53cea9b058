#include "datatree/data_tree.h"

#include <algorithm>
#include <cstdio>

#include "datatree/digest.h"
#include "datatree/path.h"

namespace conclave::datatree {
namespace {

using wire::OpCode;

constexpr std::string_view kRootPath = "/";
constexpr std::string_view kZookeeperPath = "/zookeeper";
constexpr std::string_view kQuotaPath = "/zookeeper/quota";
constexpr std::string_view kConfigPath = "/zookeeper/config";

// Reads look "" up as the root: ZooKeeper's node map holds the root under "" too (the
// parent of "/a" is ""), so getData("") answers with the root rather than NoNode.
std::string_view read_key(std::string_view path) {
  return path.empty() ? kRootPath : path;
}

// Snapshot framing.
constexpr int32_t kSnapshotMagic = 0x434e534e;  // "CNSN"
// Version 2 adds each session's password; version 1 is still read.
constexpr int32_t kSnapshotVersion = 2;
// Smallest encodings, to bound counts read from a snapshot.
constexpr size_t kAclEntryBytesMin = 8 + 4;
constexpr size_t kSessionBytesMin = 8 + 4;
constexpr size_t kNodeBytesMin = 4 + 4 + 8 + 60;
// A multiRead result of an op type that is not a read.
constexpr ErrorCode kNotAReadOp = ErrorCode::kMarshallingError;

// Java int arithmetic: wraps instead of overflowing.
int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

bool is_special_path(std::string_view path) {
  return path == kRootPath || path == kZookeeperPath || path == kQuotaPath || path == kConfigPath;
}

// ZooKeeper's `path.substring(0, lastSlash)`, with the root's empty key spelled "/".
std::string_view parent_key(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == 0) return kRootPath;
  return path.substr(0, slash);
}

Error fail(ErrorCode code, std::string_view path) {
  return Error(code, std::string(path));
}

wire::MultiResult error_result(ErrorCode code) {
  wire::MultiResult r;
  r.type = OpCode::kError;
  r.err = to_int(code);
  return r;
}

void write_stat(wire::JuteWriter& w, const StatPersisted& s) {
  w.write_long(s.czxid);
  w.write_long(s.mzxid);
  w.write_long(s.ctime);
  w.write_long(s.mtime);
  w.write_int(s.version);
  w.write_int(s.cversion);
  w.write_int(s.aversion);
  w.write_long(s.ephemeral_owner);
  w.write_long(s.pzxid);
}

void read_stat(wire::JuteReader& r, StatPersisted& s) {
  s.czxid = r.read_long();
  s.mzxid = r.read_long();
  s.ctime = r.read_long();
  s.mtime = r.read_long();
  s.version = r.read_int();
  s.cversion = r.read_int();
  s.aversion = r.read_int();
  s.ephemeral_owner = r.read_long();
  s.pzxid = r.read_long();
}

}  // namespace

// ---- the view prepare() works on ----

class DataTree::PrepareView {
 public:
  explicit PrepareView(const DataTree& tree) : tree_(tree) {}

  std::optional<NodeView> get(std::string_view path) const {
    if (auto it = overlay_.find(path); it != overlay_.end()) return it->second;
    const Node* n = tree_.find(path);
    if (n == nullptr) return std::nullopt;
    return NodeView{n->stat, static_cast<int32_t>(n->children.size()), &tree_.acls_.get(n->acl),
                    static_cast<int64_t>(n->data.size())};
  }
  void put(std::string_view path, std::optional<NodeView> v) {
    overlay_.insert_or_assign(std::string(path), v);
  }
  // Keeps an ACL alive for the rest of the prepare (a node created earlier in the multi).
  const wire::AclList* own(wire::AclList acl) {
    owned_acls_.push_back(std::make_unique<wire::AclList>(std::move(acl)));
    return owned_acls_.back().get();
  }

 private:
  const DataTree& tree_;
  std::unordered_map<std::string, std::optional<NodeView>, StringHash, std::equal_to<>> overlay_;
  std::vector<std::unique_ptr<wire::AclList>> owned_acls_;
};

// ---- construction ----

DataTree::DataTree(DataTreeOptions options) : options_(options) {
  // As a fresh ZooKeeper 3.8 shows them: all-zero stats (so "/" reports cversion -1 and
  // "/zookeeper" -2, from 2 * 0 - numChildren), and /zookeeper/config read-only with
  // aversion -1.
  add_builtin_node(std::string(kRootPath), wire::open_acl_unsafe(), {});
  add_builtin_node(std::string(kZookeeperPath), wire::open_acl_unsafe(), {});
  add_builtin_node(std::string(kQuotaPath), wire::open_acl_unsafe(), {});
  StatPersisted config_stat;
  config_stat.aversion = -1;
  add_builtin_node(std::string(kConfigPath), wire::read_acl_unsafe(), config_stat);
  recompute_digest();
}

void DataTree::add_builtin_node(const std::string& path, wire::AclList acl, StatPersisted stat) {
  Node n;
  n.acl = acls_.acquire(acl);
  n.stat = stat;
  n.data_hash = hash_bytes(n.data, 0);
  if (path != kRootPath) find(parent_key(path))->children.emplace(basename_of(path));
  data_size_ += static_cast<int64_t>(path.size());
  nodes_.emplace(path, std::move(n));
}

Node* DataTree::find(std::string_view path) {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Node* DataTree::find(std::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

NodeKind DataTree::kind_of_owner(int64_t owner) const {
  if (owner == 0) return NodeKind::kPersistent;
  if (owner == kContainerOwner) return NodeKind::kContainer;
  auto u = static_cast<uint64_t>(owner);
  if (options_.extended_types_enabled && (u & kExtendedOwnerMask) == kExtendedOwnerMask &&
      (u & kExtendedFeatureMask) == 0) {
    return NodeKind::kTtl;
  }
  return NodeKind::kEphemeral;
}

wire::Stat DataTree::to_wire_stat(const Node& n) const {
  wire::Stat s;
  s.czxid = n.stat.czxid;
  s.mzxid = n.stat.mzxid;
  s.ctime = n.stat.ctime;
  s.mtime = n.stat.mtime;
  s.version = n.stat.version;
  auto children = static_cast<int32_t>(n.children.size());
  // DataNode.copyStat: creates counted twice minus the children still present = creates +
  // deletes.
  s.cversion = static_cast<int32_t>(static_cast<uint32_t>(n.stat.cversion) * 2u -
                                    static_cast<uint32_t>(children));
  s.aversion = n.stat.aversion;
  // Containers and TTL nodes show 0 (DataNode.getClientEphemeralOwner).
  s.ephemeral_owner =
      kind_of_owner(n.stat.ephemeral_owner) == NodeKind::kEphemeral ? n.stat.ephemeral_owner : 0;
  s.data_length = static_cast<int32_t>(n.data.size());
  s.num_children = children;
  s.pzxid = n.stat.pzxid;
  return s;
}

std::optional<wire::Stat> DataTree::stat_of(std::string_view path) const {
  const Node* n = find(path);
  if (n == nullptr) return std::nullopt;
  return to_wire_stat(*n);
}

uint64_t DataTree::node_hash(std::string_view path, const Node& n) const {
  uint64_t h = hash_bytes(path, 0x6a09e667f3bcc908ull);
  h = hash_combine(h, n.data_hash);
  h = hash_combine(h, static_cast<uint64_t>(n.stat.czxid));
  h = hash_combine(h, static_cast<uint64_t>(n.stat.mzxid));
  h = hash_combine(h, static_cast<uint64_t>(n.stat.ctime));
  h = hash_combine(h, static_cast<uint64_t>(n.stat.mtime));
  h = hash_combine(h, static_cast<uint32_t>(n.stat.version));
  h = hash_combine(h, static_cast<uint32_t>(n.stat.cversion));
  h = hash_combine(h, static_cast<uint32_t>(n.stat.aversion));
  h = hash_combine(h, static_cast<uint64_t>(n.stat.ephemeral_owner));
  h = hash_combine(h, static_cast<uint64_t>(n.stat.pzxid));
  h = hash_combine(h, acls_.hash_of(n.acl));
  return h;
}

void DataTree::recompute_digest() {
  digest_ = 0;
  for (const auto& [path, n] : nodes_)
    digest_ += node_hash(path, n);
}

void DataTree::index_node(const std::string& path, const Node& n) {
  switch (kind_of_owner(n.stat.ephemeral_owner)) {
    case NodeKind::kPersistent:
      break;
    case NodeKind::kContainer:
      containers_.insert(path);
      break;
    case NodeKind::kTtl:
      ttls_.insert(path);
      break;
    case NodeKind::kEphemeral:
      ephemerals_[n.stat.ephemeral_owner].insert(path);
      break;
  }
}

void DataTree::unindex_node(const std::string& path, const Node& n) {
  switch (kind_of_owner(n.stat.ephemeral_owner)) {
    case NodeKind::kPersistent:
      break;
    case NodeKind::kContainer:
      containers_.erase(path);
      break;
    case NodeKind::kTtl:
      ttls_.erase(path);
      break;
    case NodeKind::kEphemeral: {
      auto it = ephemerals_.find(n.stat.ephemeral_owner);
      if (it != ephemerals_.end()) {
        it->second.erase(path);
        if (it->second.empty()) ephemerals_.erase(it);
      }
      break;
    }
  }
}

size_t DataTree::ephemeral_count() const {
  size_t n = 0;
  for (const auto& [s, paths] : ephemerals_)
    n += paths.size();
  return n;
}

// ---- prepare ----

Txn DataTree::prepare_create_session(SessionId session_id, int32_t timeout_ms, Zxid zxid,
                                     int64_t now_ms, Bytes password) const {
  return Txn{TxnHeader{session_id, 0, zxid, now_ms, OpCode::kCreateSession},
             CreateSessionTxn{timeout_ms, std::move(password)}};
}

Txn DataTree::prepare_close_session(SessionId session_id, Zxid zxid, int64_t now_ms) const {
  CloseSessionTxn t;
  if (auto it = ephemerals_.find(session_id); it != ephemerals_.end()) {
    t.paths_to_delete.assign(it->second.begin(), it->second.end());
  }
  return Txn{TxnHeader{session_id, 0, zxid, now_ms, OpCode::kCloseSession}, std::move(t)};
}

Result<SubTxn> DataTree::prepare_create(OpCode op, const std::string& path, const Bytes& data,
                                        const wire::AclList& acl, int32_t flags, int64_t ttl,
                                        const RequestContext& ctx, PrepareView& view) const {
  if (flags < create_mode::kPersistent || flags > create_mode::kPersistentSequentialWithTtl) {
    return Error(ErrorCode::kBadArguments, "invalid create flags " + std::to_string(flags));
  }
  const bool is_ttl = flags == create_mode::kPersistentWithTtl ||
                      flags == create_mode::kPersistentSequentialWithTtl;
  const bool is_sequential = flags == create_mode::kPersistentSequential ||
                             flags == create_mode::kEphemeralSequential ||
                             flags == create_mode::kPersistentSequentialWithTtl;
  const bool is_ephemeral =
      flags == create_mode::kEphemeral || flags == create_mode::kEphemeralSequential;
  const bool is_container = flags == create_mode::kContainer;
  // createContainer must carry the CONTAINER flag (ZooKeeper would build a container from any
  // flags here; a client never sends that).
  if (op == OpCode::kCreateContainer && !is_container) {
    return fail(ErrorCode::kBadArguments, path);
  }
  if (is_ttl && !options_.extended_types_enabled) return fail(ErrorCode::kUnimplemented, path);
  if (is_ttl ? (ttl <= 0 || ttl > kTtlMaxMs) : ttl >= 0) {
    return Error(ErrorCode::kBadArguments, "invalid ttl " + std::to_string(ttl) + " for " + path);
  }
  if (is_ephemeral && !sessions_.contains(ctx.session_id)) {
    return fail(ErrorCode::kSessionExpired, path);
  }
  if (path.find('/') == std::string::npos || path.find('\0') != std::string::npos) {
    return fail(ErrorCode::kBadArguments, path);
  }
  auto fixed = fixup_acl(acl, ctx);
  if (!fixed.ok()) return fixed.error();
  std::string_view parent_path = parent_key(path);
  auto parent = view.get(parent_path);
  if (!parent) return fail(ErrorCode::kNoNode, parent_path);
  if (!check_acl(*parent->acl, wire::perms::kCreate, ctx)) return fail(ErrorCode::kNoAuth, path);
  std::string final_path = path;
  if (is_sequential) {
    // "%010d" of the parent's internal cversion before the increment; negative after a wrap.
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "%010d", parent->stat.cversion);
    final_path += suffix;
  }
  if (auto st = validate_path(final_path); !st.ok()) return st.error();
  if (view.get(final_path)) return fail(ErrorCode::kNodeExists, final_path);
  if (kind_of_owner(parent->stat.ephemeral_owner) == NodeKind::kEphemeral) {
    return fail(ErrorCode::kNoChildrenForEphemerals, final_path);
  }
  int64_t owner = 0;
  if (is_container) {
    owner = kContainerOwner;
  } else if (is_ttl) {
    owner = static_cast<int64_t>(kExtendedOwnerMask | static_cast<uint64_t>(ttl));
  } else if (is_ephemeral) {
    owner = ctx.session_id;
  }
  CreateTxn t{final_path, data, std::move(fixed.value()), owner,
              wrap_add(parent->stat.cversion, 1)};

  NodeView p = *parent;
  p.stat.cversion = t.parent_cversion;
  ++p.child_count;
  view.put(parent_path, p);
  NodeView child;
  child.stat.ephemeral_owner = owner;
  child.acl = view.own(t.acl);
  child.data_length = static_cast<int64_t>(data.size());
  view.put(final_path, child);
  return SubTxn{op, std::move(t)};
}

Result<SubTxn> DataTree::prepare_op(OpCode op, const WriteRequest& req, const RequestContext& ctx,
                                    int64_t now_ms, PrepareView& view) const {
  switch (op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer: {
      const auto* r = std::get_if<wire::CreateRequest>(&req);
      if (r == nullptr) break;
      return prepare_create(op, r->path, r->data, r->acl, r->flags, -1, ctx, view);
    }
    case OpCode::kCreateTtl: {
      const auto* r = std::get_if<wire::CreateTtlRequest>(&req);
      if (r == nullptr) break;
      return prepare_create(op, r->path, r->data, r->acl, r->flags, r->ttl, ctx, view);
    }
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: {
      const auto* r = std::get_if<wire::DeleteRequest>(&req);
      if (r == nullptr) break;
      const std::string& path = r->path;
      if (path.find('/') == std::string::npos || path.find('\0') != std::string::npos ||
          is_special_path(path)) {
        return fail(ErrorCode::kBadArguments, path);
      }
      std::string_view parent_path = parent_key(path);
      std::optional<NodeView> parent;
      std::optional<NodeView> node;
      if (op == OpCode::kDelete) {
        parent = view.get(parent_path);
        if (!parent) return fail(ErrorCode::kNoNode, parent_path);
        if (!check_acl(*parent->acl, wire::perms::kDelete, ctx)) {
          return fail(ErrorCode::kNoAuth, path);
        }
        node = view.get(path);
        if (!node) return fail(ErrorCode::kNoNode, path);
        if (r->version != -1 && r->version != node->stat.version) {
          return fail(ErrorCode::kBadVersion, path);
        }
        if (node->child_count > 0) return fail(ErrorCode::kNotEmpty, path);
      } else {
        // The container manager's delete: no ACL check; only an empty container or an empty,
        // expired TTL node goes (rechecked here because a write may have raced the scan).
        node = view.get(path);
        if (!node) return fail(ErrorCode::kNoNode, path);
        if (node->child_count > 0) return fail(ErrorCode::kNotEmpty, path);
        NodeKind kind = kind_of_owner(node->stat.ephemeral_owner);
        if (kind == NodeKind::kTtl) {
          int64_t ttl = static_cast<int64_t>(static_cast<uint64_t>(node->stat.ephemeral_owner) &
                                             ~(kExtendedOwnerMask | kExtendedFeatureMask));
          if (now_ms - node->stat.mtime <= ttl) return fail(ErrorCode::kBadVersion, path);
        } else if (kind != NodeKind::kContainer) {
          return fail(ErrorCode::kBadVersion, path);
        }
        parent = view.get(parent_path);
        if (!parent) return fail(ErrorCode::kNoNode, parent_path);
      }
      NodeView p = *parent;
      --p.child_count;
      view.put(parent_path, p);
      view.put(path, std::nullopt);
      return SubTxn{op, DeleteTxn{path}};
    }
    case OpCode::kSetData: {
      const auto* r = std::get_if<wire::SetDataRequest>(&req);
      if (r == nullptr) break;
      if (auto st = validate_path(r->path); !st.ok()) return st.error();
      auto node = view.get(r->path);
      if (!node) return fail(ErrorCode::kNoNode, r->path);
      if (!check_acl(*node->acl, wire::perms::kWrite, ctx))
        return fail(ErrorCode::kNoAuth, r->path);
      if (r->version != -1 && r->version != node->stat.version) {
        return fail(ErrorCode::kBadVersion, r->path);
      }
      SetDataTxn t{r->path, r->data, wrap_add(node->stat.version, 1)};
      NodeView n = *node;
      n.stat.version = t.version;
      n.data_length = static_cast<int64_t>(r->data.size());
      view.put(r->path, n);
      return SubTxn{op, std::move(t)};
    }
    case OpCode::kCheck: {
      const auto* r = std::get_if<wire::CheckVersionRequest>(&req);
      if (r == nullptr) break;
      if (auto st = validate_path(r->path); !st.ok()) return st.error();
      auto node = view.get(r->path);
      if (!node) return fail(ErrorCode::kNoNode, r->path);
      if (!check_acl(*node->acl, wire::perms::kRead, ctx)) return fail(ErrorCode::kNoAuth, r->path);
      if (r->version != -1 && r->version != node->stat.version) {
        return fail(ErrorCode::kBadVersion, r->path);
      }
      return SubTxn{op, CheckVersionTxn{r->path, node->stat.version}};
    }
    default:
      break;
  }
  return Error(ErrorCode::kMarshallingError, "request does not match its opcode");
}

Txn DataTree::prepare(OpCode op, const WriteRequest& req, const RequestContext& ctx, Zxid zxid,
                      int64_t now_ms) const {
  TxnHeader header{ctx.session_id, ctx.cxid, zxid, now_ms, op};
  auto failed = [&](ErrorCode code) {
    header.type = OpCode::kError;
    return Txn{header, ErrorTxn{code}};
  };
  PrepareView view(*this);

  if (op == OpCode::kSetAcl) {
    const auto* r = std::get_if<wire::SetAclRequest>(&req);
    if (r == nullptr) return failed(ErrorCode::kMarshallingError);
    if (!validate_path(r->path).ok()) return failed(ErrorCode::kBadArguments);
    auto fixed = fixup_acl(r->acl, ctx);
    if (!fixed.ok()) return failed(fixed.code());
    auto node = view.get(r->path);
    if (!node) return failed(ErrorCode::kNoNode);
    if (!check_acl(*node->acl, wire::perms::kAdmin, ctx)) return failed(ErrorCode::kNoAuth);
    if (r->version != -1 && r->version != node->stat.aversion) {
      return failed(ErrorCode::kBadVersion);
    }
    return Txn{header,
               SetAclTxn{r->path, std::move(fixed.value()), wrap_add(node->stat.aversion, 1)}};
  }

  if (op == OpCode::kMulti) {
    const auto* m = std::get_if<wire::MultiRequest>(&req);
    if (m == nullptr) return failed(ErrorCode::kMarshallingError);
    MultiTxn multi;
    multi.txns.reserve(m->ops.size());
    size_t failed_at = m->ops.size();
    for (size_t i = 0; i < m->ops.size(); ++i) {
      const auto& entry = m->ops[i];
      // Read ops, or op types a multi does not take, make the whole request undecodable in
      // ZooKeeper (MultiOperationRecord), hence a marshalling error for the whole multi.
      WriteRequest sub;
      bool ok = std::visit(
          [&](const auto& o) {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, wire::GetDataRequest> ||
                          std::is_same_v<T, wire::GetChildrenRequest>) {
              return false;
            } else {
              sub = o;
              return true;
            }
          },
          entry.op);
      if (!ok || !wire::is_multi_write_op(entry.type)) return failed(ErrorCode::kMarshallingError);
      if (failed_at < m->ops.size()) {
        multi.txns.push_back(SubTxn{OpCode::kError, ErrorTxn{ErrorCode::kRuntimeInconsistency}});
        continue;
      }
      auto r = prepare_op(entry.type, sub, ctx, now_ms, view);
      if (r.ok()) {
        multi.txns.push_back(std::move(r.value()));
      } else {
        if (r.code() == ErrorCode::kMarshallingError) return failed(ErrorCode::kMarshallingError);
        failed_at = i;
        multi.txns.push_back(SubTxn{OpCode::kError, ErrorTxn{r.code()}});
      }
    }
    if (failed_at < m->ops.size()) {
      // Nothing of a failed multi is applied: earlier ops report OK (ZooKeeper's
      // DataTree.processTxn rewrites them the same way).
      for (size_t i = 0; i < failed_at; ++i) {
        multi.txns[i] = SubTxn{OpCode::kError, ErrorTxn{ErrorCode::kOk}};
      }
    }
    return Txn{header, std::move(multi)};
  }

  auto r = prepare_op(op, req, ctx, now_ms, view);
  if (!r.ok()) return failed(r.code());
  return std::visit(
      [&](auto&& body) {
        return Txn{header, TxnBody(std::move(body))};
      },
      std::move(r.value().body));
}

// ---- apply ----

ApplyResult DataTree::apply(const Txn& txn) {
  ApplyResult r;
  const TxnHeader& h = txn.header;
  last_applied_zxid_ = h.zxid;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, CreateTxn>) {
          r.err = apply_create(h, body, r);
        } else if constexpr (std::is_same_v<T, DeleteTxn>) {
          r.err = apply_delete(h, body.path, r);
        } else if constexpr (std::is_same_v<T, SetDataTxn>) {
          r.err = apply_set_data(h, body, r);
        } else if constexpr (std::is_same_v<T, SetAclTxn>) {
          r.err = apply_set_acl(h, body, r);
        } else if constexpr (std::is_same_v<T, CheckVersionTxn>) {
          r.path = body.path;
        } else if constexpr (std::is_same_v<T, CreateSessionTxn>) {
          sessions_[h.session_id] = body.timeout_ms;
          session_passwords_[h.session_id] = body.password;
        } else if constexpr (std::is_same_v<T, CloseSessionTxn>) {
          apply_close_session(h, body, r);
        } else if constexpr (std::is_same_v<T, ErrorTxn>) {
          r.err = body.err;
        } else if constexpr (std::is_same_v<T, MultiTxn>) {
          apply_multi(h, body, r);
        }
      },
      txn.body);
  return r;
}

ErrorCode DataTree::apply_create(const TxnHeader& h, const CreateTxn& t, ApplyResult& r) {
  if (t.path.empty() || t.path[0] != '/' || t.path == kRootPath) return ErrorCode::kBadArguments;
  std::string_view parent_path = parent_key(t.path);
  auto parent_it = nodes_.find(parent_path);
  if (parent_it == nodes_.end()) return ErrorCode::kNoNode;
  if (nodes_.contains(t.path)) return ErrorCode::kNodeExists;
  Node& parent = parent_it->second;
  digest_ -= node_hash(parent_it->first, parent);
  // Our snapshots are exact (not fuzzy as ZooKeeper's), so the txn's values are simply taken.
  parent.stat.cversion = t.parent_cversion;
  parent.stat.pzxid = h.zxid;
  parent.children.emplace(basename_of(t.path));
  digest_ += node_hash(parent_it->first, parent);

  Node n;
  n.data = t.data;
  n.data_hash = hash_bytes(n.data, 0);
  n.acl = acls_.acquire(t.acl);
  n.stat = StatPersisted{h.zxid, h.zxid, h.time_ms, h.time_ms, 0, 0, 0, t.ephemeral_owner, h.zxid};
  auto [it, inserted] = nodes_.emplace(t.path, std::move(n));
  digest_ += node_hash(it->first, it->second);
  data_size_ += static_cast<int64_t>(t.path.size() + it->second.data.size());
  index_node(it->first, it->second);
  r.path = t.path;
  r.stat = to_wire_stat(it->second);
  watches_.trigger_data(t.path, wire::EventType::kNodeCreated, h.zxid, r.events);
  watches_.trigger_child(parent_path, wire::EventType::kNodeChildrenChanged, h.zxid, r.events);
  return ErrorCode::kOk;
}

ErrorCode DataTree::apply_delete(const TxnHeader& h, std::string_view path, ApplyResult& r) {
  if (path == kRootPath) return ErrorCode::kBadArguments;
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return ErrorCode::kNoNode;
  if (!it->second.children.empty()) return ErrorCode::kNotEmpty;
  std::string_view parent_path = parent_key(path);
  auto parent_it = nodes_.find(parent_path);
  if (parent_it == nodes_.end()) return ErrorCode::kNoNode;
  Node& parent = parent_it->second;
  digest_ -= node_hash(parent_it->first, parent);
  if (auto c = parent.children.find(basename_of(path)); c != parent.children.end()) {
    parent.children.erase(c);
  }
  parent.stat.pzxid = h.zxid;
  digest_ += node_hash(parent_it->first, parent);

  // Keep the path alive: `path` may point into the node's own key.
  std::string owned_path(path);
  digest_ -= node_hash(it->first, it->second);
  data_size_ -= static_cast<int64_t>(owned_path.size() + it->second.data.size());
  unindex_node(owned_path, it->second);
  acls_.release(it->second.acl);
  nodes_.erase(it);

  auto fired = watches_.trigger_data(owned_path, wire::EventType::kNodeDeleted, h.zxid, r.events);
  watches_.trigger_child(owned_path, wire::EventType::kNodeDeleted, h.zxid, r.events, &fired);
  watches_.trigger_child(parent_key(owned_path), wire::EventType::kNodeChildrenChanged, h.zxid,
                         r.events);
  return ErrorCode::kOk;
}

ErrorCode DataTree::apply_set_data(const TxnHeader& h, const SetDataTxn& t, ApplyResult& r) {
  auto it = nodes_.find(t.path);
  if (it == nodes_.end()) return ErrorCode::kNoNode;
  Node& n = it->second;
  digest_ -= node_hash(it->first, n);
  data_size_ += static_cast<int64_t>(t.data.size()) - static_cast<int64_t>(n.data.size());
  n.data = t.data;
  n.data_hash = hash_bytes(n.data, 0);
  n.stat.version = t.version;
  n.stat.mzxid = h.zxid;
  n.stat.mtime = h.time_ms;
  digest_ += node_hash(it->first, n);
  r.path = t.path;
  r.stat = to_wire_stat(n);
  watches_.trigger_data(t.path, wire::EventType::kNodeDataChanged, h.zxid, r.events);
  return ErrorCode::kOk;
}

ErrorCode DataTree::apply_set_acl(const TxnHeader&, const SetAclTxn& t, ApplyResult& r) {
  auto it = nodes_.find(t.path);
  if (it == nodes_.end()) return ErrorCode::kNoNode;
  Node& n = it->second;
  digest_ -= node_hash(it->first, n);
  AclRef old = n.acl;
  n.acl = acls_.acquire(t.acl);
  acls_.release(old);
  n.stat.aversion = t.aversion;
  digest_ += node_hash(it->first, n);
  r.path = t.path;
  r.stat = to_wire_stat(n);
  return ErrorCode::kOk;
}

void DataTree::apply_multi(const TxnHeader& h, const MultiTxn& t, ApplyResult& r) {
  bool failed = std::any_of(t.txns.begin(), t.txns.end(), [](const SubTxn& s) {
    return std::holds_alternative<ErrorTxn>(s.body);
  });
  bool after_failure = false;
  r.multi_results.reserve(t.txns.size());
  for (const auto& sub : t.txns) {
    if (const auto* e = std::get_if<ErrorTxn>(&sub.body)) {
      after_failure = true;
      r.multi_results.push_back(error_result(e->err));
    } else if (failed) {
      // Same rewrite as ZooKeeper for a txn that mixes errors with changes: nothing applies.
      r.multi_results.push_back(
          error_result(after_failure ? ErrorCode::kRuntimeInconsistency : ErrorCode::kOk));
    } else {
      ApplyResult sub_r;
      ErrorCode err = std::visit(
          [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, CreateTxn>) {
              return apply_create(h, body, sub_r);
            } else if constexpr (std::is_same_v<T, DeleteTxn>) {
              return apply_delete(h, body.path, sub_r);
            } else if constexpr (std::is_same_v<T, SetDataTxn>) {
              return apply_set_data(h, body, sub_r);
            } else {
              return ErrorCode::kOk;  // check: nothing to change
            }
          },
          sub.body);
      if (err != ErrorCode::kOk) {
        r.multi_results.push_back(error_result(err));
      } else {
        wire::MultiResult res;
        res.type = sub.type;
        res.path = std::move(sub_r.path);
        res.stat = sub_r.stat;
        r.multi_results.push_back(std::move(res));
      }
      for (auto& e : sub_r.events)
        r.events.push_back(std::move(e));
    }
  }
  for (const auto& res : r.multi_results) {
    if (res.type == OpCode::kError && res.err != 0) {
      r.err = static_cast<ErrorCode>(res.err);
      break;
    }
  }
}

void DataTree::apply_close_session(const TxnHeader& h, const CloseSessionTxn& t, ApplyResult& r) {
  auto owned_by_session = [&](const std::string& path) {
    const Node* n = find(path);
    return n != nullptr && n->stat.ephemeral_owner == h.session_id &&
           kind_of_owner(h.session_id) == NodeKind::kEphemeral;
  };
  for (const auto& path : t.paths_to_delete) {
    if (owned_by_session(path)) apply_delete(h, path, r);
  }
  // Ephemerals the list missed (created after the close was prepared) go too, in path order.
  if (auto it = ephemerals_.find(h.session_id); it != ephemerals_.end()) {
    std::vector<std::string> rest(it->second.begin(), it->second.end());
    for (const auto& path : rest)
      apply_delete(h, path, r);
  }
  sessions_.erase(h.session_id);
  session_passwords_.erase(h.session_id);
}

// ---- reads ----

Result<wire::GetDataResponse> DataTree::get_data(const wire::GetDataRequest& req,
                                                 const RequestContext& ctx, WatcherId watcher) {
  const Node* n = find(read_key(req.path));
  if (n == nullptr) return fail(ErrorCode::kNoNode, req.path);
  if (!check_acl(acls_.get(n->acl), wire::perms::kRead, ctx)) {
    return fail(ErrorCode::kNoAuth, req.path);
  }
  if (req.watch) watches_.add_data_watch(req.path, watcher);
  return wire::GetDataResponse{n->data, to_wire_stat(*n)};
}

Result<wire::ExistsResponse> DataTree::exists(const wire::ExistsRequest& req,
                                              const RequestContext& ctx, WatcherId watcher) {
  if (req.path.find('\0') != std::string::npos) return fail(ErrorCode::kBadArguments, req.path);
  const Node* n = find(read_key(req.path));
  if (n != nullptr && options_.exists_checks_read_acl &&
      !check_acl(acls_.get(n->acl), wire::perms::kRead, ctx)) {
    return fail(ErrorCode::kNoAuth, req.path);
  }
  if (req.watch) watches_.add_data_watch(req.path, watcher);
  if (n == nullptr) return fail(ErrorCode::kNoNode, req.path);
  return wire::ExistsResponse{to_wire_stat(*n)};
}

Result<wire::GetChildren2Response> DataTree::get_children(const wire::GetChildrenRequest& req,
                                                          const RequestContext& ctx,
                                                          WatcherId watcher) {
  const Node* n = find(read_key(req.path));
  if (n == nullptr) return fail(ErrorCode::kNoNode, req.path);
  if (!check_acl(acls_.get(n->acl), wire::perms::kRead, ctx)) {
    return fail(ErrorCode::kNoAuth, req.path);
  }
  if (req.watch) watches_.add_child_watch(req.path, watcher);
  wire::GetChildren2Response out;
  out.children.assign(n->children.begin(), n->children.end());
  out.stat = to_wire_stat(*n);
  return out;
}

Result<wire::GetAclResponse> DataTree::get_acl(const wire::GetAclRequest& req,
                                               const RequestContext& ctx) const {
  const Node* n = find(read_key(req.path));
  if (n == nullptr) return fail(ErrorCode::kNoNode, req.path);
  const wire::AclList& acl = acls_.get(n->acl);
  if (!check_acl(acl, wire::perms::kRead | wire::perms::kAdmin, ctx)) {
    return fail(ErrorCode::kNoAuth, req.path);
  }
  wire::GetAclResponse out{acl, to_wire_stat(*n)};
  if (!check_acl(acl, wire::perms::kAdmin, ctx)) {
    // Readers without ADMIN must not learn the password hashes (ZOOKEEPER-1392).
    for (auto& a : out.acl) {
      if (a.id.scheme == "digest") a.id.id = a.id.id.substr(0, a.id.id.find(':')) + ":x";
    }
  }
  return out;
}

std::vector<std::string> DataTree::get_ephemerals(SessionId session_id,
                                                  std::string_view prefix) const {
  std::vector<std::string> out;
  auto it = ephemerals_.find(session_id);
  if (it == ephemerals_.end()) return out;
  auto trimmed = prefix;
  while (!trimmed.empty() && static_cast<unsigned char>(trimmed.front()) <= ' ') {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && static_cast<unsigned char>(trimmed.back()) <= ' ') {
    trimmed.remove_suffix(1);
  }
  bool all = trimmed.empty() || trimmed == kRootPath;
  for (const auto& p : it->second) {
    if (all || p.starts_with(prefix)) out.push_back(p);
  }
  return out;
}

Result<int32_t> DataTree::get_all_children_number(std::string_view path,
                                                  const RequestContext& ctx) const {
  const Node* n = find(read_key(path));
  if (n == nullptr) return fail(ErrorCode::kNoNode, path);
  if (!check_acl(acls_.get(n->acl), wire::perms::kRead, ctx)) return fail(ErrorCode::kNoAuth, path);
  if (path == kRootPath) return static_cast<int32_t>(nodes_.size() - 1);
  // ZooKeeper counts the keys starting with path + "/": for "" that is every node, the root too.
  if (path.empty()) return static_cast<int32_t>(nodes_.size());
  int64_t count = 0;
  std::vector<std::string> stack{std::string(path)};
  while (!stack.empty()) {
    std::string p = std::move(stack.back());
    stack.pop_back();
    const Node* cur = find(p);
    if (cur == nullptr) continue;
    for (const auto& c : cur->children) {
      ++count;
      stack.push_back(p + "/" + c);
    }
  }
  return static_cast<int32_t>(count);
}

std::vector<wire::MultiResult> DataTree::multi_read(const wire::MultiRequest& req,
                                                    const RequestContext& ctx, WatcherId watcher) {
  std::vector<wire::MultiResult> out;
  out.reserve(req.ops.size());
  for (const auto& entry : req.ops) {
    if (const auto* g = std::get_if<wire::GetDataRequest>(&entry.op)) {
      auto r = get_data(*g, ctx, watcher);
      if (!r.ok()) {
        out.push_back(error_result(r.code()));
        continue;
      }
      wire::MultiResult res;
      res.type = OpCode::kGetData;
      res.data = std::move(r->data);
      res.stat = r->stat;
      out.push_back(std::move(res));
    } else if (const auto* c = std::get_if<wire::GetChildrenRequest>(&entry.op)) {
      auto r = get_children(*c, ctx, watcher);
      if (!r.ok()) {
        out.push_back(error_result(r.code()));
        continue;
      }
      wire::MultiResult res;
      res.type = OpCode::kGetChildren;
      res.children = std::move(r->children);
      out.push_back(std::move(res));
    } else {
      out.push_back(error_result(kNotAReadOp));
    }
  }
  return out;
}

// ---- watches ----

Status DataTree::add_watch(const wire::AddWatchRequest& req, WatcherId watcher) {
  return watches_.add_watch(req.path, req.mode, watcher);
}

std::vector<TriggeredWatch> DataTree::set_watches(const wire::SetWatches2& req, WatcherId watcher) {
  std::vector<TriggeredWatch> out;
  auto fire = [&](const std::string& path, wire::EventType type) {
    out.push_back(TriggeredWatch{
        watcher,
        wire::WatcherEvent{static_cast<int32_t>(type),
                           static_cast<int32_t>(wire::KeeperState::kSyncConnected), path},
        -1});
  };
  for (const auto& path : req.data_watches) {
    const Node* n = find(path);
    if (n == nullptr) {
      fire(path, wire::EventType::kNodeDeleted);
    } else if (n->stat.mzxid > req.relative_zxid) {
      fire(path, wire::EventType::kNodeDataChanged);
    } else {
      watches_.add_data_watch(path, watcher);
    }
  }
  for (const auto& path : req.exist_watches) {
    if (find(path) != nullptr) {
      fire(path, wire::EventType::kNodeCreated);
    } else {
      watches_.add_data_watch(path, watcher);
    }
  }
  for (const auto& path : req.child_watches) {
    const Node* n = find(path);
    if (n == nullptr) {
      fire(path, wire::EventType::kNodeDeleted);
    } else if (n->stat.pzxid > req.relative_zxid) {
      fire(path, wire::EventType::kNodeChildrenChanged);
    } else {
      watches_.add_child_watch(path, watcher);
    }
  }
  for (const auto& path : req.persistent_watches) {
    watches_.add_data_watch(path, watcher, WatchRegistry::kPersistent);
    watches_.add_child_watch(path, watcher, WatchRegistry::kPersistent);
  }
  for (const auto& path : req.persistent_recursive_watches) {
    watches_.add_data_watch(path, watcher, WatchRegistry::kRecursive);
  }
  return out;
}

// ---- container and TTL cleanup ----

std::vector<std::string> DataTree::expired_nodes(int64_t now_ms, size_t count_max,
                                                 int64_t never_used_interval_ms) const {
  std::vector<std::string> out;
  for (const auto& path : containers_) {
    const Node* n = find(path);
    if (n == nullptr || !n->children.empty()) continue;
    bool used = n->stat.cversion > 0;
    bool never_used_too_long = never_used_interval_ms > 0 && n->stat.cversion == 0 &&
                               now_ms - n->stat.mtime > never_used_interval_ms;
    if (used || never_used_too_long) out.push_back(path);
  }
  for (const auto& path : ttls_) {
    const Node* n = find(path);
    if (n == nullptr || !n->children.empty()) continue;
    int64_t ttl = static_cast<int64_t>(static_cast<uint64_t>(n->stat.ephemeral_owner) &
                                       ~(kExtendedOwnerMask | kExtendedFeatureMask));
    if (ttl != 0 && now_ms - n->stat.mtime > ttl) out.push_back(path);
  }
  std::sort(out.begin(), out.end());
  if (out.size() > count_max) out.resize(count_max);
  return out;
}

// ---- snapshots ----
//
// Format (jute): int magic "CNSN"; int version; long last_applied_zxid; long digest;
// long next_acl_ref; int acl_count, acl_count x (long ref; vector<ACL>);
// int session_count, session_count x (long id; int timeout_ms; buffer password (version 2));
// int node_count, node_count x (ustring path; buffer data; long acl_ref; StatPersisted),
// nodes in pre-order from "/" with children sorted, so every parent precedes its children.

wire::Bytes DataTree::serialize_snapshot() const {
  wire::JuteWriter w;
  w.write_int(kSnapshotMagic);
  w.write_int(kSnapshotVersion);
  w.write_long(last_applied_zxid_);
  w.write_long(static_cast<int64_t>(digest_));
  w.write_long(acls_.next_ref());
  w.write_int(static_cast<int32_t>(acls_.entries().size()));
  for (const auto& [ref, e] : acls_.entries()) {
    w.write_long(ref);
    wire::encode(w, e.acl);
  }
  w.write_int(static_cast<int32_t>(sessions_.size()));
  for (const auto& [id, timeout] : sessions_) {
    w.write_long(id);
    w.write_int(timeout);
    auto pw = session_passwords_.find(id);
    w.write_buffer(pw == session_passwords_.end() ? Bytes{} : pw->second);
  }
  w.write_int(static_cast<int32_t>(nodes_.size()));
  std::vector<std::string> stack{std::string(kRootPath)};
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    const Node* n = find(path);
    w.write_string(path);
    w.write_buffer(n->data);
    w.write_long(n->acl);
    write_stat(w, n->stat);
    // Reverse so the smallest name is popped first.
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) {
      stack.push_back(path == kRootPath ? "/" + *it : path + "/" + *it);
    }
  }
  return w.take();
}

Result<std::unique_ptr<DataTree>> DataTree::load_snapshot(std::string_view bytes,
                                                          DataTreeOptions options) {
  auto bad = [](std::string detail) {
    return Error(ErrorCode::kMarshallingError, std::move(detail));
  };
  wire::JuteReader r(bytes);
  const int32_t magic = r.read_int();
  const int32_t version = r.read_int();
  if (magic != kSnapshotMagic || (version != 1 && version != kSnapshotVersion) || !r.ok()) {
    return bad("not a Conclave snapshot");
  }
  auto tree = std::unique_ptr<DataTree>(new DataTree(options));
  tree->nodes_.clear();
  tree->acls_.clear();
  tree->data_size_ = 0;
  tree->last_applied_zxid_ = r.read_long();
  auto stored_digest = static_cast<uint64_t>(r.read_long());
  AclRef next_ref = r.read_long();
  int32_t acl_count = r.read_count(kAclEntryBytesMin);
  for (int32_t i = 0; i < acl_count && r.ok(); ++i) {
    AclRef ref = r.read_long();
    wire::AclList acl;
    wire::decode(r, acl);
    if (!r.ok()) break;
    if (tree->acls_.entries().contains(ref)) return bad("duplicate ACL reference");
    tree->acls_.restore(ref, std::move(acl));
  }
  if (next_ref > tree->acls_.next_ref()) tree->acls_.set_next_ref(next_ref);
  int32_t session_count = r.read_count(kSessionBytesMin);
  for (int32_t i = 0; i < session_count && r.ok(); ++i) {
    SessionId id = r.read_long();
    tree->sessions_[id] = r.read_int();
    tree->session_passwords_[id] = version >= 2 ? r.read_buffer() : Bytes{};
  }
  int32_t node_count = r.read_count(kNodeBytesMin);
  if (!r.ok() || node_count < 1) return bad("snapshot has no nodes");
  for (int32_t i = 0; i < node_count && r.ok(); ++i) {
    std::string path = r.read_string();
    Node n;
    n.data = r.read_buffer();
    n.acl = r.read_long();
    read_stat(r, n.stat);
    if (!r.ok()) break;
    if (i == 0 ? path != kRootPath : (path.size() < 2 || path[0] != '/' || path.back() == '/')) {
      return bad("bad node path in snapshot");
    }
    if (tree->nodes_.contains(path)) return bad("duplicate node in snapshot");
    if (!tree->acls_.add_user(n.acl)) return bad("node with unknown ACL reference");
    if (i > 0) {
      Node* parent = tree->find(parent_key(path));
      if (parent == nullptr) return bad("node before its parent in snapshot");
      parent->children.emplace(basename_of(path));
    }
    n.data_hash = hash_bytes(n.data, 0);
    tree->data_size_ += static_cast<int64_t>(path.size() + n.data.size());
    auto [it, inserted] = tree->nodes_.emplace(std::move(path), std::move(n));
    tree->index_node(it->first, it->second);
  }
  if (!r.ok()) return bad("truncated snapshot");
  if (!r.at_end()) return bad("trailing bytes after snapshot");
  tree->acls_.purge_unused();
  tree->recompute_digest();
  if (tree->digest_ != stored_digest) {
    return Error(ErrorCode::kDataInconsistency, "snapshot digest mismatch");
  }
  return tree;
}

}  // namespace conclave::datatree
