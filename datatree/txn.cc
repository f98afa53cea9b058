#include "datatree/txn.h"

namespace conclave::datatree {
namespace {

// Body kinds on the wire: the index in TxnBody, stable because they are logged.
enum class BodyKind : int32_t {
  kCreate = 0,
  kDelete = 1,
  kSetData = 2,
  kSetAcl = 3,
  kCheckVersion = 4,
  kCreateSession = 5,
  kCloseSession = 6,
  kError = 7,
  kMulti = 8,
};

// Smallest encodings, for bounding counts: a string (4-byte length), an ACL entry (perms +
// two strings), a sub-txn (type + kind + an ErrorTxn's int).
constexpr size_t kStringBytesMin = 4;
constexpr size_t kAclBytesMin = 12;
constexpr size_t kSubTxnBytesMin = 12;

using wire::JuteReader;
using wire::JuteWriter;

void encode_body(JuteWriter& w, const CreateTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kCreate));
  w.write_string(t.path);
  w.write_buffer(t.data);
  wire::encode(w, t.acl);
  w.write_long(t.ephemeral_owner);
  w.write_int(t.parent_cversion);
}
void encode_body(JuteWriter& w, const DeleteTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kDelete));
  w.write_string(t.path);
}
void encode_body(JuteWriter& w, const SetDataTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kSetData));
  w.write_string(t.path);
  w.write_buffer(t.data);
  w.write_int(t.version);
}
void encode_body(JuteWriter& w, const SetAclTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kSetAcl));
  w.write_string(t.path);
  wire::encode(w, t.acl);
  w.write_int(t.aversion);
}
void encode_body(JuteWriter& w, const CheckVersionTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kCheckVersion));
  w.write_string(t.path);
  w.write_int(t.version);
}
void encode_body(JuteWriter& w, const CreateSessionTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kCreateSession));
  w.write_int(t.timeout_ms);
  w.write_buffer(t.password);
}
void encode_body(JuteWriter& w, const CloseSessionTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kCloseSession));
  wire::encode(w, t.paths_to_delete);
}
void encode_body(JuteWriter& w, const ErrorTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kError));
  w.write_int(to_int(t.err));
}
void encode_body(JuteWriter& w, const MultiTxn& t) {
  w.write_int(static_cast<int32_t>(BodyKind::kMulti));
  w.write_int(static_cast<int32_t>(t.txns.size()));
  for (const auto& sub : t.txns) {
    w.write_int(static_cast<int32_t>(sub.type));
    std::visit([&](const auto& b) { encode_body(w, b); }, sub.body);
  }
}

bool read_acl(JuteReader& r, wire::AclList& acl) {
  int32_t n = r.read_count(kAclBytesMin);
  acl.resize(static_cast<size_t>(n));
  for (auto& a : acl)
    wire::decode(r, a);
  return r.ok();
}

bool read_strings(JuteReader& r, std::vector<std::string>& v) {
  int32_t n = r.read_count(kStringBytesMin);
  v.resize(static_cast<size_t>(n));
  for (auto& s : v)
    s = r.read_string();
  return r.ok();
}

// Reads one body of the given kind; `allow_multi` is false inside a multi (no nesting).
bool decode_leaf(JuteReader& r, BodyKind kind, TxnBody& out, bool allow_multi, int32_t version) {
  switch (kind) {
    case BodyKind::kCreate: {
      CreateTxn t;
      t.path = r.read_string();
      t.data = r.read_buffer();
      read_acl(r, t.acl);
      t.ephemeral_owner = r.read_long();
      t.parent_cversion = r.read_int();
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kDelete: {
      DeleteTxn t;
      t.path = r.read_string();
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kSetData: {
      SetDataTxn t;
      t.path = r.read_string();
      t.data = r.read_buffer();
      t.version = r.read_int();
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kSetAcl: {
      SetAclTxn t;
      t.path = r.read_string();
      read_acl(r, t.acl);
      t.aversion = r.read_int();
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kCheckVersion: {
      CheckVersionTxn t;
      t.path = r.read_string();
      t.version = r.read_int();
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kCreateSession: {
      CreateSessionTxn t;
      t.timeout_ms = r.read_int();
      if (version >= 2) t.password = r.read_buffer();
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kCloseSession: {
      CloseSessionTxn t;
      read_strings(r, t.paths_to_delete);
      out = std::move(t);
      return r.ok();
    }
    case BodyKind::kError: {
      ErrorTxn t;
      t.err = static_cast<ErrorCode>(r.read_int());
      out = t;
      return r.ok();
    }
    case BodyKind::kMulti: {
      if (!allow_multi) return false;
      int32_t n = r.read_count(kSubTxnBytesMin);
      if (n > kMultiOpsMax) return false;
      MultiTxn m;
      m.txns.reserve(static_cast<size_t>(n));
      for (int32_t i = 0; i < n && r.ok(); ++i) {
        SubTxn sub;
        sub.type = static_cast<wire::OpCode>(r.read_int());
        auto sub_kind = static_cast<BodyKind>(r.read_int());
        TxnBody b;
        if (!decode_leaf(r, sub_kind, b, false, version)) return false;
        if (auto* c = std::get_if<CreateTxn>(&b)) {
          sub.body = std::move(*c);
        } else if (auto* d = std::get_if<DeleteTxn>(&b)) {
          sub.body = std::move(*d);
        } else if (auto* s = std::get_if<SetDataTxn>(&b)) {
          sub.body = std::move(*s);
        } else if (auto* k = std::get_if<CheckVersionTxn>(&b)) {
          sub.body = std::move(*k);
        } else if (auto* e = std::get_if<ErrorTxn>(&b)) {
          sub.body = *e;
        } else {
          return false;  // setACL and session txns are not allowed inside a multi
        }
        m.txns.push_back(std::move(sub));
      }
      out = std::move(m);
      return r.ok();
    }
  }
  return false;
}

}  // namespace

Bytes encode_txn(const Txn& txn) {
  JuteWriter w;
  w.write_int(kTxnFormatVersion);
  w.write_long(txn.header.session_id);
  w.write_int(txn.header.cxid);
  w.write_long(txn.header.zxid);
  w.write_long(txn.header.time_ms);
  w.write_int(static_cast<int32_t>(txn.header.type));
  std::visit([&](const auto& b) { encode_body(w, b); }, txn.body);
  return w.take();
}

Result<Txn> decode_txn(std::string_view bytes) {
  JuteReader r(bytes);
  const int32_t version = r.read_int();
  if ((version != 1 && version != kTxnFormatVersion) || !r.ok()) {
    return Error(ErrorCode::kMarshallingError, "unknown txn format version");
  }
  Txn txn;
  txn.header.session_id = r.read_long();
  txn.header.cxid = r.read_int();
  txn.header.zxid = r.read_long();
  txn.header.time_ms = r.read_long();
  txn.header.type = static_cast<wire::OpCode>(r.read_int());
  auto kind = static_cast<BodyKind>(r.read_int());
  if (!r.ok() || !decode_leaf(r, kind, txn.body, true, version) || !r.ok()) {
    return Error(ErrorCode::kMarshallingError, "malformed txn");
  }
  if (!r.at_end()) return Error(ErrorCode::kMarshallingError, "trailing bytes after txn");
  return txn;
}

}  // namespace conclave::datatree
