#include "zab/discovery.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace conclave::zab {
namespace {

// The persistence contract's checks stay on in every build: breaking it loses safety silently.
void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "zab::Discovery: persistence contract broken: %s\n", what);
  std::abort();
}

}  // namespace

Discovery::Discovery(ServerId my_id, QuorumVerifier verifier, DiscoveryOptions options)
    : my_id_(my_id), verifier_(std::move(verifier)), options_(options) {}

void Discovery::reset() {
  role_ = Role::kIdle;
  durable_ = DurableState{};
  leader_ = 0;
  epoch_ = 0;
  done_ = false;
  ticks_ = 0;
  resend_ticks_ = 0;
  write_in_flight_.reset();
  learner_accepted_epoch_.clear();
  observers_.clear();
  acked_.clear();
  established_ = false;
  ready_ = DiscoveryReady{};
}

void Discovery::start_leading(const DurableState& durable) {
  reset();
  role_ = Role::kLeading;
  durable_ = durable;
  leader_ = my_id_;
  maybe_choose_epoch();  // a quorum of one (weighted configurations) needs nobody else
}

void Discovery::start_following(ServerId leader, const DurableState& durable) {
  reset();
  role_ = Role::kLearning;
  durable_ = durable;
  leader_ = leader;
  send_learner_info();
}

void Discovery::step(ServerId from, const QuorumPacket& p) {
  if (p.sender != from || !verifier_.is_member(from) || from == my_id_) return;
  if (role_ == Role::kLeading) step_leader(from, p);
  if (role_ == Role::kLearning) step_learner(from, p);
}

void Discovery::step_leader(ServerId from, const QuorumPacket& p) {
  switch (p.type) {
    case PacketType::kFollowerInfo:
    case PacketType::kObserverInfo:
      // D1/D2: a learner's acceptedEpoch; the newest report wins (a resend or a reconnect).
      learner_accepted_epoch_[from] = zxid_epoch(p.zxid);
      if (p.type == PacketType::kObserverInfo) {
        observers_.insert(from);
      } else {
        observers_.erase(from);
      }
      if (epoch_ != 0 && zxid_epoch(p.zxid) > epoch_) {
        // D8: this learner already accepted an epoch above ours (from a leader that failed
        // to establish itself) and would reject our LEADERINFO forever; ZooKeeper leaves it
        // cycling through election. A new round picks an epoch above it.
        finish(DiscoveryOutcome::Kind::kBackToElection,
               DiscoveryOutcome::Rule::kD8LearnerAcceptedHigher,
               "learner " + std::to_string(from) + " accepted epoch " +
                   std::to_string(zxid_epoch(p.zxid)) + ", above ours");
        return;
      }
      if (epoch_ != 0 && !write_in_flight_) {
        send_leader_info(from);  // D3: a learner heard after the epoch is durable
      } else {
        maybe_choose_epoch();
      }
      return;
    case PacketType::kAckEpoch: {
      // Only an ACKEPOCH naming our epoch counts; anything else is from an older connection.
      if (epoch_ == 0 || p.epoch != epoch_ || write_in_flight_) return;
      if (p.current_epoch != kNotAnAck && !established_) {
        // D5: a learner with a more recent history means someone else should lead.
        if (more_recent_than_mine(p.current_epoch, p.zxid)) {
          finish(DiscoveryOutcome::Kind::kBackToElection,
                 DiscoveryOutcome::Rule::kD5LearnerMoreRecent,
                 "learner " + std::to_string(from) + " has a more recent history");
          return;
        }
        acked_.insert(from);
      }
      ready_.learners_acked.push_back(
          LearnerAcked{from, p.zxid, p.current_epoch, p.base_zxid, observers_.contains(from)});
      if (!established_ && verifier_.contains_quorum({acked_.begin(), acked_.end()})) {
        established_ = true;  // D6
        finish(DiscoveryOutcome::Kind::kEstablished, DiscoveryOutcome::Rule::kNone, "");
      }
      return;
    }
    default:
      return;  // LEADERINFO, or a sync/broadcast packet (zab::Leading's)
  }
}

void Discovery::step_learner(ServerId from, const QuorumPacket& p) {
  if (from != leader_ || p.type != PacketType::kLeaderInfo || epoch_ != 0 || done_) return;
  const int64_t new_epoch = zxid_epoch(p.zxid);
  epoch_ = new_epoch;
  // D4.
  if (new_epoch > durable_.accepted_epoch) {
    write_in_flight_ = new_epoch;
    ready_.persist_accepted_epoch = new_epoch;  // ACKEPOCH waits for accepted_epoch_durable()
  } else if (new_epoch == durable_.accepted_epoch) {
    send_ack_epoch(kNotAnAck);
    finish(DiscoveryOutcome::Kind::kAcknowledged, DiscoveryOutcome::Rule::kNone, "");
  } else {
    finish(DiscoveryOutcome::Kind::kBackToElection, DiscoveryOutcome::Rule::kD4EpochBelowAccepted,
           "LEADERINFO epoch " + std::to_string(new_epoch) + " is below our acceptedEpoch " +
               std::to_string(durable_.accepted_epoch));
  }
}

