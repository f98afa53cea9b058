#include "zab/quorum_verifier.h"

#include <algorithm>
#include <set>
#include <string>

namespace conclave::zab {

Result<QuorumVerifier> QuorumVerifier::majority(const std::vector<ServerId>& participants,
                                                const std::vector<ServerId>& observers) {
  std::map<ServerId, uint64_t> weights;
  for (ServerId id : participants)
    weights[id] = 1;
  if (weights.size() != participants.size()) {
    return Error(ErrorCode::kBadArguments, "a participant is listed twice");
  }
  return weighted(weights, observers);
}

Result<QuorumVerifier> QuorumVerifier::weighted(const std::map<ServerId, uint64_t>& weights,
                                                const std::vector<ServerId>& observers) {
  QuorumVerifier v;
  v.weights_ = weights;
  for (ServerId id : observers) {
    if (!v.weights_.emplace(id, 0).second) {
      return Error(ErrorCode::kBadArguments,
                   "server " + std::to_string(id) + " is both participant and observer");
    }
  }
  if (v.weights_.size() > kMembersMax) {
    return Error(ErrorCode::kBadArguments, "more than kMembersMax members");
  }
  for (const auto& [id, w] : v.weights_) {
    if (id < 0) return Error(ErrorCode::kBadArguments, "server ids are not negative");
    v.members_.push_back(id);
    if (w > 0) v.voters_.push_back(id);
    v.total_weight_ += w;
  }
  if (v.total_weight_ == 0) return Error(ErrorCode::kBadArguments, "no voting member");
  return v;
}

uint64_t QuorumVerifier::weight(ServerId id) const {
  auto it = weights_.find(id);
  return it == weights_.end() ? 0 : it->second;
}

bool QuorumVerifier::contains_quorum(const std::vector<ServerId>& ids) const {
  std::set<ServerId> counted;
  uint64_t sum = 0;
  for (ServerId id : ids) {
    if (counted.insert(id).second) sum += weight(id);
  }
  return 2 * sum > total_weight_;
}

}  // namespace conclave::zab
