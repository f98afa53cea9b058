// QuorumVerifier: who is in the ensemble, who votes, and which sets of voters form a quorum.
// Each participant has a weight (1 in the usual majority configuration); observers have weight
// 0, never vote and can never be elected. A set is a quorum when its weight is more than half
// of the total weight (QuorumMaj / the flat case of QuorumHierarchical in ZooKeeper).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "common/result.h"

namespace conclave::zab {

using ServerId = int64_t;

// An ensemble is at most this large; it bounds every per-member table in zab/.
constexpr size_t kMembersMax = 255;

class QuorumVerifier {
 public:
  // Every participant weighs 1: a quorum is a strict majority of participants.
  static Result<QuorumVerifier> majority(const std::vector<ServerId>& participants,
                                         const std::vector<ServerId>& observers);
  // Explicit weights; a participant of weight 0 is counted as a member that cannot vote.
  static Result<QuorumVerifier> weighted(const std::map<ServerId, uint64_t>& weights,
                                         const std::vector<ServerId>& observers);

  bool is_member(ServerId id) const { return weights_.contains(id); }
  // A voter can vote and be voted for (ZooKeeper's validVoter plus weight > 0).
  bool is_voter(ServerId id) const { return weight(id) > 0; }
  uint64_t weight(ServerId id) const;
  // Ascending ids of every voter / every member.
  const std::vector<ServerId>& voters() const { return voters_; }
  const std::vector<ServerId>& members() const { return members_; }

  // Ids may repeat or include non-voters; each voter counts once.
  bool contains_quorum(const std::vector<ServerId>& ids) const;

 private:
  QuorumVerifier() = default;
  std::map<ServerId, uint64_t> weights_;  // every member; observers at 0
  std::vector<ServerId> voters_;
  std::vector<ServerId> members_;
  uint64_t total_weight_ = 0;
};

}  // namespace conclave::zab
