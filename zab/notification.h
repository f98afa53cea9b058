// Votes and election notifications, their total order, and their Protobuf encoding.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/zxid.h"
#include "zab/quorum_verifier.h"

namespace conclave::zab {

// Values as on ZooKeeper's wire (LOOKING 0, FOLLOWING 1, LEADING 2, OBSERVING 3).
enum class PeerState : uint8_t { kLooking = 0, kFollowing = 1, kLeading = 2, kObserving = 3 };
const char* to_string(PeerState s);

// The "nobody" an observer proposes before it hears a voter (ZooKeeper uses Long.MIN_VALUE for
// id, zxid and epoch): every real vote beats it.
constexpr ServerId kNoServer = std::numeric_limits<int64_t>::min();

// A vote for a leader: who, how far its log goes, and its currentEpoch.
struct Vote {
  ServerId leader = kNoServer;
  Zxid zxid = std::numeric_limits<int64_t>::min();
  int64_t peer_epoch = std::numeric_limits<int64_t>::min();
  bool operator==(const Vote&) const = default;
};

// Protocol notes B.2, totalOrderPredicate: `candidate` beats `current` when its (peer epoch,
// zxid, server id) is larger, in that order. A server of weight 0 (an observer) never wins.
bool vote_beats(const Vote& candidate, const Vote& current, const QuorumVerifier& verifier);

struct Notification {
  PeerState state = PeerState::kLooking;
  Vote vote;
  int64_t election_epoch = 0;  // the sender's logical clock
  ServerId sender = kNoServer;
  bool operator==(const Notification&) const = default;
};

// The bytes of a PeerMessage carrying `n` (zab/messages.proto).
std::string encode_notification(const Notification& n);
// Fails on bytes that are not a PeerMessage, or carry no notification or an unknown state.
Result<Notification> decode_notification(std::string_view bytes);

}  // namespace conclave::zab
