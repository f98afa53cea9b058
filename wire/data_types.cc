#include "wire/data_types.h"

namespace conclave::wire {

AclList open_acl_unsafe() {
  return {Acl{perms::kAll, Id{"world", "anyone"}}};
}
AclList read_acl_unsafe() {
  return {Acl{perms::kRead, Id{"world", "anyone"}}};
}

void encode(JuteWriter& w, const Id& v) {
  w.write_string(v.scheme);
  w.write_string(v.id);
}

void encode(JuteWriter& w, const Acl& v) {
  w.write_int(v.perms);
  encode(w, v.id);
}

void encode(JuteWriter& w, const AclList& v) {
  w.write_int(static_cast<int32_t>(v.size()));
  for (const auto& a : v)
    encode(w, a);
}

void encode(JuteWriter& w, const Stat& v) {
  w.write_long(v.czxid);
  w.write_long(v.mzxid);
  w.write_long(v.ctime);
  w.write_long(v.mtime);
  w.write_int(v.version);
  w.write_int(v.cversion);
  w.write_int(v.aversion);
  w.write_long(v.ephemeral_owner);
  w.write_int(v.data_length);
  w.write_int(v.num_children);
  w.write_long(v.pzxid);
}

void encode(JuteWriter& w, const std::vector<std::string>& v) {
  w.write_int(static_cast<int32_t>(v.size()));
  for (const auto& s : v)
    w.write_string(s);
}

void decode(JuteReader& r, Id& v) {
  v.scheme = r.read_string();
  v.id = r.read_string();
}

void decode(JuteReader& r, Acl& v) {
  v.perms = r.read_int();
  decode(r, v.id);
}

void decode(JuteReader& r, AclList& v) {
  v.clear();
  // An ACL entry is at least perms + two empty strings.
  int32_t n = r.read_count(12);
  v.resize(static_cast<size_t>(n));
  for (auto& a : v)
    decode(r, a);
}

void decode(JuteReader& r, Stat& v) {
  v.czxid = r.read_long();
  v.mzxid = r.read_long();
  v.ctime = r.read_long();
  v.mtime = r.read_long();
  v.version = r.read_int();
  v.cversion = r.read_int();
  v.aversion = r.read_int();
  v.ephemeral_owner = r.read_long();
  v.data_length = r.read_int();
  v.num_children = r.read_int();
  v.pzxid = r.read_long();
}

void decode(JuteReader& r, std::vector<std::string>& v) {
  v.clear();
  int32_t n = r.read_count(4);
  v.resize(static_cast<size_t>(n));
  for (auto& s : v)
    s = r.read_string();
}

}  // namespace conclave::wire
