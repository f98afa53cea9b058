#include "zab/peer.h"

#include <algorithm>
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
    case PeerPhase::kBroadcast:
      return "BROADCAST";
  }
  return "?";
}

Peer::Peer(ServerId my_id, QuorumVerifier verifier, PeerOptions options, Rng& rng,
           const DurableState& durable, std::optional<History> history)
    : my_id_(my_id),
      verifier_(verifier),
      options_(options),
      election_(my_id, std::move(verifier), options.election, rng),
      durable_(durable) {
  replica_.history = history ? std::move(*history) : History(durable.last_zxid, {});
  if (replica_.history.last() != durable.last_zxid) std::abort();  // caller bug: see contract
  replica_.applied = replica_.logged = replica_.durable = durable.last_zxid;
  replica_.base = durable.base_zxid;
}

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

namespace {
bool is_discovery_packet(PacketType t) {
  return t == PacketType::kFollowerInfo || t == PacketType::kObserverInfo ||
         t == PacketType::kLeaderInfo || t == PacketType::kAckEpoch;
}
}  // namespace

void Peer::step_leading(ServerId from, const QuorumPacket& p) {
  if (!discovery_) return;  // discovery waits for an earlier write: nothing was sent yet
  // An established leader keeps running discovery for learners that join later.
  if (is_discovery_packet(p.type) || !leading_) {
    discovery_->step(from, p);
    drain_discovery();
    return;
  }
  leading_->step(from, p);
  drain_broadcast();
}

