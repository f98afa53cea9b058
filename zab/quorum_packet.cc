#include "zab/quorum_packet.h"

#include "zab/messages.pb.h"

namespace conclave::zab {

const char* to_string(PacketType t) {
  switch (t) {
    case PacketType::kRequest:
      return "REQUEST";
    case PacketType::kProposal:
      return "PROPOSAL";
    case PacketType::kAck:
      return "ACK";
    case PacketType::kCommit:
      return "COMMIT";
    case PacketType::kPing:
      return "PING";
    case PacketType::kSync:
      return "SYNC";
    case PacketType::kInform:
      return "INFORM";
    case PacketType::kNewLeader:
      return "NEWLEADER";
    case PacketType::kFollowerInfo:
      return "FOLLOWERINFO";
    case PacketType::kUpToDate:
      return "UPTODATE";
    case PacketType::kDiff:
      return "DIFF";
    case PacketType::kTrunc:
      return "TRUNC";
    case PacketType::kSnap:
      return "SNAP";
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
  if (!p.data.empty()) out->set_data(p.data);
  out->set_base_zxid(p.base_zxid);
  out->set_commit_zxid(p.commit_zxid);
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
    case pb::REQUEST:
    case pb::PROPOSAL:
    case pb::ACK:
    case pb::COMMIT:
    case pb::PING:
    case pb::SYNC:
    case pb::INFORM:
    case pb::NEWLEADER:
    case pb::FOLLOWERINFO:
    case pb::UPTODATE:
    case pb::DIFF:
    case pb::TRUNC:
    case pb::SNAP:
    case pb::OBSERVERINFO:
    case pb::LEADERINFO:
    case pb::ACKEPOCH:
      p.type = static_cast<PacketType>(in.type());
      break;
    default:
      return Error(ErrorCode::kMarshallingError, "quorum packet type not used");
  }
  p.zxid = in.zxid();
  p.current_epoch = in.current_epoch();
  p.epoch = in.epoch();
  p.sender = in.sender_id();
  p.data = in.data();
  p.base_zxid = in.base_zxid();
  p.commit_zxid = in.commit_zxid();
  return PeerMessage(p);
}

}  // namespace conclave::zab
