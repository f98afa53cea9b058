// The data records shared by requests, replies, the tree and its snapshots:
// Id, ACL and Stat, with their jute encodings (field order as in zookeeper.jute).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wire/jute.h"

namespace conclave::wire {

// Permission bits (ZooDefs.Perms).
namespace perms {
constexpr int32_t kRead = 1;
constexpr int32_t kWrite = 2;
constexpr int32_t kCreate = 4;
constexpr int32_t kDelete = 8;
constexpr int32_t kAdmin = 16;
constexpr int32_t kAll = 31;
}  // namespace perms

struct Id {
  std::string scheme;
  std::string id;
  bool operator==(const Id&) const = default;
  auto operator<=>(const Id&) const = default;
};

struct Acl {
  int32_t perms = 0;
  Id id;
  bool operator==(const Acl&) const = default;
  auto operator<=>(const Acl&) const = default;
};

using AclList = std::vector<Acl>;

// world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE).
AclList open_acl_unsafe();
// world:anyone read-only (ZooDefs.Ids.READ_ACL_UNSAFE).
AclList read_acl_unsafe();

struct Stat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;
  bool operator==(const Stat&) const = default;
};
constexpr size_t kStatBytes = 68;

void encode(JuteWriter& w, const Id& v);
void encode(JuteWriter& w, const Acl& v);
void encode(JuteWriter& w, const AclList& v);
void encode(JuteWriter& w, const Stat& v);
void encode(JuteWriter& w, const std::vector<std::string>& v);  // vector<ustring>

void decode(JuteReader& r, Id& v);
void decode(JuteReader& r, Acl& v);
void decode(JuteReader& r, AclList& v);
void decode(JuteReader& r, Stat& v);
void decode(JuteReader& r, std::vector<std::string>& v);

}  // namespace conclave::wire