void Discovery::accepted_epoch_durable(int64_t epoch) {
  if (!write_in_flight_ || *write_in_flight_ != epoch) return;  // not ours (an older discovery)
  write_in_flight_.reset();
  durable_.accepted_epoch = std::max(durable_.accepted_epoch, epoch);
  if (role_ == Role::kLeading) {
    acked_.insert(my_id_);  // the leader's own acceptance, now a durable promise
    for (const auto& [id, accepted] : learner_accepted_epoch_) {
      (void)accepted;
      send_leader_info(id);
    }
    if (!established_ && verifier_.contains_quorum({acked_.begin(), acked_.end()})) {
      established_ = true;
      finish(DiscoveryOutcome::Kind::kEstablished, DiscoveryOutcome::Rule::kNone, "");
    }
  } else if (role_ == Role::kLearning) {
    send_ack_epoch(durable_.current_epoch);
    finish(DiscoveryOutcome::Kind::kAcknowledged, DiscoveryOutcome::Rule::kNone, "");
  }
}

void Discovery::leader_link_up() {
  if (role_ != Role::kLearning || epoch_ != 0 || done_) return;
  resend_ticks_ = 0;
  send_learner_info();
}

void Discovery::tick() {
  if (role_ == Role::kIdle || done_) return;  // an established leader: pings take over
  if (++ticks_ >= options_.init_limit_ticks) {
    finish(DiscoveryOutcome::Kind::kBackToElection, DiscoveryOutcome::Rule::kD7InitLimit,
           "initLimit passed");  // D7
    return;
  }
  if (role_ == Role::kLearning && epoch_ == 0 &&
      ++resend_ticks_ >= options_.followerinfo_resend_ticks) {
    resend_ticks_ = 0;
    send_learner_info();
  }
}

void Discovery::maybe_choose_epoch() {
  if (epoch_ != 0) return;
  std::vector<ServerId> heard{my_id_};
  int64_t max_accepted = durable_.accepted_epoch;
  for (const auto& [id, accepted] : learner_accepted_epoch_) {
    heard.push_back(id);
    max_accepted = std::max(max_accepted, accepted);
  }
  if (!verifier_.contains_quorum(heard)) return;
  epoch_ = max_accepted + 1;  // D2
  write_in_flight_ = epoch_;
  ready_.persist_accepted_epoch = epoch_;
}

void Discovery::send_leader_info(ServerId to) {
  check(!write_in_flight_ && durable_.accepted_epoch >= epoch_,
        "LEADERINFO before the leader's acceptedEpoch is durable");
  ready_.packets.push_back(
      PacketOut{to, QuorumPacket{.type = PacketType::kLeaderInfo,
                                 .zxid = make_zxid(static_cast<uint32_t>(epoch_), 0),
                                 .sender = my_id_}});
}

void Discovery::send_ack_epoch(int64_t current_epoch) {
  check(!write_in_flight_ && durable_.accepted_epoch >= epoch_,
        "ACKEPOCH before the learner's acceptedEpoch is durable");
  QuorumPacket ack{.type = PacketType::kAckEpoch,
                   .zxid = durable_.last_zxid,
                   .current_epoch = current_epoch,
                   .epoch = epoch_,
                   .sender = my_id_};
  ack.base_zxid = durable_.base_zxid;
  ready_.packets.push_back(PacketOut{leader_, std::move(ack)});
}

void Discovery::send_learner_info() {
  const PacketType type =
      verifier_.is_voter(my_id_) ? PacketType::kFollowerInfo : PacketType::kObserverInfo;
  ready_.packets.push_back(PacketOut{
      leader_, QuorumPacket{.type = type,
                            .zxid = make_zxid(static_cast<uint32_t>(durable_.accepted_epoch), 0),
                            .sender = my_id_}});
}

void Discovery::finish(DiscoveryOutcome::Kind kind, DiscoveryOutcome::Rule rule,
                       std::string reason) {
  done_ = true;
  ready_.outcome = DiscoveryOutcome{kind, epoch_, rule, std::move(reason)};
  if (kind == DiscoveryOutcome::Kind::kBackToElection) role_ = Role::kIdle;
}

bool Discovery::more_recent_than_mine(int64_t current_epoch, Zxid last_zxid) const {
  // StateSummary.isMoreRecentThan.
  return current_epoch > durable_.current_epoch ||
         (current_epoch == durable_.current_epoch && last_zxid > durable_.last_zxid);
}

bool Discovery::has_ready() const {
  return !ready_.packets.empty() || ready_.persist_accepted_epoch.has_value() ||
         !ready_.learners_acked.empty() || ready_.outcome.has_value();
}

DiscoveryReady Discovery::take_ready() {
  return std::exchange(ready_, DiscoveryReady{});
}

}  // namespace conclave::zab
