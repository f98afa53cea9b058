// Quorum packets (protocol notes B.3) as plain values, and their Protobuf encoding inside a
// PeerMessage (zab/messages.proto, which says what each field means for each type).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "common/zxid.h"
#include "zab/notification.h"

namespace conclave::zab {

// Values as in ZooKeeper's Leader.java (B.3). REVALIDATE and the *ANDACTIVATE packets of
// dynamic reconfiguration are not used.
enum class PacketType : uint8_t {
  kRequest = 1,
  kProposal = 2,
  kAck = 3,
  kCommit = 4,
  kPing = 5,
  kSync = 7,
  kInform = 8,
  kNewLeader = 10,
  kFollowerInfo = 11,
  kUpToDate = 12,
  kDiff = 13,
  kTrunc = 14,
  kSnap = 15,
  kObserverInfo = 16,
  kLeaderInfo = 17,
  kAckEpoch = 18,
};
const char* to_string(PacketType t);

// ACKEPOCH's current_epoch when the follower had already accepted the proposed epoch: "not an
// ack" (Learner.registerWithLeader sends -1; the leader does not count it).
constexpr int64_t kNotAnAck = -1;

struct QuorumPacket {
  PacketType type = PacketType::kFollowerInfo;
  Zxid zxid = 0;
  int64_t current_epoch = 0;  // ACKEPOCH only
  int64_t epoch = 0;          // ACKEPOCH only: the epoch acknowledged
  ServerId sender = 0;
  std::string data{};    // SNAP, PROPOSAL, INFORM, PING, REQUEST
  Zxid base_zxid = 0;    // ACKEPOCH only
  Zxid commit_zxid = 0;  // DIFF / TRUNC / SNAP only
  bool operator==(const QuorumPacket&) const = default;
};

std::string encode_quorum_packet(const QuorumPacket& p);

// What one member sends another: an election notification or a quorum packet.
using PeerMessage = std::variant<Notification, QuorumPacket>;
// Fails on bytes that are not a PeerMessage, an empty one, or a packet type not used.
Result<PeerMessage> decode_peer_message(std::string_view bytes);

}  // namespace conclave::zab
