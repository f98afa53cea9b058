#include "zab/peer.h"

#include <cstdlib>
#include <utility>

namespace conclave::zab {

const char* to_string(PeerPhase p) {
  switch (p) {
    case PeerPhase::kElection:
      return "ELECTION";
    case PeerPhase::kDiscovery:
      return "DISCOVERY";
    case PeerPhase::kSync:
      return "SYNC";
  }
  return "?";
}

Peer::Peer(ServerId my_id, QuorumVerifier verifier, PeerOptions options, Rng& rng,
           const DurableState& durable)
    : my_id_(my_id),
      verifier_(verifier),
      options_(options),
      election_(my_id, std::move(verifier), options.election, rng),
      durable_(durable) {}

void Peer::start() {
  become_looking(std::nullopt);
}

void Peer::step(ServerId from, const PeerMessage& m) {
  if (const Notification* n = std::get_if<Notification>(&m)) {
    election_.step(from, *n);
    drain_election();
    return;
  }
  (this->*step_)(from, std::get<QuorumPacket>(m));
}

Status Peer::step(ServerId from, std::string_view bytes) {
  Result<PeerMessage> m = decode_peer_message(bytes);
  if (!m.ok()) return m.error();
  step(from, *m);
  return Status::success();
}

void Peer::tick() {
  (this->*tick_)();
}

// No quorum connection is open while looking: a packet here is from a role we left.
void Peer::step_looking(ServerId, const QuorumPacket&) {}

void Peer::step_leading(ServerId from, const QuorumPacket& p) {
  if (!discovery_) return;  // discovery waits for an earlier write: nothing was sent yet
  discovery_->step(from, p);
  drain_discovery();
}

void Peer::step_learning(ServerId from, const QuorumPacket& p) {
  // A learner has one quorum connection, to the leader it chose; anything else is stale.
  if (!discovery_ || from != discovery_->leader()) return;
  discovery_->step(from, p);
  drain_discovery();
}

void Peer::tick_looking() {
  election_.tick();
  drain_election();
}

void Peer::tick_discovery() {
  // While waiting for an earlier write, initLimit has not started: discovery has not.
  if (!discovery_) return;
  discovery_->tick();
  drain_discovery();
}

void Peer::accepted_epoch_durable(int64_t epoch) {
  if (writes_in_flight_ == 0) std::abort();  // a completion nobody asked for: caller bug
  --writes_in_flight_;
  durable_.accepted_epoch = epoch;
  if (discovery_) {
    discovery_->accepted_epoch_durable(epoch);
    drain_discovery();
  } else if (pending_ && writes_in_flight_ == 0) {
    start_discovery();
  }
}

void Peer::current_epoch_durable(int64_t epoch, Zxid last_zxid) {
  durable_.current_epoch = epoch;
  durable_.last_zxid = last_zxid;
}

void Peer::return_to_election() {
  become_looking(std::nullopt);
}

PeerReady Peer::ready() {
  if (batch_in_flight_) std::abort();  // ready() twice without advance(): caller bug
  batch_in_flight_ = true;
  return std::exchange(ready_, PeerReady{});
}

void Peer::advance() {
  batch_in_flight_ = false;
}

void Peer::become_looking(std::optional<DiscoveryOutcome> outcome) {
  if (phase_ != PeerPhase::kElection) {
    // Leaving a role closes its quorum connections; what it had not sent yet goes with them.
    drop_unsent_quorum_packets();
    ready_.changes.push_back({PeerPhase::kElection, PeerState::kLooking, std::nullopt, outcome});
  }
  discovery_.reset();
  pending_.reset();
  phase_ = PeerPhase::kElection;
  role_ = PeerState::kLooking;
  step_ = &Peer::step_looking;
  tick_ = &Peer::tick_looking;
  // Votes promise durable history only (Election's contract).
  election_.start(durable_.last_zxid, durable_.current_epoch);
  drain_election();
}

void Peer::become_discovering(const Elected& e) {
  phase_ = PeerPhase::kDiscovery;
  role_ = e.role;
  step_ = e.role == PeerState::kLeading ? &Peer::step_leading : &Peer::step_learning;
  tick_ = &Peer::tick_discovery;
  ready_.changes.push_back({phase_, role_, e, std::nullopt});
  pending_ = e;
  // Discovery's contract: never start over an acceptedEpoch write still in flight, or the
  // durable state it reports could differ from what a crash leaves.
  if (writes_in_flight_ == 0) start_discovery();
}

void Peer::start_discovery() {
  Elected e = *std::exchange(pending_, std::nullopt);
  discovery_.emplace(my_id_, verifier_, options_.discovery);
  if (e.role == PeerState::kLeading) {
    discovery_->start_leading(durable_);
  } else {
    discovery_->start_following(e.vote.leader, durable_);
  }
  drain_discovery();
}

void Peer::drain_election() {
  if (!election_.has_ready()) return;
  Ready r = election_.take_ready();
  for (Outgoing& o : r.messages)
    ready_.messages.push_back({o.to, o.notification});
  if (r.elected) become_discovering(*r.elected);
}

void Peer::drain_discovery() {
  if (!discovery_ || !discovery_->has_ready()) return;
  DiscoveryReady r = discovery_->take_ready();
  if (r.persist_accepted_epoch) {
    // At most one write in flight (contract): a second in one batch is a core bug.
    if (ready_.persist_accepted_epoch) std::abort();
    ++writes_in_flight_;
    ready_.persist_accepted_epoch = r.persist_accepted_epoch;
  }
  for (PacketOut& o : r.packets)
    ready_.messages.push_back({o.to, o.packet});
  for (LearnerAcked& a : r.learners_acked)
    ready_.learners_acked.push_back(a);
  if (!r.outcome) return;
  const DiscoveryOutcome& o = *r.outcome;
  if (o.kind == DiscoveryOutcome::Kind::kBackToElection) {
    become_looking(o);
    return;
  }
  phase_ = PeerPhase::kSync;
  ready_.changes.push_back({phase_, role_, std::nullopt, o});
}

void Peer::drop_unsent_quorum_packets() {
  std::erase_if(ready_.messages, [](const PeerOutgoing& o) {
    return std::holds_alternative<QuorumPacket>(o.message);
  });
  ready_.learners_acked.clear();  // their connections close too: sync will not reach them
}

}  // namespace conclave::zab