void Peer::step_learning(ServerId from, const QuorumPacket& p) {
  // A learner has one quorum connection, to the leader it chose; anything else is stale.
  if (!discovery_ || from != discovery_->leader()) return;
  if (learning_ && !is_discovery_packet(p.type)) {
    learning_->step(p);
    drain_broadcast();
    return;
  }
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

void Peer::tick_leading() {
  leading_->tick();
  drain_broadcast();
}

void Peer::tick_learning() {
  learning_->tick();
  drain_broadcast();
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

void Peer::log_durable(Zxid zxid) {
  // A completion for entries a truncation dropped since is capped at what is still there.
  zxid = std::min(zxid, replica_.history.last());
  if (zxid <= replica_.durable) return;
  replica_.durable = durable_.last_zxid = zxid;
  if (leading_) leading_->on_log_durable();
  if (learning_) learning_->on_log_durable();
  drain_broadcast();
}

void Peer::current_epoch_durable(int64_t epoch) {
  durable_.current_epoch = std::max(durable_.current_epoch, epoch);
  if (leading_) leading_->current_epoch_durable(epoch);
  if (learning_) learning_->current_epoch_durable(epoch);
  drain_broadcast();
}

void Peer::return_to_election() {
  become_looking(std::nullopt, "the caller lost the quorum connection");
}

void Peer::quorum_link_up(ServerId id) {
  if (role_ == PeerState::kLeading || !discovery_ || id != discovery_->leader()) return;
  discovery_->leader_link_up();
  drain_discovery();
}

void Peer::log_write_failed() {
  // Leaving the role first: its quorum packets about the lost entries must not go out.
  become_looking(std::nullopt, "a log write failed");
  replica_.history.truncate(std::max(replica_.durable, replica_.history.base()));
  replica_.logged = replica_.history.last();
  replica_.applied = std::min(replica_.applied, replica_.logged);
}

Result<Zxid> Peer::propose(std::string data) {
  if (!leading_) return Error(ErrorCode::kConnectionLoss, "not the leader");
  Result<Zxid> z = leading_->propose(std::move(data));
  drain_broadcast();
  return z;
}

Status Peer::forward(std::string request) {
  if (!learning_) return Error(ErrorCode::kConnectionLoss, "not following a leader");
  Status s = learning_->forward(std::move(request));
  drain_broadcast();
  return s;
}

Status Peer::request_sync() {
  if (!learning_) return Error(ErrorCode::kConnectionLoss, "not following a leader");
  Status s = learning_->request_sync();
  drain_broadcast();
  return s;
}

void Peer::set_ping_data(std::string data) {
  if (learning_) learning_->set_ping_data(std::move(data));
}

uint64_t Peer::pings_answered() const {
  return learning_ ? learning_->pings_answered() : 0;
}

void Peer::snapshot_persisted(Zxid zxid) {
  replica_.base = durable_.base_zxid = std::max(replica_.base, zxid);
}

void Peer::snapshot_taken(ServerId learner, Zxid zxid, std::string data) {
  if (!leading_) return;
  leading_->snapshot_taken(learner, zxid, std::move(data));
  drain_broadcast();
}

PeerReady Peer::ready() {
  if (batch_in_flight_) std::abort();  // ready() twice without advance(): caller bug
  batch_in_flight_ = true;
  return std::exchange(ready_, PeerReady{});
}

void Peer::advance() {
  batch_in_flight_ = false;
}

void Peer::become_looking(std::optional<DiscoveryOutcome> outcome, std::string reason) {
  if (phase_ != PeerPhase::kElection) {
    // Leaving a role closes its quorum connections; what it had not sent yet goes with them.
    drop_unsent_quorum_packets();
    ready_.changes.push_back(
        {PeerPhase::kElection, PeerState::kLooking, std::nullopt, outcome, std::move(reason)});
  }
  discovery_.reset();
  leading_.reset();
  learning_.reset();
  early_learners_.clear();
  // Entries a learner buffered during a sync that never reached NEWLEADER were not logged.
  if (replica_.history.last() > replica_.logged) replica_.history.truncate(replica_.logged);
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
  ready_.changes.push_back({phase_, role_, e, std::nullopt, {}});
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
  for (LearnerAcked& a : r.learners_acked) {
    ready_.learners_acked.push_back(a);
    if (leading_) {
      leading_->add_learner(a);
    } else {
      early_learners_.push_back(a);
    }
  }
  if (leading_) drain_broadcast();
  if (!r.outcome) return;
  const DiscoveryOutcome& o = *r.outcome;
  if (o.kind == DiscoveryOutcome::Kind::kBackToElection) {
    become_looking(o);
    return;
  }
  phase_ = PeerPhase::kSync;
  ready_.changes.push_back({phase_, role_, std::nullopt, o, {}});
  election_.settle(o.epoch);
  if (o.kind == DiscoveryOutcome::Kind::kEstablished) {
    leading_.emplace(my_id_, verifier_, options_.broadcast, o.epoch, replica_);
    tick_ = &Peer::tick_leading;
    for (const LearnerAcked& a : std::exchange(early_learners_, {}))
      leading_->add_learner(a);
  } else {
    learning_.emplace(my_id_, discovery_->leader(), !verifier_.is_voter(my_id_), options_.broadcast,
                      o.epoch, replica_);
    tick_ = &Peer::tick_learning;
  }
  drain_broadcast();
}

void Peer::drain_broadcast() {
  BroadcastReady r;
  if (leading_ && leading_->has_ready()) {
    r = leading_->take_ready();
  } else if (learning_ && learning_->has_ready()) {
    r = learning_->take_ready();
  } else {
    return;
  }
  // A truncation or snapshot moved the durable zxid and the base: votes report them.
  durable_.last_zxid = replica_.durable;
  durable_.base_zxid = replica_.base;
  for (PacketOut& o : r.packets)
    ready_.messages.push_back({o.to, std::move(o.packet)});
  // The contract: committed entries never follow a truncation or snapshot in one batch (they
  // are handed out only after UPTODATE, which needs a completion of this batch's writes).
  if (!r.committed.empty() &&
      std::any_of(ready_.storage.begin(), ready_.storage.end(), [](const StorageOp& op) {
        return op.kind == StorageOp::Kind::kTruncate ||
               op.kind == StorageOp::Kind::kInstallSnapshot;
      })) {
    std::abort();
  }
  for (Entry& e : r.committed)
    ready_.committed.push_back(std::move(e));
  for (StorageOp& op : r.storage)
    ready_.storage.push_back(std::move(op));
  for (ServerId id : r.snapshot_requests)
    ready_.snapshot_requests.push_back(id);
  for (auto& q : r.requests)
    ready_.requests.push_back(std::move(q));
  for (auto& q : r.pings)
    ready_.pings.push_back(std::move(q));
  ready_.syncs_done += r.syncs_done;
  if (r.serving) {
    phase_ = PeerPhase::kBroadcast;
    ready_.changes.push_back({phase_, role_, std::nullopt, std::nullopt, {}});
  }
  if (r.end) become_looking(std::nullopt, std::move(r.end->reason));
}

void Peer::drop_unsent_quorum_packets() {
  std::erase_if(ready_.messages, [](const PeerOutgoing& o) {
    return std::holds_alternative<QuorumPacket>(o.message);
  });
  ready_.learners_acked.clear();  // their connections close too: sync will not reach them
  ready_.snapshot_requests.clear();
}

}  // namespace conclave::zab
