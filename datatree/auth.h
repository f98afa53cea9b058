// Who a request comes from, and ZooKeeper's ACL rules: which ids an ACL entry matches
// (schemes world, digest, ip; auth is expanded when an ACL is set), which ACLs are valid,
// and the digest id of a "user:password" pair.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/zxid.h"
#include "wire/data_types.h"

namespace conclave::datatree {

// The identity of one request, filled by the server from its connection.
struct RequestContext {
  SessionId session_id = 0;
  // Always `ip:<client address>`, plus every id added by successful `auth` packets
  // (`digest:user:base64(sha1)`...).
  std::vector<wire::Id> auth_ids;
  // The super user (superDigest) bypasses every ACL check.
  bool is_super = false;
  // The request's xid, recorded in the transaction header (ZooKeeper's cxid).
  int32_t cxid = 0;
};

// `user:base64(sha1("user:password"))` for `user_colon_password` = "user:password"
// (DigestAuthenticationProvider.generateDigest; the user is everything before the first ':').
std::string digest_id(std::string_view user_colon_password);

// Whether an ACL entry's id admits a caller id of the same scheme.
// ip: `addr` or `addr/bits` (IPv4, and IPv6 as an extension), digest and others: equality.
bool id_matches(std::string_view scheme, std::string_view caller_id, std::string_view acl_id);

// ZooKeeper's checkACL: true if `ctx` holds `perm` on a node with `acl`. An empty ACL admits
// everyone (as in ZooKeeper); super admits everything.
bool check_acl(std::span<const wire::Acl> acl, int32_t perm, const RequestContext& ctx);

// Whether an id may appear in a stored ACL (world:anyone, digest user:hash, ip addr[/bits]).
bool is_valid_acl_id(const wire::Id& id);

// Whether a caller id counts as authenticated for the `auth` scheme (digest, sasl, x509 do;
// ip does not).
bool is_authenticated_scheme(std::string_view scheme);

// ZooKeeper's fixupACL: drops duplicates, rejects an empty list or an invalid id, and
// expands `auth` entries into the caller's authenticated ids. Failure: kInvalidAcl.
Result<wire::AclList> fixup_acl(const wire::AclList& acl, const RequestContext& ctx);

}  // namespace conclave::datatree
