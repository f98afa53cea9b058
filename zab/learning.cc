#include "zab/learning.h"

#include <algorithm>
#include <utility>

namespace conclave::zab {

Learning::Learning(ServerId my_id, ServerId leader, bool observer, BroadcastOptions options,
                   int64_t epoch, Replica& replica)
    : my_id_(my_id),
      leader_(leader),
      observer_(observer),
      options_(options),
      epoch_(epoch),
      replica_(replica),
      commit_upto_(replica.applied) {}

void Learning::send(QuorumPacket p) {
  p.sender = my_id_;
  ready_.packets.push_back(PacketOut{leader_, std::move(p)});
}

void Learning::step(const QuorumPacket& p) {
  if (ended_ || p.sender != leader_) return;
  silent_ticks_ = 0;
  if (p.type == PacketType::kPing) {
    // L6.
    QuorumPacket reply{.type = PacketType::kPing, .zxid = replica_.history.last()};
    reply.data = ping_data_;
    ++pings_answered_;
    send(std::move(reply));
    return;
  }
  if (stage_ == Stage::kAwaitingHeader) {
    if (p.type == PacketType::kDiff || p.type == PacketType::kTrunc ||
        p.type == PacketType::kSnap) {
      on_header(p);
    } else {
      end(std::string("expected DIFF, TRUNC or SNAP from the leader, got ") + to_string(p.type));
    }
    return;
  }
  const Zxid newleader_zxid = make_zxid(static_cast<uint32_t>(epoch_), 0);
  switch (p.type) {
    case PacketType::kProposal:
      receive_entry(p.zxid, p.data, /*log_now=*/stage_ != Stage::kSyncing);
      return;
    case PacketType::kInform:
      if (!receive_entry(p.zxid, p.data, /*log_now=*/stage_ != Stage::kSyncing)) return;
      commit_upto_ = std::max(commit_upto_, p.zxid);
      deliver();
      return;
    case PacketType::kCommit:
      // L3.
      if (p.zxid > replica_.history.last()) {
        end("COMMIT of an entry never received");
        return;
      }
      commit_upto_ = std::max(commit_upto_, p.zxid);
      deliver();
      return;
    case PacketType::kNewLeader:
      if (stage_ != Stage::kSyncing || p.zxid != newleader_zxid) {
        end("unexpected NEWLEADER");
        return;
      }
      if (!unlogged_.empty()) {
        ready_.storage.push_back(StorageOp{StorageOp::Kind::kAppend, std::move(unlogged_)});
        unlogged_.clear();
      }
      newleader_last_ = replica_.logged = replica_.history.last();
      stage_ = Stage::kPersisting;
      maybe_write_current_epoch();
      return;
    case PacketType::kUpToDate:
      if (stage_ != Stage::kAcked) {
        end("UPTODATE before our NEWLEADER acknowledgement");
        return;
      }
      stage_ = Stage::kServing;
      ready_.serving = true;
      deliver();
      return;
    case PacketType::kSync:
      if (stage_ == Stage::kServing) ++ready_.syncs_done;
      return;
    default:
      end(std::string("unexpected ") + to_string(p.type) + " from the leader");
      return;
  }
}

void Learning::on_header(const QuorumPacket& p) {
  // L1.
  History& h = replica_.history;
  bool rewound = true;  // storage and state machine were set back to h.last()
  switch (p.type) {
    case PacketType::kDiff:
      if (!h.contains(p.zxid)) {
        end("DIFF from a zxid we do not have");
        return;
      }
      if (p.zxid < h.last()) {
        // Entries past our durable zxid (ACKEPOCH reported that one) may still be in flight:
        // the leader's history continues from the durable one, so drop them.
        ready_.storage.push_back(StorageOp{StorageOp::Kind::kTruncate, {}, p.zxid});
        h.truncate(p.zxid);
      } else {
        rewound = false;
      }
      break;
    case PacketType::kTrunc:
      if (p.zxid < replica_.base) {
        end("TRUNC below our newest snapshot");
        return;
      }
      ready_.storage.push_back(StorageOp{StorageOp::Kind::kTruncate, {}, p.zxid});
      if (p.zxid < h.base()) {
        h.reset(p.zxid);  // the window no longer reaches back there: it restarts empty
      } else {
        h.truncate(p.zxid);
      }
      break;
    case PacketType::kSnap: {
      StorageOp op{StorageOp::Kind::kInstallSnapshot, {}, p.zxid};
      op.data = p.data;
      ready_.storage.push_back(std::move(op));
      h.reset(p.zxid);
      replica_.base = p.zxid;
      break;
    }
    default:
      return;
  }
  // A truncation or snapshot is durable before anything after it (StorageOp's contract), and
  // leaves the caller's state machine at that point.
  if (rewound) {
    replica_.logged = replica_.durable = replica_.applied = h.last();
  }
  // Every entry of the synced history up to the leader's commit point is committed; what we
  // applied already was committed, so it is at or below that point.
  commit_upto_ = std::max(p.commit_zxid, replica_.applied);
  stage_ = Stage::kSyncing;
}

bool Learning::receive_entry(Zxid zxid, std::string data, bool log_now) {
  // L2.
  if (!follows(replica_.history.last(), zxid)) {
    end("entry " + std::to_string(zxid) + " does not follow " +
        std::to_string(replica_.history.last()));
    return false;
  }
  Entry e{zxid, std::move(data)};
  if (log_now) {
    ready_.storage.push_back(StorageOp{StorageOp::Kind::kAppend, {e}});
    replica_.logged = zxid;
  } else {
    unlogged_.push_back(e);
  }
  replica_.history.append(std::move(e));
  return true;
}

void Learning::maybe_write_current_epoch() {
  if (stage_ != Stage::kPersisting || current_epoch_requested_ ||
      replica_.durable < newleader_last_) {
    return;
  }
  current_epoch_requested_ = true;
  StorageOp op{StorageOp::Kind::kSetCurrentEpoch};
  op.epoch = epoch_;
  ready_.storage.push_back(std::move(op));
}

void Learning::on_log_durable() {
  if (ended_) return;
  maybe_write_current_epoch();
  send_acks();
}

void Learning::current_epoch_durable(int64_t epoch) {
  if (ended_ || stage_ != Stage::kPersisting || !current_epoch_requested_ || epoch != epoch_) {
    return;
  }
  send(QuorumPacket{.type = PacketType::kAck, .zxid = make_zxid(static_cast<uint32_t>(epoch_), 0)});
  stage_ = Stage::kAcked;
  send_acks();
}

void Learning::send_acks() {
  // L4.
  if (observer_ || (stage_ != Stage::kAcked && stage_ != Stage::kServing)) return;
  const Zxid d = std::min(replica_.durable, replica_.history.last());
  if (d <= last_ack_sent_ || zxid_epoch(d) != static_cast<uint32_t>(epoch_) ||
      zxid_counter(d) == 0) {
    return;
  }
  last_ack_sent_ = d;
  send(QuorumPacket{.type = PacketType::kAck, .zxid = d});
}

void Learning::deliver() {
  if (stage_ != Stage::kServing) return;
  const Zxid upto = std::min(commit_upto_, replica_.history.last());
  if (upto <= replica_.applied) return;
  for (Entry& e : replica_.history.between(replica_.applied, upto))
    ready_.committed.push_back(std::move(e));
  replica_.applied = upto;
  // Entries not yet durable stay: a DIFF after a reconnect starts from the durable zxid.
  replica_.history.trim(options_.history_entries_max, std::min(replica_.applied, replica_.durable));
}

void Learning::tick() {
  if (ended_) return;
  ++ticks_;
  // L5.
  if (stage_ != Stage::kServing) {
    if (ticks_ > options_.init_limit_ticks) end("sync with the leader did not finish in initLimit");
    return;
  }
  if (++silent_ticks_ > options_.sync_limit_ticks) end("no word from the leader within syncLimit");
}

Status Learning::forward(std::string request) {
  if (ended_ || stage_ != Stage::kServing) {
    return Error(ErrorCode::kConnectionLoss, "not serving: no leader to forward to");
  }
  QuorumPacket p{.type = PacketType::kRequest};
  p.data = std::move(request);
  send(std::move(p));
  return Status::success();
}

Status Learning::request_sync() {
  if (ended_ || stage_ != Stage::kServing) {
    return Error(ErrorCode::kConnectionLoss, "not serving: no leader to sync with");
  }
  send(QuorumPacket{.type = PacketType::kSync, .zxid = replica_.history.last()});
  return Status::success();
}

void Learning::end(std::string reason) {
  ended_ = true;
  ready_.end = RoleEnd{std::move(reason)};
}

BroadcastReady Learning::take_ready() {
  return std::exchange(ready_, BroadcastReady{});
}

}  // namespace conclave::zab
