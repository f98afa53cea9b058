#include "zab/leading.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace conclave::zab {
namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "zab::Leading: contract broken: %s\n", what);
  std::abort();
}

}  // namespace

Leading::Leading(ServerId my_id, QuorumVerifier verifier, BroadcastOptions options, int64_t epoch,
                 Replica& replica)
    : my_id_(my_id),
      verifier_(std::move(verifier)),
      options_(options),
      epoch_(epoch),
      replica_(replica),
      established_last_(replica.history.last()),
      committed_(replica.applied) {
  maybe_write_current_epoch();
}

void Leading::send(ServerId to, QuorumPacket p) {
  p.sender = my_id_;
  ready_.packets.push_back(PacketOut{to, std::move(p)});
}

Zxid Leading::sync_commit_point() const {
  // Before we serve, our whole history at establishment is what NEWLEADER's quorum commits.
  return std::max(committed_, established_last_);
}

void Leading::add_learner(const LearnerAcked& learner) {
  if (ended_) return;
  std::erase_if(sync_waiters_, [&](const auto& w) { return w.first == learner.id; });
  LearnerSlot& slot = learners_[learner.id];
  slot = LearnerSlot{};
  slot.observer = learner.observer || !verifier_.is_voter(learner.id);
  slot.last_heard_tick = ticks_;
  const History& h = replica_.history;
  const Zxid p = learner.last_zxid;
  // S1.
  if (h.contains(p)) {
    stream_sync(learner.id, slot, PacketType::kDiff, p, {});
    return;
  }
  std::optional<Zxid> q = h.highest_at_or_below(p);
  if (q && zxid_epoch(*q) == zxid_epoch(p) && *q >= learner.base_zxid) {
    stream_sync(learner.id, slot, PacketType::kTrunc, *q, {});
    return;
  }
  ready_.snapshot_requests.push_back(learner.id);
}

void Leading::snapshot_taken(ServerId learner, Zxid zxid, std::string data) {
  if (ended_) return;
  auto it = learners_.find(learner);
  // Synced again since the request (or gone): the old request is moot.
  if (it == learners_.end() || it->second.streaming) return;
  check(zxid >= replica_.applied && replica_.history.contains(zxid),
        "snapshot_taken() with a state before the commit point or not in our history");
  it->second.snapshot_zxid = zxid;
  stream_sync(learner, it->second, PacketType::kSnap, zxid, std::move(data));
}

void Leading::stream_sync(ServerId to, LearnerSlot& slot, PacketType header, Zxid from,
                          std::string data) {
  // S2.
  QuorumPacket h{.type = header, .zxid = from, .current_epoch = 0, .epoch = 0, .sender = 0};
  h.data = std::move(data);
  h.commit_zxid = sync_commit_point();
  send(to, std::move(h));
  const Zxid through = slot.observer ? sync_commit_point() : replica_.history.last();
  for (Entry& e : replica_.history.between(from, through)) {
    QuorumPacket p{
        .type = PacketType::kProposal, .zxid = e.zxid, .current_epoch = 0, .epoch = 0, .sender = 0};
    p.data = std::move(e.data);
    send(to, std::move(p));
  }
  send(to, QuorumPacket{.type = PacketType::kNewLeader,
                        .zxid = make_zxid(static_cast<uint32_t>(epoch_), 0)});
  slot.streaming = true;
}

void Leading::step(ServerId from, const QuorumPacket& p) {
  auto it = learners_.find(from);
  if (ended_ || it == learners_.end() || p.sender != from) return;
  LearnerSlot& slot = it->second;
  slot.last_heard_tick = ticks_;
  switch (p.type) {
    case PacketType::kAck:
      if (!slot.streaming) return;
      if (p.zxid == make_zxid(static_cast<uint32_t>(epoch_), 0)) {
        if (slot.newleader_acked) return;
        slot.newleader_acked = true;
        if (serving_) {
          send_uptodates();
        } else {
          maybe_serve();
        }
        return;
      }
      // B2: only acknowledgements of this epoch's proposals, from a learner past NEWLEADER.
      if (!slot.newleader_acked || slot.observer ||
          zxid_epoch(p.zxid) != static_cast<uint32_t>(epoch_)) {
        return;
      }
      slot.acked = std::max(slot.acked, std::min(p.zxid, replica_.history.last()));
      try_commit();
      return;
    case PacketType::kPing:
      if (!p.data.empty()) ready_.pings.emplace_back(from, p.data);
      return;
    case PacketType::kRequest:
      if (serving_) ready_.requests.emplace_back(from, p.data);
      return;
    case PacketType::kSync:
      // B4.
      if (!slot.newleader_acked) return;
      sync_waiters_.emplace_back(from, replica_.history.last());
      answer_syncs();
      return;
    default:
      return;  // not a packet a learner sends in broadcast
  }
}

void Leading::tick() {
  if (ended_) return;
  ++ticks_;
  if (ticks_ % std::max<uint64_t>(1, options_.ping_interval_ticks) == 0) {
    for (auto& [id, slot] : learners_) {
      if (slot.streaming) send(id, QuorumPacket{.type = PacketType::kPing, .zxid = committed_});
    }
  }
  // B3.
  if (!serving_) {
    if (ticks_ > options_.init_limit_ticks) {
      end("NEWLEADER was not acknowledged by a quorum within initLimit");
    }
    return;
  }
  if (!voters_form_quorum(0, /*require_recent=*/true)) {
    end("lost the quorum of synced followers (none heard within syncLimit)");
  }
}

