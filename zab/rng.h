// Rng: the only source of randomness the zab/ core may use, injected so that one seed replays a
// whole simulated run. SplitMix64Rng is small, fast and good enough for jitter and fault choice;
// it is not for anything secret.
#pragma once

#include <cassert>
#include <cstdint>

namespace conclave::zab {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual uint64_t next_u64() = 0;

  // Uniform in [0, bound). The modulo bias is below 2^-40 for the small bounds used here.
  uint64_t below(uint64_t bound) {
    assert(bound > 0);
    return next_u64() % bound;
  }
  // Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) {
    assert(lo <= hi);
    return lo + below(hi - lo + 1);
  }
  // True with probability per_million / 1'000'000.
  bool chance(uint64_t per_million) { return below(1'000'000) < per_million; }
};

class SplitMix64Rng final : public Rng {
 public:
  explicit SplitMix64Rng(uint64_t seed) : state_(seed) {}
  uint64_t next_u64() override {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace conclave::zab
