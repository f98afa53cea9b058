// Types shared by the two post-discovery roles, zab::Leading (zab/leading.h) and
// zab::Learning (zab/learning.h): what they are configured with, the member's replicated state
// they work on, and the batch of work they hand back (drained by zab::Peer into a PeerReady).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/zxid.h"
#include "zab/discovery.h"
#include "zab/history.h"
#include "zab/quorum_packet.h"

namespace conclave::zab {

struct BroadcastOptions {
  // initLimit: from establishment (leader) or ACKEPOCH (learner) until the member serves.
  uint64_t init_limit_ticks = 10;
  // syncLimit: a learner that hears nothing from its leader this long, and a leader whose
  // synced voters heard within it stop forming a quorum, go back to election.
  uint64_t sync_limit_ticks = 5;
  // The last zxid counter a leader proposes; the next proposal forces a new epoch
  // (ZOOKEEPER-1277: ZooKeeper refuses counter 0xffffffff). Lowered by tests to reach it.
  uint32_t last_counter = kZxidCounterMax - 1;
  // Applied entries the History keeps for DIFF; older learners get a SNAP.
  size_t history_entries_max = 100'000;
  // The leader pings its learners every this many ticks.
  uint64_t ping_interval_ticks = 1;
};

// The member's replicated state as the core sees it, owned by zab::Peer across roles.
struct Replica {
  History history{0, {}};
  // Last entry handed out as committed (the caller applied it; at start, the caller replayed
  // its whole log, so it is the last logged zxid).
  Zxid applied = 0;
  // Last zxid handed to storage (an append may still be in flight). The History can hold more
  // only while a learner buffers its sync; leaving the role drops those.
  Zxid logged = 0;
  // Last zxid whose log entry is durable (every entry up to it is).
  Zxid durable = 0;
  // DurableState::base_zxid: how far back storage can truncate.
  Zxid base = 0;
};

// A storage operation, carried out in the order given. Appends complete asynchronously (the
// caller reports log_durable(zxid) as fsyncs finish, in order); truncations and snapshot
// installs are carried out and durable before the next operation starts (the caller first lets
// earlier appends finish and reports them); the currentEpoch write completes with
// current_epoch_durable(epoch).
struct StorageOp {
  enum class Kind : uint8_t {
    kAppend,           // entries: append to the log
    kTruncate,         // drop log entries above zxid; rebuild the state machine at zxid
    kInstallSnapshot,  // replace log and state machine with the snapshot `data` at zxid
    kSetCurrentEpoch,  // epoch: write currentEpoch, synced
  };
  Kind kind = Kind::kAppend;
  std::vector<Entry> entries{};
  Zxid zxid = 0;
  std::string data{};
  int64_t epoch = 0;
};

// Why a post-discovery role ended (back to election).
struct RoleEnd {
  std::string reason;
};

struct BroadcastReady {
  std::vector<PacketOut> packets;
  std::vector<StorageOp> storage;
  // Entries committed, in zxid order, to apply to the state machine.
  std::vector<Entry> committed;
  // Leader: learners that need a snapshot of the state machine (answer with snapshot_taken()).
  std::vector<ServerId> snapshot_requests;
  // Leader: client writes forwarded by learners (REQUEST), and the PING payloads of learners.
  std::vector<std::pair<ServerId, std::string>> requests;
  std::vector<std::pair<ServerId, std::string>> pings;
  // Learner: how many of its SYNC requests the leader answered (in the order asked).
  uint64_t syncs_done = 0;
  bool serving = false;  // the member started serving (leader: NEWLEADER quorum; learner: UPTODATE)
  std::optional<RoleEnd> end;
  bool empty() const {
    return packets.empty() && storage.empty() && committed.empty() && snapshot_requests.empty() &&
           requests.empty() && pings.empty() && syncs_done == 0 && !serving && !end;
  }
};

}  // namespace conclave::zab