bool Leading::voters_form_quorum(Zxid acked_at_least, bool require_recent) const {
  std::vector<ServerId> ids;
  if (current_epoch_durable_ && replica_.durable >= acked_at_least) ids.push_back(my_id_);
  for (const auto& [id, slot] : learners_) {
    if (slot.observer || !slot.newleader_acked || slot.acked < acked_at_least) continue;
    if (require_recent && ticks_ - slot.last_heard_tick > options_.sync_limit_ticks) continue;
    ids.push_back(id);
  }
  return verifier_.contains_quorum(ids);
}

Result<Zxid> Leading::propose(std::string data) {
  if (ended_ || !serving_) {
    return Error(ErrorCode::kConnectionLoss, "not serving: the leader is still syncing");
  }
  // B1.
  if (counter_ >= options_.last_counter) {
    end("zxid counter exhausted in epoch " + std::to_string(epoch_) + ": a new epoch is needed");
    return Error(ErrorCode::kConnectionLoss, "zxid counter exhausted; re-electing");
  }
  Zxid z = make_zxid(static_cast<uint32_t>(epoch_), ++counter_);
  Entry e{z, std::move(data)};
  for (auto& [id, slot] : learners_) {
    if (slot.streaming && !slot.observer) {
      QuorumPacket p{.type = PacketType::kProposal, .zxid = z};
      p.data = e.data;
      send(id, std::move(p));
    }
  }
  ready_.storage.push_back(StorageOp{StorageOp::Kind::kAppend, {e}});
  replica_.history.append(std::move(e));
  replica_.logged = z;
  return z;
}

void Leading::on_log_durable() {
  if (ended_) return;
  maybe_write_current_epoch();
  try_commit();
}

void Leading::maybe_write_current_epoch() {
  if (current_epoch_requested_ || replica_.durable < established_last_) return;
  current_epoch_requested_ = true;
  StorageOp op{StorageOp::Kind::kSetCurrentEpoch};
  op.epoch = epoch_;
  ready_.storage.push_back(std::move(op));
}

void Leading::current_epoch_durable(int64_t epoch) {
  if (ended_ || epoch != epoch_ || !current_epoch_requested_) return;
  check(replica_.durable >= established_last_, "currentEpoch durable before the history");
  current_epoch_durable_ = true;
  maybe_serve();
}

void Leading::maybe_serve() {
  // S3: the learners' NEWLEADER acks and our own durable currentEpoch.
  if (serving_) return;
  std::vector<ServerId> ids;
  if (current_epoch_durable_) ids.push_back(my_id_);
  for (const auto& [id, slot] : learners_) {
    if (!slot.observer && slot.newleader_acked) ids.push_back(id);
  }
  if (!verifier_.contains_quorum(ids)) return;
  serving_ = true;
  ready_.serving = true;
  // Our history at establishment is committed now; the learners got it in their sync stream.
  if (established_last_ > committed_) {
    for (Entry& e : replica_.history.between(committed_, established_last_))
      ready_.committed.push_back(std::move(e));
    committed_ = established_last_;
    replica_.applied = committed_;
  }
  send_uptodates();
  try_commit();
  answer_syncs();
}

void Leading::send_uptodates() {
  for (auto& [id, slot] : learners_) {
    if (slot.newleader_acked && !slot.uptodate_sent && committed_ >= slot.snapshot_zxid) {
      slot.uptodate_sent = true;
      send(id, QuorumPacket{.type = PacketType::kUpToDate,
                            .zxid = make_zxid(static_cast<uint32_t>(epoch_), 0)});
    }
  }
}

void Leading::try_commit() {
  if (!serving_ || replica_.history.last() <= committed_) return;
  // B2: the highest zxid a quorum acknowledged. Candidates are the acknowledgement levels.
  std::vector<Zxid> levels{replica_.durable};
  for (const auto& [id, slot] : learners_) {
    if (!slot.observer && slot.newleader_acked) levels.push_back(slot.acked);
  }
  std::sort(levels.begin(), levels.end(), std::greater<>());
  for (Zxid z : levels) {
    z = std::min(z, replica_.history.last());
    if (z <= committed_) return;
    if (voters_form_quorum(z, /*require_recent=*/false)) {
      commit_through(z);
      return;
    }
  }
}

void Leading::commit_through(Zxid z) {
  for (Entry& e : replica_.history.between(committed_, z)) {
    for (auto& [id, slot] : learners_) {
      if (!slot.streaming) continue;
      if (slot.observer) {
        QuorumPacket p{.type = PacketType::kInform, .zxid = e.zxid};
        p.data = e.data;
        send(id, std::move(p));
      } else {
        send(id, QuorumPacket{.type = PacketType::kCommit, .zxid = e.zxid});
      }
    }
    ready_.committed.push_back(std::move(e));
  }
  committed_ = z;
  replica_.applied = z;
  send_uptodates();
  replica_.history.trim(options_.history_entries_max, std::min(replica_.applied, replica_.durable));
  answer_syncs();
}

void Leading::answer_syncs() {
  while (serving_ && !sync_waiters_.empty() && sync_waiters_.front().second <= committed_) {
    send(sync_waiters_.front().first, QuorumPacket{.type = PacketType::kSync, .zxid = committed_});
    sync_waiters_.pop_front();
  }
}

Leading::Stats Leading::stats() const {
  Stats out;
  out.learners = learners_.size();
  out.pending_syncs = sync_waiters_.size();
  for (const auto& [id, slot] : learners_) {
    if (!slot.newleader_acked || ticks_ - slot.last_heard_tick > options_.sync_limit_ticks) {
      continue;
    }
    ++(slot.observer ? out.synced_observers : out.synced_followers);
  }
  return out;
}

void Leading::end(std::string reason) {
  ended_ = true;
  ready_.end = RoleEnd{std::move(reason)};
}

BroadcastReady Leading::take_ready() {
  return std::exchange(ready_, BroadcastReady{});
}

}  // namespace conclave::zab
