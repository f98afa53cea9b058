// A fast, stable 64-bit hash for the tree digest. It must give the same value on every member
// and every build (std::hash promises neither), so it is written out here.
#pragma once

#include <cstdint>
#include <string_view>

namespace conclave::datatree {

uint64_t hash_bytes(std::string_view bytes, uint64_t seed);

// Folds one 64-bit value into a running hash.
constexpr uint64_t hash_combine(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

}  // namespace conclave::datatree
