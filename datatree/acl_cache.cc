#include "datatree/acl_cache.h"

#include <algorithm>

#include "datatree/digest.h"

namespace conclave::datatree {

uint64_t AclCache::hash_acl(const wire::AclList& acl) {
  uint64_t h = 0x51ed270b27d8a5c3ull;
  for (const auto& a : acl) {
    h = hash_combine(h, static_cast<uint32_t>(a.perms));
    h = hash_combine(h, hash_bytes(a.id.scheme, 1));
    h = hash_combine(h, hash_bytes(a.id.id, 2));
  }
  return h;
}

AclRef AclCache::acquire(const wire::AclList& acl) {
  uint64_t h = hash_acl(acl);
  auto& refs = by_hash_[h];
  for (AclRef r : refs) {
    auto& e = by_ref_.at(r);
    if (e.acl == acl) {
      ++e.users;
      return r;
    }
  }
  AclRef r = next_ref_++;
  by_ref_.emplace(r, Entry{acl, h, 1});
  refs.push_back(r);
  return r;
}

void AclCache::release(AclRef ref) {
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end()) return;
  if (--it->second.users > 0) return;
  auto& refs = by_hash_[it->second.hash];
  refs.erase(std::remove(refs.begin(), refs.end(), ref), refs.end());
  if (refs.empty()) by_hash_.erase(it->second.hash);
  by_ref_.erase(it);
}

const wire::AclList& AclCache::get(AclRef ref) const {
  static const wire::AclList kEmpty;
  auto it = by_ref_.find(ref);
  return it == by_ref_.end() ? kEmpty : it->second.acl;
}

uint64_t AclCache::hash_of(AclRef ref) const {
  auto it = by_ref_.find(ref);
  return it == by_ref_.end() ? 0 : it->second.hash;
}

void AclCache::clear() {
  by_ref_.clear();
  by_hash_.clear();
  next_ref_ = 1;
}

void AclCache::restore(AclRef ref, wire::AclList acl) {
  uint64_t h = hash_acl(acl);
  by_ref_.emplace(ref, Entry{std::move(acl), h, 0});
  by_hash_[h].push_back(ref);
  next_ref_ = std::max(next_ref_, ref + 1);
}

bool AclCache::add_user(AclRef ref) {
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end()) return false;
  ++it->second.users;
  return true;
}

void AclCache::purge_unused() {
  std::vector<AclRef> unused;
  for (const auto& [r, e] : by_ref_) {
    if (e.users == 0) unused.push_back(r);
  }
  for (AclRef r : unused) {
    by_ref_.at(r).users = 1;
    release(r);
  }
}

}  // namespace conclave::datatree
