// ACL lists stored once and shared by reference count, as ZooKeeper's ReferenceCountedACLCache
// does: most trees use a handful of distinct ACLs across millions of nodes.
//
// References are small integers handed out in order, so two trees that saw the same history
// hold the same references; snapshots store the table and the nodes' references.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "wire/data_types.h"

namespace conclave::datatree {

using AclRef = int64_t;

class AclCache {
 public:
  // Returns the reference for `acl`, adding it if new, and counts one more user.
  AclRef acquire(const wire::AclList& acl);
  // Drops one user; the entry goes away with its last user.
  void release(AclRef ref);
  // The list for a live reference (empty for an unknown one).
  const wire::AclList& get(AclRef ref) const;
  // A content hash of the list, for the tree digest.
  uint64_t hash_of(AclRef ref) const;

  size_t size() const { return by_ref_.size(); }
  void clear();

  struct Entry {
    wire::AclList acl;
    uint64_t hash = 0;
    int64_t users = 0;
  };
  const std::map<AclRef, Entry>& entries() const { return by_ref_; }
  // Snapshot loading: puts an entry with a known reference and zero users.
  void restore(AclRef ref, wire::AclList acl);
  // Snapshot loading: counts a user of a restored reference; false if unknown.
  bool add_user(AclRef ref);
  AclRef next_ref() const { return next_ref_; }
  void set_next_ref(AclRef ref) { next_ref_ = ref; }
  // Drops restored entries no node uses.
  void purge_unused();

 private:
  static uint64_t hash_acl(const wire::AclList& acl);
  std::map<AclRef, Entry> by_ref_;
  std::unordered_map<uint64_t, std::vector<AclRef>> by_hash_;
  AclRef next_ref_ = 1;
};

}  // namespace conclave::datatree
