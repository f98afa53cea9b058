// The Rng of a real member: a 64-bit Mersenne Twister seeded from std::random_device, so that
// members started together do not share election jitter or redial back-off. (The simulator
// injects a seeded SplitMix64Rng instead, so that a seed replays a run; nothing here is secret.)
#pragma once

#include <cstdint>
#include <random>

#include "zab/rng.h"

namespace conclave::ensemble {

class DeviceSeededRng final : public zab::Rng {
 public:
  DeviceSeededRng() {
    std::random_device device;
    std::seed_seq seq{device(), device(), device(), device()};
    engine_.seed(seq);
  }
  uint64_t next_u64() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace conclave::ensemble
