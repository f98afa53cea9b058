// The ZooKeeper transaction id: a 32-bit epoch in the high half, a 32-bit counter in the low.
#pragma once

#include <cstdint>

namespace conclave {

using Zxid = int64_t;
using SessionId = int64_t;

constexpr Zxid make_zxid(uint32_t epoch, uint32_t counter) {
  return static_cast<Zxid>((static_cast<uint64_t>(epoch) << 32) | counter);
}
constexpr uint32_t zxid_epoch(Zxid z) {
  return static_cast<uint32_t>(static_cast<uint64_t>(z) >> 32);
}
constexpr uint32_t zxid_counter(Zxid z) {
  return static_cast<uint32_t>(static_cast<uint64_t>(z));
}

// The last counter a leader may hand out before it must move to a new epoch (ZOOKEEPER-1277).
constexpr uint32_t kZxidCounterMax = 0xffffffffu;

}  // namespace conclave
