#include "zab/notification.h"

#include "zab/messages.pb.h"

namespace conclave::zab {

const char* to_string(PeerState s) {
  switch (s) {
    case PeerState::kLooking:
      return "LOOKING";
    case PeerState::kFollowing:
      return "FOLLOWING";
    case PeerState::kLeading:
      return "LEADING";
    case PeerState::kObserving:
      return "OBSERVING";
  }
  return "?";
}

bool vote_beats(const Vote& candidate, const Vote& current, const QuorumVerifier& verifier) {
  if (verifier.weight(candidate.leader) == 0) return false;
  if (candidate.peer_epoch != current.peer_epoch) return candidate.peer_epoch > current.peer_epoch;
  if (candidate.zxid != current.zxid) return candidate.zxid > current.zxid;
  return candidate.leader > current.leader;
}

std::string encode_notification(const Notification& n) {
  pb::PeerMessage msg;
  pb::Notification* out = msg.mutable_notification();
  out->set_state(static_cast<pb::PeerState>(n.state));
  out->set_leader(n.vote.leader);
  out->set_zxid(n.vote.zxid);
  out->set_election_epoch(n.election_epoch);
  out->set_peer_epoch(n.vote.peer_epoch);
  out->set_sender_id(n.sender);
  return msg.SerializeAsString();
}

Result<Notification> decode_notification(std::string_view bytes) {
  pb::PeerMessage msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error(ErrorCode::kMarshallingError, "not a PeerMessage");
  }
  if (!msg.has_notification()) {
    return Error(ErrorCode::kMarshallingError, "PeerMessage carries no notification");
  }
  const pb::Notification& in = msg.notification();
  if (!pb::PeerState_IsValid(in.state())) {
    return Error(ErrorCode::kMarshallingError, "unknown peer state");
  }
  Notification n;
  n.state = static_cast<PeerState>(in.state());
  n.vote = Vote{in.leader(), in.zxid(), in.peer_epoch()};
  n.election_epoch = in.election_epoch();
  n.sender = in.sender_id();
  return n;
}

}  // namespace conclave::zab
