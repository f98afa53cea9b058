// One znode as the tree stores it.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "datatree/acl_cache.h"
#include "wire/jute.h"

namespace conclave::datatree {

// ZooKeeper's StatPersisted. `cversion` is ZooKeeper's internal count of child creations;
// clients see 2 * cversion - numChildren (DataNode.copyStat), which counts creates plus
// deletes, and the sequential suffix uses the internal value.
struct StatPersisted {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int64_t pzxid = 0;
  bool operator==(const StatPersisted&) const = default;
};

struct Node {
  wire::Bytes data;
  AclRef acl = 0;
  StatPersisted stat;
  std::set<std::string, std::less<>> children;  // sorted names, so listings are stable
  uint64_t data_hash = 0;                       // cached for the digest
};

}  // namespace conclave::datatree
