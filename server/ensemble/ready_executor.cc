#include "server/ensemble/ready_executor.h"

#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <variant>

#include "common/log.h"
#include "zab/notification.h"
#include "zab/quorum_packet.h"

namespace conclave::ensemble {
namespace {

std::vector<uint8_t> to_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

std::string hex(int64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

std::string describe(const zab::Elected& e) {
  std::ostringstream s;
  s << zab::to_string(e.role) << ", leader " << e.vote.leader << " (its zxid " << hex(e.vote.zxid)
    << ", peer epoch " << e.vote.peer_epoch << "), election round " << e.election_epoch
    << (e.out_of_election ? ", joined an existing leader" : "") << ", supporters";
  for (zab::ServerId id : e.supporters)
    s << " " << id;
  return s.str();
}

const char* name(zab::StorageOp::Kind kind) {
  switch (kind) {
    case zab::StorageOp::Kind::kAppend:
      return "a log append";
    case zab::StorageOp::Kind::kTruncate:
      return "a log truncation";
    case zab::StorageOp::Kind::kInstallSnapshot:
      return "a snapshot install";
    case zab::StorageOp::Kind::kSetCurrentEpoch:
      return "a currentEpoch write";
  }
  return "?";
}

}  // namespace

ReadyExecutor::ReadyExecutor(zab::Peer& peer, const zab::QuorumVerifier& verifier,
                             peer::PeerTransport& election, peer::PeerTransport& quorum,
                             storage::TxnLog& log, StateMachine* state_machine)
    : peer_(peer),
      verifier_(verifier),
      election_(election),
      quorum_(quorum),
      log_(log),
      state_machine_(state_machine) {}

void ReadyExecutor::drain() {
  if (draining_) return;
  draining_ = true;
  // A storage completion is a new input and may make a new batch: loop until the Peer is quiet.
  // Bounded: every pass completes work the Peer asked for, or ends the loop.
  while (peer_.has_ready()) {
    zab::PeerReady ready = peer_.ready();
    for (const zab::PhaseChange& change : ready.changes)
      apply_change(change);
    for (const zab::PeerOutgoing& out : ready.messages)
      send(out);
    if (state_machine_) {
      hand_over(ready);
    } else {
      refuse_state_machine_work(ready);
    }
    // learners_acked needs nothing from us: Leading syncs them inside the core.
    std::vector<EpochWrite> durable = write_queued();
    peer_.advance();
    report(durable);
    if (state_machine_) {
      for (zab::ServerId learner : ready.snapshot_requests) {
        auto [zxid, data] = state_machine_->snapshot_for_learner();
        log::info("zab: sending learner ", learner, " a snapshot at 0x", std::hex, zxid, std::dec,
                  " (", data.size(), " bytes)");
        peer_.snapshot_taken(learner, zxid, std::move(data));
      }
    }
  }
  draining_ = false;
}

void ReadyExecutor::hand_over(zab::PeerReady& ready) {
  if (!ready.committed.empty()) state_machine_->apply_committed(std::move(ready.committed));
  if (ready.persist_accepted_epoch) {
    queued_writes_.push_back({EpochWrite::Kind::kAccepted, *ready.persist_accepted_epoch});
  }
  for (zab::StorageOp& op : ready.storage) {
    Status done = Status::success();
    switch (op.kind) {
      case zab::StorageOp::Kind::kSetCurrentEpoch:
        queued_writes_.push_back({EpochWrite::Kind::kCurrent, op.epoch});
        continue;
      case zab::StorageOp::Kind::kAppend:
        done = state_machine_->append(std::move(op.entries));
        if (!done.ok()) {
          log::error("zab: log append failed: ", done.error().to_string());
          peer_.log_write_failed();
          return;  // nothing after it in this batch may be carried out
        }
        continue;
      case zab::StorageOp::Kind::kTruncate:
        // Epoch writes queued before it go first: the operations keep their order.
        report(write_queued());
        done = state_machine_->truncate_to(op.zxid);
        break;
      case zab::StorageOp::Kind::kInstallSnapshot:
        report(write_queued());
        done = state_machine_->install_snapshot(op.zxid, op.data);
        break;
    }
    if (!done.ok()) {
      log::error("zab: ", name(op.kind), " failed: ", done.error().to_string());
      peer_.log_write_failed();
      return;
    }
  }
  for (auto& [from, request] : ready.requests)
    state_machine_->on_forwarded_request(from, std::move(request));
  for (auto& [from, data] : ready.pings)
    state_machine_->on_learner_ping(from, std::move(data));
  if (ready.syncs_done > 0) state_machine_->on_syncs_done(ready.syncs_done);
}

void ReadyExecutor::apply_change(const zab::PhaseChange& change) {
  // An if-chain, not a switch: every phase after discovery continues the role it settled.
  if (change.phase == zab::PeerPhase::kDiscovery) {
    held_leader_ = change.elected ? change.elected->vote.leader : peer_.leader();
    log::info("zab: election decided: ",
              change.elected ? describe(*change.elected) : zab::to_string(change.role));
  } else if (change.phase == zab::PeerPhase::kElection) {
    const std::string& why = change.outcome ? change.outcome->reason : change.reason;
    log::info("zab: back to ELECTION from ", zab::to_string(held_phase_), " as ",
              zab::to_string(held_role_), ": ", why.empty() ? "(no reason given)" : why);
    drop_role_links();
    held_leader_ = 0;
  } else if (change.role == zab::PeerState::kLeading) {
    log::info("zab: ", zab::to_string(change.phase), ": LEADING, epoch ", peer_.epoch(),
              change.phase == zab::PeerPhase::kSync ? " established by a quorum"
                                                    : ", NEWLEADER acknowledged by a quorum");
  } else {
    log::info("zab: ", zab::to_string(change.phase), ": ", zab::to_string(change.role), " leader ",
              held_leader_, ", epoch ", peer_.epoch(),
              change.phase == zab::PeerPhase::kSync ? " acknowledged" : ", up to date");
  }
  held_phase_ = change.phase;
  held_role_ = change.role;
  if (state_machine_) state_machine_->on_phase(change.phase, change.role);
}

// Leaving a role closes the quorum connections it used (zab/peer.h): what was in flight on them
// belonged to the old term, and the member at the other end learns that the term is over.
void ReadyExecutor::drop_role_links() {
  if (held_phase_ == zab::PeerPhase::kElection) return;
  if (held_role_ == zab::PeerState::kLeading) {
    for (zab::ServerId id : verifier_.members()) {
      if (id != peer_.id()) quorum_.disconnect(id);
    }
  } else {
    quorum_.disconnect(held_leader_);
  }
}

void ReadyExecutor::send(const zab::PeerOutgoing& out) {
  peer::SendStatus status;
  if (const auto* n = std::get_if<zab::Notification>(&out.message)) {
    std::vector<uint8_t> bytes = to_bytes(zab::encode_notification(*n));
    last_notification_[out.to] = bytes;
    status = election_.send(out.to, std::move(bytes));
  } else {
    const auto& p = std::get<zab::QuorumPacket>(out.message);
    // Only over a link that is up: a packet queued while none is would open the next link --
    // a new conversation -- with words from an older one. The protocol loses nothing by it: a
    // learner resends FOLLOWERINFO until LEADERINFO arrives, and a learner whose link to its
    // leader dropped goes back to election and is synced from scratch.
    if (!quorum_.connected(out.to)) {
      log::debug("zab: ", zab::to_string(p.type), " to ", out.to, " dropped: no quorum link");
      return;
    }
    status = quorum_.send(out.to, to_bytes(zab::encode_quorum_packet(p)));
  }
  switch (status) {
    case peer::SendStatus::kQueued:
    case peer::SendStatus::kQueuedDroppedOldest:  // election: the newest vote supersedes
    case peer::SendStatus::kDroppedDisconnected:  // quorum: on_down follows
    case peer::SendStatus::kLinkClosing:
    case peer::SendStatus::kStopped:
      return;
    case peer::SendStatus::kFrameTooLarge:
    case peer::SendStatus::kUnknownPeer:
      // Neither can happen with messages the core built for members of its own verifier.
      log::error("zab: cannot send to ", out.to, ": ",
                 status == peer::SendStatus::kUnknownPeer ? "unknown member" : "frame too large");
      return;
  }
}

// What needs the tree and the session tracker (the server's) is not wired yet; none of it can
// arise while no member serves a session and all start from the same history.
void ReadyExecutor::refuse_state_machine_work(const zab::PeerReady& ready) {
  if (ready.persist_accepted_epoch) {
    queued_writes_.push_back({EpochWrite::Kind::kAccepted, *ready.persist_accepted_epoch});
  }
  queue_storage(ready.storage);
  if (!ready.committed.empty()) refuse("committed entries to apply to the tree");
  if (!ready.snapshot_requests.empty()) refuse("a snapshot request from a learner");
  if (!ready.requests.empty()) refuse("client writes forwarded by a learner");
  for (const auto& [learner, touches] : ready.pings) {
    // Learners' pings carry their sessions' touches; none serves a session yet.
    if (!touches.empty()) refuse("session touches in a learner's ping");
  }
  // syncs_done answers request_sync(), which nothing calls yet.
}

void ReadyExecutor::queue_storage(const std::vector<zab::StorageOp>& ops) {
  for (const zab::StorageOp& op : ops) {
    if (storage_stalled_) return;
    if (op.kind == zab::StorageOp::Kind::kSetCurrentEpoch) {
      queued_writes_.push_back({EpochWrite::Kind::kCurrent, op.epoch});
      continue;
    }
    refuse(name(op.kind));
    storage_stalled_ = true;
  }
}

std::vector<ReadyExecutor::EpochWrite> ReadyExecutor::write_queued() {
  std::vector<EpochWrite> durable;
  while (!queued_writes_.empty()) {
    const EpochWrite w = queued_writes_.front();
    const bool accepted = w.kind == EpochWrite::Kind::kAccepted;
    Status written = w.epoch < 0 || w.epoch > std::numeric_limits<uint32_t>::max()
                         ? Status(Error(ErrorCode::kRuntimeInconsistency,
                                        "epoch " + std::to_string(w.epoch) + " out of range"))
                     : accepted ? log_.set_accepted_epoch(static_cast<uint32_t>(w.epoch))
                                : log_.set_current_epoch(static_cast<uint32_t>(w.epoch));
    if (!written.ok()) {
      if (!write_failing_) {
        log::error("zab: cannot write ", accepted ? "acceptedEpoch " : "currentEpoch ", w.epoch,
                   ", retrying every tick: ", written.error().to_string());
      }
      write_failing_ = true;
      break;
    }
    if (write_failing_) log::info("zab: epoch writes work again");
    write_failing_ = false;
    durable.push_back(w);
    queued_writes_.pop_front();
  }
  return durable;
}

void ReadyExecutor::report(const std::vector<EpochWrite>& durable) {
  for (const EpochWrite& w : durable) {
    if (w.kind == EpochWrite::Kind::kAccepted) {
      peer_.accepted_epoch_durable(w.epoch);
    } else {
      peer_.current_epoch_durable(w.epoch);
    }
  }
}

void ReadyExecutor::retry_failed_writes() {
  if (queued_writes_.empty()) return;
  report(write_queued());
  drain();
}

void ReadyExecutor::refuse(std::string_view what) {
  log::error("zab: refused ", what,
             ": applying ZAB's history to the tree is not wired into the server yet");
}

void ReadyExecutor::on_election_link_up(zab::ServerId id) {
  auto it = last_notification_.find(id);
  if (it != last_notification_.end()) (void)election_.send(id, it->second);
}

}  // namespace conclave::ensemble
