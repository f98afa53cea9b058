#include "datatree/digest.h"

#include <cstring>

namespace conclave::datatree {
namespace {

constexpr uint64_t kMul = 0x9fb21c651e98df25ull;

inline uint64_t mix(uint64_t v) {
  v ^= v >> 31;
  v *= kMul;
  v ^= v >> 29;
  return v;
}

inline uint64_t load_le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed ^ (bytes.size() * kMul);
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n >= 8) {
    h = mix(h ^ load_le64(p)) + 0x2545f4914f6cdd1dull;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  for (size_t i = 0; i < n; ++i)
    tail |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return mix(h ^ tail ^ (static_cast<uint64_t>(n) << 59));
}

}  // namespace conclave::datatree
