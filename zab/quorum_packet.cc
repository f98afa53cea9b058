#include "zab/quorum_packet.h"

#include "zab/messages.pb.h"

namespace conclave::zab {

const char* to_string(PacketType t) {
  switch (t) {
    case PacketType::kFollowerInfo:
      return "FOLLOWERINFO";
    case PacketType::kObserverInfo:
      return "OBSERVERINFO";
    case PacketType::kLeaderInfo:
      return "LEADERINFO";
    case PacketType::kAckEpoch:
      return "ACKEPOCH";
  }
  return "?";
}

std::string encode_quorum_packet(const QuorumPacket& p) {
  pb::PeerMessage msg;
  pb::QuorumPacket* out = msg.mutable_quorum();
  out->set_type(static_cast<pb::QuorumPacketType>(p.type));
  out->set_zxid(p.zxid);
  out->set_current_epoch(p.current_epoch);
  out->set_epoch(p.epoch);
  out->set_sender_id(p.sender);
  return msg.SerializeAsString();
}

Result<PeerMessage> decode_peer_message(std::string_view bytes) {
  if (Result<Notification> n = decode_notification(bytes); n.ok()) return PeerMessage(*n);
  pb::PeerMessage msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error(ErrorCode::kMarshallingError, "not a PeerMessage");
  }
  if (!msg.has_quorum()) return Error(ErrorCode::kMarshallingError, "empty PeerMessage");
  const pb::QuorumPacket& in = msg.quorum();
  QuorumPacket p;
  switch (in.type()) {
    case pb::FOLLOWERINFO:
    case pb::OBSERVERINFO:
    case pb::LEADERINFO:
    case pb::ACKEPOCH:
      p.type = static_cast<PacketType>(in.type());
      break;
    default:
      return Error(ErrorCode::kMarshallingError, "quorum packet type not handled yet");
  }
  p.zxid = in.zxid();
  p.current_epoch = in.current_epoch();
  p.epoch = in.epoch();
  p.sender = in.sender_id();
  return PeerMessage(p);
}

}  // namespace conclave::zab
