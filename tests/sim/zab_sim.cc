// zab_sim: a deterministic simulator for zab::Peer -- election, discovery, sync and broadcast.
// N members (3..7, some observers) over a simulated network with per-message delay, reordering
// across links (FIFO within one directed link), drops that break a link for a while,
// partitions (one-way too), and crashes and restarts -- all drawn from ONE seed. Each member
// has a simulated disk: writes (epochs, log appends) become durable after a random number of
// ticks, in order within each of the two (epoch writes may overtake log appends), and a crash
// loses those that have not; truncations and snapshot installs are synchronous. Its state machine
// is a hash chain over the entries applied (a digest), so that two members' states compare in O(1).
// Clients write through the leader (propose) and through learners (REQUEST forwarded to the
// leader), and learners ask for sync.
//
// Checked after every step (DESIGN.md's invariants and the persistence contracts):
// - election: a decision is backed by a quorum of voters that really sent that vote; a
//   follower joined only a leader that itself said LEADING; observers never lead;
// - discovery: at most one leader establishes itself per epoch; acceptedEpoch never decreases
//   and is never below currentEpoch; no LEADERINFO/ACKEPOCH before its epoch is durable; after
//   a crash the epochs read back are the last ones whose writes completed;
// - sync: no ACK of NEWLEADER before the synced entries and currentEpoch are durable, no ACK
//   of a proposal before it is durable (ZOOKEEPER-3911/4643/4646/4685);
// - broadcast: every member applies entries in zxid order without skipping one any member
//   applied (3); no two members apply different entries, or reach different states, at one
//   zxid (2, 6); a leader starts serving only with every entry ever acknowledged to a client
//   (committed by a leader) in its state (4); a SYNC is answered only once the learner has
//   every entry proposed before it asked.
// After the faults heal, a leader must serve, every live member must follow it, and every
// entry proposed must be applied everywhere, within kHealBoundTicks.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "zab/peer.h"
#include "zab/quorum_packet.h"

namespace conclave::zab::sim {
namespace {

// After the faults heal, a leader must serve everyone and apply everything within this.
constexpr uint64_t kHealBoundTicks = 2000;
constexpr uint64_t kFaultTicksDefault = 400;
constexpr uint64_t kLinkBrokenTicksMax = 60;
constexpr uint64_t kDelayTicksMax = 8;
// syncLimit must cover a PING's round trip at the worst delay.
constexpr uint64_t kSyncLimitTicks = 2 * kDelayTicksMax + 6;
// initLimit: discovery (three message delays, two epoch writes) or sync (a round trip, writes).
constexpr uint64_t kInitLimitTicks = 60;
constexpr uint64_t kFollowerInfoResendTicks = 4;
constexpr uint64_t kWriteTicksMax = 4;

struct Config {
  uint64_t seed = 1;
  int members = 0;     // 0: chosen by the seed
  int observers = -1;  // -1: chosen by the seed
  uint64_t fault_ticks = kFaultTicksDefault;
  bool verbose = false;
  bool strict_rounds = false;  // two LEADING in one (round, peer epoch) fails the run
  // A scenario (tests/sim/scenarios/*.scn): its header, then its timeline. No random faults
  // and no random writes run with one; the seed still drives delays and tie-breaks.
  std::string scenario_path;
  std::vector<std::vector<std::string>> script;
  uint32_t last_counter = kZxidCounterMax - 1;
  size_t history_entries = 0;  // 0: chosen by the seed
};

std::string replay_command(const Config& c) {
  if (!c.scenario_path.empty()) {
    return "zab_sim --scenario " + c.scenario_path + " --seed " + std::to_string(c.seed) +
           " --verbose";
  }
  return "zab_sim --seed " + std::to_string(c.seed) + " --members " + std::to_string(c.members) +
         " --observers " + std::to_string(c.observers) + " --fault-ticks " +
         std::to_string(c.fault_ticks) + " --verbose";
}

std::string hex(Zxid z) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%x:%x", zxid_epoch(z), zxid_counter(z));
  return buf;
}

uint64_t chain(uint64_t digest, const Entry& e) {
  // FNV-1a over the previous digest, the zxid and the data.
  uint64_t h = 1469598103934665603ull ^ digest;
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(static_cast<uint64_t>(e.zxid));
  for (char c : e.data) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Coverage probes: how often each branch ran, so a campaign shows it exercised them.
struct Coverage {
  uint64_t established = 0;
  uint64_t acks_fresh = 0;               // D4 newer epoch: persisted, then ACKEPOCH
  uint64_t acks_minus_one = 0;           // D4 equal epoch: ACKEPOCH -1
  uint64_t d4_epoch_below_accepted = 0;  // D4 older epoch: back to election
  uint64_t d5_abdications = 0;           // D5
  uint64_t d7_init_limit = 0;            // D7
  uint64_t d8_learner_accepted_higher = 0;
  uint64_t writes_lost = 0;         // in flight at a crash
  uint64_t discoveries_waited = 0;  // election decided over an epoch write in flight (Peer waits)
  uint64_t diffs = 0, truncs = 0, snaps = 0;
  uint64_t serving_leaders = 0;
  uint64_t committed = 0;  // entries committed by leaders
  uint64_t syncs = 0;      // learner SYNCs answered
  uint64_t role_ends = 0;  // sync/broadcast ended (syncLimit, initLimit, gap, ...)
  uint64_t targeted_crashes = 0;
  void add(const Coverage& o) {
    targeted_crashes += o.targeted_crashes;
    established += o.established;
    acks_fresh += o.acks_fresh;
    acks_minus_one += o.acks_minus_one;
    d4_epoch_below_accepted += o.d4_epoch_below_accepted;
    d5_abdications += o.d5_abdications;
    d7_init_limit += o.d7_init_limit;
    d8_learner_accepted_higher += o.d8_learner_accepted_higher;
    writes_lost += o.writes_lost;
    discoveries_waited += o.discoveries_waited;
    diffs += o.diffs;
    truncs += o.truncs;
    snaps += o.snaps;
    serving_leaders += o.serving_leaders;
    committed += o.committed;
    syncs += o.syncs;
    role_ends += o.role_ends;
  }
};

struct InFlight {
  uint64_t deliver_at_tick;
  std::string bytes;
  bool quorum_packet = false;  // on the quorum port: lost when either end closes
};

// A write on the simulated disk, durable at `durable_at_tick` (FIFO), lost by a crash before.
struct PendingWrite {
  enum class Kind : uint8_t { kAcceptedEpoch, kCurrentEpoch, kAppend } kind;
  uint64_t durable_at_tick = 0;
  int64_t epoch = 0;
  std::vector<Entry> entries{};
};

struct Disk {
  int64_t accepted_epoch = 0;
  int64_t current_epoch = 0;
  Zxid snapshot_zxid = 0;
  uint64_t snapshot_digest = 0;
  std::vector<Entry> log;  // durable entries after the snapshot
  // Two independent queues, each FIFO: the epochs and the log are separate writes (files in
  // ZooKeeper), so an epoch write may become durable before an earlier log append.
  std::deque<PendingWrite> epoch_writes;
  std::deque<PendingWrite> log_writes;
  Zxid last() const { return log.empty() ? snapshot_zxid : log.back().zxid; }
};

struct Link {
  std::deque<InFlight> queue;
  uint64_t broken_until_tick = 0;
  bool blocked = false;  // partitioned
  bool was_usable = true;
  uint64_t last_deliver_at_tick = 0;
  std::optional<std::string> last_sent;  // QuorumCnxManager sends it again on reconnect
};

struct Node {
  ServerId id = 0;
  std::unique_ptr<Peer> peer;
  bool alive = true;
  Disk disk;
  // The state machine.
  Zxid applied = 0;
  uint64_t digest = 0;
  int64_t accepted_epoch_watermark = 0;
  // SYNCs asked and not answered: the last zxid the leader had proposed when each was asked.
  std::deque<Zxid> syncs_asked;
  // Crash at the end of this step (the worst moments: a leader that just committed while its
  // own fsync is still in flight, a learner that just acknowledged).
  bool crash_soon = false;
  bool disk_stalled = false;  // scenario: writes wait (still lost by a crash)
};

class Simulation {
 public:
  explicit Simulation(Config& config) : config_(config), rng_(config.seed) {
    // A separate stream picks the shape, so passing the printed shape back replays the run.
    SplitMix64Rng shape(config.seed ^ 0x5eed5eed5eed5eedull);
    // Every draw happens whether or not the command line overrides it, so the later draws do
    // not shift.
    int members = static_cast<int>(shape.between(3, 7));
    if (config_.members == 0) config_.members = members;
    int observer_count = static_cast<int>(shape.between(0, 2));
    if (config_.observers < 0) config_.observers = std::min(observer_count, config_.members - 3);
    delay_ticks_max_ = shape.between(1, kDelayTicksMax);
    link_break_per_million_ = shape.between(0, 20'000);
    partition_per_million_ = shape.between(0, 8'000);
    crash_per_million_ = shape.between(0, 6'000);
    one_way_partitions_ = shape.chance(500'000);
    write_ticks_max_ = shape.between(0, kWriteTicksMax);
    propose_per_million_ = shape.between(50'000, 500'000);
    history_entries_max_ = static_cast<size_t>(shape.between(3, 200));
    local_snapshot_per_million_ = shape.between(0, 30'000);

    std::vector<ServerId> voters, observers;
    for (int i = 1; i <= config_.members; ++i) {
      (i > config_.members - config_.observers ? observers : voters).push_back(i);
    }
    verifier_.emplace(std::move(QuorumVerifier::majority(voters, observers)).value());
    options_.election = ElectionOptions{.finalize_wait_ticks = 4,
                                        .notification_timeout_initial_ticks = 4,
                                        .notification_timeout_max_ticks = 32,
                                        .resend_jitter_ticks_max = 2};
    options_.discovery = DiscoveryOptions{.init_limit_ticks = kInitLimitTicks,
                                          .followerinfo_resend_ticks = kFollowerInfoResendTicks};
    if (scripted()) {
      delay_ticks_max_ = 2;
      link_break_per_million_ = partition_per_million_ = crash_per_million_ = 0;
      propose_per_million_ = local_snapshot_per_million_ = 0;
      history_entries_max_ = config_.history_entries ? config_.history_entries : 200;
    } else if (config_.history_entries) {
      history_entries_max_ = config_.history_entries;
    }
    options_.broadcast = BroadcastOptions{.init_limit_ticks = kInitLimitTicks,
                                          .sync_limit_ticks = kSyncLimitTicks,
                                          .last_counter = config_.last_counter,
                                          .history_entries_max = history_entries_max_};
    // Every member starts with a prefix of one epoch-1 leader's history: the entries past the
    // shortest prefix are uncommitted tails, which the new leader's sync keeps or truncates.
    std::vector<Entry> epoch1;
    uint64_t epoch1_len = rng_.between(0, 8);
    for (uint32_t c = 1; c <= epoch1_len; ++c)
      epoch1.push_back(Entry{make_zxid(1, c), "init-" + std::to_string(c)});
    for (int i = 1; i <= config_.members; ++i) {
      Node n;
      n.id = i;
      n.disk.log.assign(epoch1.begin(),
                        epoch1.begin() + static_cast<std::ptrdiff_t>(rng_.between(0, epoch1_len)));
      if (scripted()) n.disk.log.clear();  // scenarios start from empty members
      int64_t current_epoch = 1;
      n.disk.current_epoch = current_epoch;
      n.disk.accepted_epoch = current_epoch + static_cast<int64_t>(rng_.between(0, 1));
      if (scripted()) n.disk.accepted_epoch = current_epoch;
      n.accepted_epoch_watermark = n.disk.accepted_epoch;
      nodes_.push_back(std::move(n));
    }
    links_.resize(static_cast<size_t>(config_.members * config_.members));
  }

  // Returns an empty string on success, else what went wrong.
  std::string run() {
    for (Node& n : nodes_)
      restart(n);
    if (scripted()) return run_script();
    for (now_ = 1; now_ <= config_.fault_ticks; ++now_) {
      inject_faults();
      client_load(/*writes=*/true);
      if (!step_once()) return failure_;
    }
    heal();
    uint64_t healed_at = now_;
    for (; now_ <= healed_at + kHealBoundTicks; ++now_) {
      // A few more writes after healing, so that the healed ensemble must commit some too.
      client_load(/*writes=*/now_ < healed_at + 100);
      if (!step_once()) return failure_;
      if (now_ > healed_at + 100 && converged()) {
        ticks_to_converge_ = now_ - healed_at;
        return "";
      }
    }
    for (Node& n : nodes_) {
      log("member " + std::to_string(n.id) + " phase " +
          (n.peer ? to_string(n.peer->phase()) : "down") + " leader " +
          std::to_string(n.peer ? n.peer->leader() : 0) + " applied " + hex(n.applied) + " last " +
          hex(n.peer ? n.peer->last_zxid() : 0) + " epochs " +
          std::to_string(n.disk.accepted_epoch) + "/" + std::to_string(n.disk.current_epoch));
    }
    return "no leader served every live member with every entry within " +
           std::to_string(kHealBoundTicks) + " ticks after healing";
  }

  uint64_t ticks_to_converge() const { return ticks_to_converge_; }
  uint64_t split_rounds() const { return split_rounds_; }
  const Coverage& coverage() const { return coverage_; }

 private:
  Node& node(ServerId id) { return nodes_[static_cast<size_t>(id - 1)]; }
  Link& link(ServerId from, ServerId to) {
    return links_[static_cast<size_t>((from - 1) * config_.members + (to - 1))];
  }
  bool usable(ServerId from, ServerId to) {
    Link& l = link(from, to);
    return node(from).alive && node(to).alive && !l.blocked && now_ >= l.broken_until_tick;
  }

  void log(const std::string& s) {
    if (config_.verbose)
      std::printf("[t=%llu] %s\n", static_cast<unsigned long long>(now_), s.c_str());
  }
  bool fail(const std::string& s) {
    if (failure_.empty()) failure_ = "t=" + std::to_string(now_) + ": " + s;
    return false;
  }
  std::string who(const Node& n) { return "member " + std::to_string(n.id); }

  // --- the simulated disk and state machine -------------------------------------------------

  void rebuild_state(Node& n, Zxid through) {
    n.applied = n.disk.snapshot_zxid;
    n.digest = n.disk.snapshot_digest;
    for (const Entry& e : n.disk.log) {
      if (e.zxid > through) break;
      n.digest = chain(n.digest, e);
      n.applied = e.zxid;
    }
  }

  void restart(Node& n) {
    n.alive = true;
    n.syncs_asked.clear();
    // The caller replays its whole log at start (the state machine includes the uncommitted
    // tail; a TRUNC rebuilds it).
    rebuild_state(n, n.disk.last());
    std::vector<Entry> window;
    size_t from =
        n.disk.log.size() > history_entries_max_ ? n.disk.log.size() - history_entries_max_ : 0;
    Zxid base = from == 0 ? n.disk.snapshot_zxid : n.disk.log[from - 1].zxid;
    window.assign(n.disk.log.begin() + static_cast<std::ptrdiff_t>(from), n.disk.log.end());
    DurableState durable{.accepted_epoch = n.disk.accepted_epoch,
                         .current_epoch = n.disk.current_epoch,
                         .last_zxid = n.disk.last(),
                         .base_zxid = n.disk.snapshot_zxid};
    n.peer = std::make_unique<Peer>(n.id, *verifier_, options_, rng_, durable,
                                    History(base, std::move(window)));
    close_quorum_connections(n);
    log(who(n) + " started at " + hex(n.disk.last()) + " epochs " +
        std::to_string(n.disk.accepted_epoch) + "/" + std::to_string(n.disk.current_epoch));
    n.peer->start();
    drain(n);
  }

  void crash(Node& n) {
    n.alive = false;
    n.peer.reset();
    coverage_.writes_lost += n.disk.epoch_writes.size() + n.disk.log_writes.size();
    n.disk.epoch_writes.clear();  // not durable yet: lost
    n.disk.log_writes.clear();
    for (const Node& o : nodes_) {
      link(n.id, o.id).queue.clear();
      link(o.id, n.id).queue.clear();
      // The kernel closes a killed process's sockets: its peers see the connections drop.
      if (o.id != n.id) broken_quorum_.insert({std::min(n.id, o.id), std::max(n.id, o.id)});
    }
    log(who(n) + " crashed");
  }

  // Completes the writes due (all of them when `all`), in order, reporting each to the Peer.
  void complete_writes(Node& n, bool all) {
    for (;;) {
      // The earlier-due of the two queue heads completes first.
      std::deque<PendingWrite>* q = nullptr;
      for (std::deque<PendingWrite>* c : {&n.disk.epoch_writes, &n.disk.log_writes}) {
        if (!c->empty() && (all || (!n.disk_stalled && c->front().durable_at_tick <= now_)) &&
            (!q || c->front().durable_at_tick < q->front().durable_at_tick)) {
          q = c;
        }
      }
      if (!q) return;
      PendingWrite w = std::move(q->front());
      q->pop_front();
      switch (w.kind) {
        case PendingWrite::Kind::kAcceptedEpoch:
          n.disk.accepted_epoch = w.epoch;
          if (n.peer) n.peer->accepted_epoch_durable(w.epoch);
          break;
        case PendingWrite::Kind::kCurrentEpoch:
          n.disk.current_epoch = w.epoch;
          if (n.peer) n.peer->current_epoch_durable(w.epoch);
          break;
        case PendingWrite::Kind::kAppend:
          for (Entry& e : w.entries) {
            if (e.zxid <= n.disk.last()) {
              fail(who(n) + " appended " + hex(e.zxid) + " after " + hex(n.disk.last()));
              return;
            }
            n.disk.log.push_back(std::move(e));
          }
          if (n.peer) n.peer->log_durable(n.disk.last());
          break;
      }
    }
  }

  void write(Node& n, PendingWrite w) {
    std::deque<PendingWrite>& q =
        w.kind == PendingWrite::Kind::kAppend ? n.disk.log_writes : n.disk.epoch_writes;
    uint64_t at = now_ + rng_.between(0, write_ticks_max_);
    if (!q.empty()) at = std::max(at, q.back().durable_at_tick);
    w.durable_at_tick = at;
    q.push_back(std::move(w));
  }

  void apply_committed(Node& n, const std::vector<Entry>& entries) {
    for (const Entry& e : entries) {
      // 3: in zxid order, skipping nothing any member applied.
      if (e.zxid <= n.applied) {
        fail(who(n) + " applied " + hex(e.zxid) + " at or below " + hex(n.applied));
        return;
      }
      auto skipped = applied_.upper_bound(n.applied);
      if (skipped != applied_.end() && skipped->first < e.zxid) {
        fail(who(n) + " applied " + hex(e.zxid) + " after " + hex(n.applied) + ", skipping " +
             hex(skipped->first));
        return;
      }
      n.digest = chain(n.digest, e);
      n.applied = e.zxid;
      // 2 and 6: one entry and one state per zxid across members.
      auto [it, fresh] = applied_.try_emplace(e.zxid, std::make_pair(e.data, n.digest));
      if (!fresh && (it->second.first != e.data || it->second.second != n.digest)) {
        fail(who(n) + " applied " + hex(e.zxid) + " as '" + e.data + "' (state " +
             std::to_string(n.digest) + "), another member as '" + it->second.first + "' (state " +
             std::to_string(it->second.second) + ")");
        return;
      }
    }
  }

  // Carries out one Ready: role changes, committed entries, storage, messages, snapshots.
  void drain(Node& n) {
    while (n.alive && n.peer && n.peer->has_ready()) {
      PeerReady r = n.peer->ready();
      for (const PhaseChange& c : r.changes)
        apply_change(n, c);
      if (r.persist_accepted_epoch) {
        write(n, PendingWrite{PendingWrite::Kind::kAcceptedEpoch, 0, *r.persist_accepted_epoch});
      }
      if (n.peer->role() == PeerState::kLeading && !r.committed.empty()) {
        if (!n.disk.log_writes.empty() && rng_.chance(crash_per_million_ * 20)) n.crash_soon = true;
        coverage_.committed += r.committed.size();
        for (const Entry& e : r.committed)
          acknowledged_ = std::max(acknowledged_, e.zxid);  // a client hears "ok" now
      }
      apply_committed(n, r.committed);
      for (StorageOp& op : r.storage)
        carry_out(n, op);
      for (PeerOutgoing& out : r.messages) {
        if (const Notification* x = std::get_if<Notification>(&out.message)) {
          sent_[n.id].insert({x->vote.leader, x->vote.peer_epoch});
          if (x->state == PeerState::kLeading) sent_leading_[n.id].insert(x->vote.peer_epoch);
          send(n.id, out.to, encode_notification(*x), /*quorum_packet=*/false);
        } else {
          send_packet(n, out.to, std::get<QuorumPacket>(out.message));
        }
      }
      for (auto& [from, request] : r.requests) {
        (void)from;
        propose(n, request);
      }
      for (uint64_t i = 0; i < r.syncs_done; ++i)
        sync_answered(n);
      std::vector<ServerId> snapshots = r.snapshot_requests;
      n.peer->advance();
      for (ServerId learner : snapshots) {
        ++coverage_.snaps;
        n.peer->snapshot_taken(learner, n.applied, std::to_string(n.digest));
      }
    }
  }

  void carry_out(Node& n, StorageOp& op) {
    switch (op.kind) {
      case StorageOp::Kind::kAppend:
        write(n, PendingWrite{PendingWrite::Kind::kAppend, 0, 0, std::move(op.entries)});
        return;
      case StorageOp::Kind::kSetCurrentEpoch:
        write(n, PendingWrite{PendingWrite::Kind::kCurrentEpoch, 0, op.epoch});
        return;
      case StorageOp::Kind::kTruncate:
        complete_writes(n, /*all=*/true);  // earlier appends finish first (StorageOp)
        if (op.zxid < n.disk.snapshot_zxid) {
          fail(who(n) + " asked to truncate to " + hex(op.zxid) + " below its snapshot " +
               hex(n.disk.snapshot_zxid));
          return;
        }
        std::erase_if(n.disk.log, [&](const Entry& e) { return e.zxid > op.zxid; });
        rebuild_state(n, op.zxid);
        return;
      case StorageOp::Kind::kInstallSnapshot:
        complete_writes(n, /*all=*/true);
        n.disk.log.clear();
        n.disk.snapshot_zxid = op.zxid;
        n.disk.snapshot_digest = std::stoull(op.data);
        rebuild_state(n, op.zxid);
        return;
    }
  }

  // --- clients ------------------------------------------------------------------------------

  void propose(Node& leader, const std::string& data) {
    Result<Zxid> z = leader.peer->propose(data);
    if (z.ok()) log(who(leader) + " proposed " + hex(*z));
  }

  void client_load(bool writes) {
    for (Node& n : nodes_) {
      if (!n.alive || !n.peer->serving()) continue;
      if (writes && rng_.chance(propose_per_million_)) {
        std::string data = "w" + std::to_string(++writes_);
        if (n.peer->role() == PeerState::kLeading) {
          propose(n, data);
        } else {
          (void)n.peer->forward(data);  // may be lost with its connection, as a client's is
        }
      }
      if (n.peer->role() != PeerState::kLeading && rng_.chance(20'000)) {
        Node& l = node(n.peer->leader());
        if (l.alive && l.peer && n.peer->request_sync().ok()) {
          n.syncs_asked.push_back(l.peer->last_zxid());
        }
      }
      if (rng_.chance(50'000)) n.peer->set_ping_data("touch-" + std::to_string(n.id));
      if (rng_.chance(local_snapshot_per_million_)) local_snapshot(n);
      drain(n);
    }
  }

  void sync_answered(Node& n) {
    ++coverage_.syncs;
    if (n.syncs_asked.empty()) {
      fail(who(n) + " got a SYNC answer it never asked for");
      return;
    }
    Zxid asked_at = n.syncs_asked.front();
    n.syncs_asked.pop_front();
    const Learning* l = n.peer->learning();
    // The leader's last zxid when asked may belong to a later-failed term; only a leader of
    // the same epoch can owe it to us.
    if (l && zxid_epoch(asked_at) == static_cast<uint32_t>(n.peer->epoch()) &&
        l->committed() < asked_at) {
      fail(who(n) + " SYNC answered at " + hex(l->committed()) + " before " + hex(asked_at));
    }
  }

  // The caller snapshots its state machine and purges the log below it.
  void local_snapshot(Node& n) {
    if (n.applied > n.disk.last() || n.applied <= n.disk.snapshot_zxid) return;
    n.disk.snapshot_zxid = n.applied;
    n.disk.snapshot_digest = n.digest;
    std::erase_if(n.disk.log, [&](const Entry& e) { return e.zxid <= n.applied; });
    n.peer->snapshot_persisted(n.applied);
  }

  // --- the network --------------------------------------------------------------------------

  void close_quorum_connections(Node& n) {
    for (const Node& o : nodes_) {
      if (o.id == n.id) continue;
      for (Link* l : {&link(n.id, o.id), &link(o.id, n.id)}) {
        std::erase_if(l->queue, [](const InFlight& m) { return m.quorum_packet; });
      }
      broken_quorum_.insert({std::min(n.id, o.id), std::max(n.id, o.id)});
    }
  }

  void send(ServerId from, ServerId to, std::string bytes, bool quorum_packet) {
    Link& l = link(from, to);
    if (!quorum_packet) l.last_sent = bytes;
    if (!usable(from, to)) {
      // A quorum connection that cannot carry a packet is broken: TCP would reset it, and both
      // ends see it close. Modelled by dropping the whole quorum stream between them.
      if (quorum_packet) {
        std::erase_if(link(to, from).queue, [](const InFlight& m) { return m.quorum_packet; });
        broken_quorum_.insert({std::min(from, to), std::max(from, to)});
      }
      return;
    }
    uint64_t at = std::max(now_ + rng_.between(1, delay_ticks_max_), l.last_deliver_at_tick);
    l.last_deliver_at_tick = at;
    l.queue.push_back({at, std::move(bytes), quorum_packet});
  }

  void send_packet(Node& n, ServerId to, const QuorumPacket& p) {
    switch (p.type) {
      case PacketType::kLeaderInfo:
        if (n.disk.accepted_epoch < zxid_epoch(p.zxid)) {
          fail(who(n) + " sent LEADERINFO before its epoch was durable");
        }
        break;
      case PacketType::kAckEpoch:
        ++(p.current_epoch == kNotAnAck ? coverage_.acks_minus_one : coverage_.acks_fresh);
        if (n.disk.accepted_epoch < p.epoch) {
          fail(who(n) + " sent ACKEPOCH(" + std::to_string(p.epoch) +
               ") before acceptedEpoch was durable");
        }
        if (p.epoch < n.disk.accepted_epoch) {
          fail(who(n) + " ACKEPOCHed " + std::to_string(p.epoch) + " below its acceptedEpoch " +
               std::to_string(n.disk.accepted_epoch));
        }
        break;
      case PacketType::kAck:
        if (zxid_counter(p.zxid) == 0) {
          // NEWLEADER: the synced history and then currentEpoch are durable (3911, 4643, 4646).
          if (n.disk.current_epoch != zxid_epoch(p.zxid)) {
            fail(who(n) + " ACKed NEWLEADER before currentEpoch " +
                 std::to_string(zxid_epoch(p.zxid)) + " was durable");
          }
          if (const Learning* l = n.peer->learning(); !l || n.disk.last() < l->newleader_last()) {
            fail(who(n) + " ACKed NEWLEADER before its synced entries were durable");
          }
        } else if (n.disk.last() < p.zxid) {
          fail(who(n) + " ACKed " + hex(p.zxid) + " with only " + hex(n.disk.last()) + " durable");
        }
        break;
      case PacketType::kDiff:
        ++coverage_.diffs;
        break;
      case PacketType::kTrunc:
        ++coverage_.truncs;
        break;
      default:
        break;
    }
    ++sent_count_[to_string(p.type)];
    auto drop = std::find(drop_next_.begin(), drop_next_.end(), std::tuple{p.type, n.id, to});
    if (drop != drop_next_.end()) {
      drop_next_.erase(drop);  // scenario: one packet lost without the connection breaking
      log("dropped " + std::string(to_string(p.type)) + " " + std::to_string(n.id) + "->" +
          std::to_string(to));
      return;
    }
    send(n.id, to, encode_quorum_packet(p), /*quorum_packet=*/true);
  }

  void apply_change(Node& n, const PhaseChange& c) {
    switch (c.phase) {
      case PeerPhase::kDiscovery:
        check_decision(n, *c.elected);
        if (!n.disk.epoch_writes.empty()) ++coverage_.discoveries_waited;
        return;
      case PeerPhase::kSync:
        if (c.outcome->kind == DiscoveryOutcome::Kind::kEstablished) {
          establish(n, c.outcome->epoch);
        } else {
          log(who(n) + " acknowledged epoch " + std::to_string(c.outcome->epoch));
        }
        return;
      case PeerPhase::kBroadcast:
        log(who(n) + " serving as " + to_string(n.peer->role()) + " at " + hex(n.applied));
        if (n.peer->role() == PeerState::kLeading) {
          ++coverage_.serving_leaders;
          // 4: everything ever acknowledged to a client is in the new leader's state. (Its
          // committed entries are applied after this change in the same batch: compare with
          // its history, which it commits as a whole now.)
          if (n.peer->last_zxid() < acknowledged_) {
            fail(who(n) + " serves without " + hex(acknowledged_) + ", acknowledged to a client");
          }
        }
        return;
      case PeerPhase::kElection:
        if (c.outcome) {
          switch (c.outcome->rule) {
            case DiscoveryOutcome::Rule::kD4EpochBelowAccepted:
              ++coverage_.d4_epoch_below_accepted;
              break;
            case DiscoveryOutcome::Rule::kD5LearnerMoreRecent:
              ++coverage_.d5_abdications;
              break;
            case DiscoveryOutcome::Rule::kD7InitLimit:
              ++coverage_.d7_init_limit;
              break;
            case DiscoveryOutcome::Rule::kD8LearnerAcceptedHigher:
              ++coverage_.d8_learner_accepted_higher;
              break;
            case DiscoveryOutcome::Rule::kNone:
              break;
          }
          log(who(n) + " leaves discovery: " + c.outcome->reason);
        } else {
          ++coverage_.role_ends;
          log(who(n) + " back to election: " + c.reason);
        }
        n.syncs_asked.clear();
        close_quorum_connections(n);
        return;
    }
  }

  void check_decision(Node& n, const Elected& e) {
    log(who(n) + " " + to_string(e.role) + " leader " + std::to_string(e.vote.leader) + " round " +
        std::to_string(e.election_epoch) + " peer epoch " + std::to_string(e.vote.peer_epoch) +
        (e.out_of_election ? " (joined)" : ""));
    if (!verifier_->contains_quorum(e.supporters)) fail("decision without a quorum");
    for (ServerId s : e.supporters) {
      if (!verifier_->is_voter(s)) fail("an observer counted as a supporter");
      if (!sent_[s].contains({e.vote.leader, e.vote.peer_epoch})) {
        fail("supporter " + std::to_string(s) + " never sent the decided vote");
      }
    }
    if (e.out_of_election && e.vote.leader != n.id &&
        !sent_leading_[e.vote.leader].contains(e.vote.peer_epoch)) {
      fail("joined leader " + std::to_string(e.vote.leader) + " that never said LEADING");
    }
    if (e.role == PeerState::kLeading) {
      if (!verifier_->is_voter(n.id)) fail("an observer leads");
      auto [it, fresh] = leader_of_round_.try_emplace({e.election_epoch, e.vote.peer_epoch}, n.id);
      if (!fresh && it->second != n.id) {
        // FLE alone allows this when a vote change takes longer than the finalize wait to
        // arrive (as in ZooKeeper); discovery keeps it harmless, checked in establish().
        ++split_rounds_;
        if (config_.strict_rounds) {
          fail("members " + std::to_string(it->second) + " and " + std::to_string(n.id) +
               " both LEADING in round " + std::to_string(e.election_epoch) + " peer epoch " +
               std::to_string(e.vote.peer_epoch));
        }
      }
    }
    if (e.role == PeerState::kObserving && verifier_->is_voter(n.id)) fail("a voter observes");
  }

  void establish(Node& leader, int64_t epoch) {
    auto [it, fresh] = leader_of_epoch_.try_emplace(epoch, leader.id);
    if (!fresh && it->second != leader.id) {
      fail("leaders " + std::to_string(it->second) + " and " + std::to_string(leader.id) +
           " both established epoch " + std::to_string(epoch));
    }
    ++coverage_.established;
    log(who(leader) + " established epoch " + std::to_string(epoch));
  }

  void deliver_due_messages() {
    std::vector<size_t> due;
    for (;;) {
      due.clear();
      for (size_t i = 0; i < links_.size(); ++i) {
        if (!links_[i].queue.empty() && links_[i].queue.front().deliver_at_tick <= now_) {
          due.push_back(i);
        }
      }
      if (due.empty()) return;
      size_t i = due[rng_.below(due.size())];  // reordering across links
      InFlight m = std::move(links_[i].queue.front());
      links_[i].queue.pop_front();
      ServerId from = static_cast<ServerId>(i) / config_.members + 1;
      ServerId to = static_cast<ServerId>(i) % config_.members + 1;
      Result<PeerMessage> msg = decode_peer_message(m.bytes);
      if (!msg.ok()) {
        fail("undecodable message: " + msg.error().to_string());
        return;
      }
      Node& dest = node(to);
      if (const QuorumPacket* p = std::get_if<QuorumPacket>(&*msg);
          p && config_.verbose && p->type != PacketType::kPing) {
        log(std::string(to_string(p->type)) + " " + std::to_string(from) + "->" +
            std::to_string(to) + " zxid " + hex(p->zxid));
      }
      if (const Notification* x = std::get_if<Notification>(&*msg); x && config_.verbose) {
        log("vote " + std::to_string(from) + "->" + std::to_string(to) + " " + to_string(x->state) +
            " leader " + std::to_string(x->vote.leader) + " round " +
            std::to_string(x->election_epoch) + " peer epoch " +
            std::to_string(x->vote.peer_epoch) + " zxid " + hex(x->vote.zxid));
      }
      dest.peer->step(from, *msg);
      drain(dest);
    }
  }

  void reconnect_links() {
    for (ServerId a = 1; a <= config_.members; ++a) {
      for (ServerId b = 1; b <= config_.members; ++b) {
        if (a == b) continue;
        Link& l = link(a, b);
        bool now_usable = usable(a, b);
        if (now_usable && !l.was_usable && l.last_sent) {
          std::string again = *l.last_sent;
          send(a, b, std::move(again), /*quorum_packet=*/false);
        }
        l.was_usable = now_usable;
      }
    }
  }

  // A broken quorum connection is seen by both ends: a learner whose connection to its leader
  // broke goes back to election at once (Learner's socket read fails), as the caller does.
  void notice_broken_quorum_connections() {
    for (auto [a, b] : std::exchange(broken_quorum_, {})) {
      for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
        Node& n = node(x);
        if (n.alive && n.peer && n.peer->phase() != PeerPhase::kElection &&
            n.peer->role() != PeerState::kLeading && n.peer->leader() == y) {
          n.peer->return_to_election();
          drain(n);
        }
      }
    }
  }

  // Epoch invariants, after every step.
  void check_epochs() {
    for (Node& n : nodes_) {
      int64_t accepted = n.disk.accepted_epoch;
      if (accepted < n.accepted_epoch_watermark) {
        fail(who(n) + " acceptedEpoch went down from " +
             std::to_string(n.accepted_epoch_watermark) + " to " + std::to_string(accepted));
      }
      n.accepted_epoch_watermark = std::max(n.accepted_epoch_watermark, accepted);
      if (accepted < n.disk.current_epoch) {
        fail(who(n) + " acceptedEpoch " + std::to_string(accepted) + " below currentEpoch " +
             std::to_string(n.disk.current_epoch));
      }
    }
  }

  bool step_once() {
    reconnect_links();
    deliver_due_messages();
    for (Node& n : nodes_) {
      if (!n.alive) continue;
      complete_writes(n, /*all=*/false);
      drain(n);
      n.peer->tick();
      drain(n);
    }
    for (Node& n : nodes_) {
      if (n.alive && std::exchange(n.crash_soon, false) && now_ <= config_.fault_ticks) {
        ++coverage_.targeted_crashes;
        crash(n);
      }
    }
    notice_broken_quorum_connections();
    check_epochs();
    return failure_.empty();
  }

  void inject_faults() {
    ServerId a = static_cast<ServerId>(rng_.between(1, config_.members));
    ServerId b = static_cast<ServerId>(rng_.between(1, config_.members));
    if (a != b && rng_.chance(link_break_per_million_)) {
      Link& l = link(a, b);
      l.queue.clear();
      l.broken_until_tick = now_ + rng_.between(1, kLinkBrokenTicksMax);
      broken_quorum_.insert({std::min(a, b), std::max(a, b)});
      std::erase_if(link(b, a).queue, [](const InFlight& m) { return m.quorum_packet; });
      log("link " + std::to_string(a) + "->" + std::to_string(b) + " broken");
    }
    if (rng_.chance(partition_per_million_)) {
      std::vector<bool> side(static_cast<size_t>(config_.members));
      for (size_t i = 0; i < side.size(); ++i)
        side[i] = rng_.chance(500'000);
      bool one_way = one_way_partitions_ && rng_.chance(500'000);
      for (ServerId x = 1; x <= config_.members; ++x) {
        for (ServerId y = 1; y <= config_.members; ++y) {
          Link& l = link(x, y);
          l.blocked = side[static_cast<size_t>(x - 1)] != side[static_cast<size_t>(y - 1)] &&
                      (!one_way || side[static_cast<size_t>(x - 1)]);
          if (l.blocked) l.queue.clear();
        }
      }
      log(std::string(one_way ? "one-way " : "") + "partition");
    }
    if (rng_.chance(partition_per_million_ * 2)) {
      for (Link& l : links_)
        l.blocked = false;
    }
    Node& c = node(static_cast<ServerId>(rng_.between(1, config_.members)));
    if (c.alive && rng_.chance(crash_per_million_)) crash(c);
    if (!c.alive && rng_.chance(crash_per_million_ * 5)) restart(c);
  }

  void heal() {
    for (Link& l : links_) {
      l.blocked = false;
      l.broken_until_tick = 0;
    }
    for (Node& n : nodes_) {
      if (!n.alive) restart(n);
    }
    log("healed");
  }

  bool converged() {
    for (Node& l : nodes_) {
      if (!l.alive || l.peer->role() != PeerState::kLeading || !l.peer->serving()) continue;
      if (l.applied != l.peer->last_zxid()) return false;  // proposals still in flight
      for (Node& n : nodes_) {
        if (n.id == l.id) continue;
        if (!n.peer->serving() || n.peer->leader() != l.id || n.applied != l.applied) {
          return false;
        }
        if (n.digest != l.digest) {
          fail(who(n) + " and leader " + std::to_string(l.id) + " both at " + hex(l.applied) +
               " with different states");
          return false;
        }
      }
      return true;
    }
    return false;
  }

  // --- scenarios ----------------------------------------------------------------------------

  bool scripted() const { return !config_.script.empty(); }

  // One tick of a scenario: no random faults, no random writes.
  bool tick_once() {
    ++now_;
    client_load(/*writes=*/false);
    return step_once();
  }

  Node* serving_leader() {
    for (Node& n : nodes_) {
      if (n.alive && n.peer->role() == PeerState::kLeading && n.peer->serving()) return &n;
    }
    return nullptr;
  }

  // "leader", "follower" (one following the serving leader) or a member id.
  Node* resolve(const std::string& ref) {
    if (ref == "leader") return serving_leader();
    if (ref == "follower") {
      Node* l = serving_leader();
      for (Node& n : nodes_) {
        if (l && n.alive && n.id != l->id && n.peer->leader() == l->id &&
            n.peer->role() == PeerState::kFollowing) {
          return &n;
        }
      }
      return nullptr;
    }
    int id = std::atoi(ref.c_str());
    return id >= 1 && id <= config_.members ? &node(id) : nullptr;
  }

  bool wait_for(const std::function<bool()>& done, uint64_t bound, const std::string& what) {
    for (uint64_t i = 0; i < bound; ++i) {
      if (done()) return true;
      if (!tick_once()) return false;
    }
    return done() ||
           fail("scenario: " + what + " did not happen within " + std::to_string(bound) + " ticks");
  }

  std::string run_script() {
    for (const std::vector<std::string>& cmd : config_.script) {
      std::string line;
      for (const std::string& w : cmd)
        line += (line.empty() ? "" : " ") + w;
      log("scenario: " + line);
      if (!run_command(cmd)) return failure_.empty() ? "scenario: bad command: " + line : failure_;
      if (!failure_.empty()) return failure_;
    }
    return "";
  }

  bool run_command(const std::vector<std::string>& c) {
    const std::string& op = c[0];
    const std::string arg = c.size() > 1 ? c[1] : "";
    if (op == "run") {
      for (uint64_t i = 0, n = std::strtoull(arg.c_str(), nullptr, 10); i < n; ++i) {
        if (!tick_once()) return false;
      }
      return true;
    }
    if (op == "until-serving") {
      return wait_for([&] { return serving_leader() != nullptr; }, 1000, "a serving leader");
    }
    if (op == "write") {
      for (uint64_t i = 0, n = std::strtoull(arg.c_str(), nullptr, 10); i < n; ++i) {
        if (!wait_for([&] { return serving_leader() != nullptr; }, 1000, "a serving leader")) {
          return false;
        }
        Node* l = serving_leader();
        if (!l->peer->propose("s" + std::to_string(++writes_)).ok()) {
          if (!tick_once()) return false;  // e.g. counter exhausted: re-electing
          --i;
          continue;
        }
        drain(*l);
      }
      return true;
    }
    if (op == "crash" || op == "restart" || op == "stall" || op == "release") {
      Node* n = resolve(arg);
      if (!n) return fail("scenario: no member '" + arg + "' to " + op);
      if (op == "crash" && n->alive) ++sent_count_["crash"], crash(*n);
      if (op == "restart" && !n->alive) restart(*n);
      if (op == "stall") n->disk_stalled = true;
      if (op == "release") n->disk_stalled = false;
      return true;
    }
    if (op == "partition") {
      // partition leader,3: the members named on one side, everyone else on the other.
      std::vector<int> side(static_cast<size_t>(config_.members) + 1, 1);
      const int group = 0;
      for (size_t i = 1; i < c.size(); ++i) {
        size_t start = 0;
        while (start < c[i].size()) {
          size_t comma = c[i].find(',', start);
          std::string id = c[i].substr(start, comma == std::string::npos ? comma : comma - start);
          Node* n = resolve(id);
          if (!n) return fail("scenario: no member '" + id + "' to partition");
          side[static_cast<size_t>(n->id)] = group;
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
      for (ServerId x = 1; x <= config_.members; ++x) {
        for (ServerId y = 1; y <= config_.members; ++y) {
          Link& l = link(x, y);
          l.blocked = side[static_cast<size_t>(x)] != side[static_cast<size_t>(y)];
          if (l.blocked) {
            l.queue.clear();
            broken_quorum_.insert({std::min(x, y), std::max(x, y)});
          }
        }
      }
      return true;
    }
    if (op == "heal") {
      for (Link& l : links_)
        l.blocked = false;
      return true;
    }
    if (op == "drop-next" && c.size() == 4) {
      for (int t = 1; t <= 18; ++t) {
        if (to_string(static_cast<PacketType>(t)) == c[1]) {
          drop_next_.emplace_back(static_cast<PacketType>(t), std::atoi(c[2].c_str()),
                                  std::atoi(c[3].c_str()));
          return true;
        }
      }
      return false;
    }
    if (op == "expect" && arg == "converged") {
      return wait_for([&] { return converged(); }, kHealBoundTicks, "convergence");
    }
    if (op == "expect" && arg == "sent" && c.size() == 3) {
      return sent_count_[c[2]] > 0 || fail("scenario: no " + c[2] + " was sent");
    }
    if (op == "expect" && arg == "no-serving-leader") {
      return serving_leader() == nullptr || fail("scenario: a leader serves");
    }
    if (op == "expect" && arg == "epoch-above" && c.size() == 3) {
      Node* l = serving_leader();
      return (l && l->peer->epoch() > std::atoi(c[2].c_str())) ||
             fail("scenario: no serving leader in an epoch above " + c[2]);
    }
    return false;
  }

  Config& config_;
  SplitMix64Rng rng_;
  std::optional<QuorumVerifier> verifier_;
  PeerOptions options_;
  uint64_t write_ticks_max_ = 0;
  uint64_t delay_ticks_max_ = 1;
  uint64_t link_break_per_million_ = 0;
  uint64_t partition_per_million_ = 0;
  uint64_t crash_per_million_ = 0;
  uint64_t propose_per_million_ = 0;
  uint64_t local_snapshot_per_million_ = 0;
  size_t history_entries_max_ = 0;
  bool one_way_partitions_ = false;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  uint64_t now_ = 0;
  uint64_t writes_ = 0;
  std::set<std::pair<ServerId, ServerId>> broken_quorum_;
  std::vector<std::tuple<PacketType, ServerId, ServerId>> drop_next_;
  std::map<std::string, uint64_t> sent_count_;  // quorum packets sent, by type
  std::map<ServerId, std::set<std::pair<ServerId, int64_t>>> sent_;
  std::map<ServerId, std::set<int64_t>> sent_leading_;
  std::map<std::pair<int64_t, int64_t>, ServerId> leader_of_round_;
  std::map<int64_t, ServerId> leader_of_epoch_;
  // Every zxid any member applied: its entry's data and the state after it.
  std::map<Zxid, std::pair<std::string, uint64_t>> applied_;
  Zxid acknowledged_ = 0;  // the highest entry a leader committed (a client heard "ok")
  std::string failure_;
  uint64_t ticks_to_converge_ = 0;
  uint64_t split_rounds_ = 0;
  Coverage coverage_;
};

int usage() {
  std::fprintf(stderr,
               "usage: zab_sim [--seed N] [--seeds K] [--members M] [--observers O]\n"
               "               [--fault-ticks T] [--verbose] [--forever] [--strict-rounds]\n"
               "               [--scenario FILE]\n");
  return 2;
}

// Reads a scenario: `#` starts a comment; header lines (members, observers, last-counter,
// history-entries) configure the run, every other line is a timeline command.
bool load_scenario(const std::string& path, Config& c) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "zab_sim: cannot read %s\n", path.c_str());
    return false;
  }
  c.scenario_path = path;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::vector<std::string> cmd;
    for (std::string w; words >> w;)
      cmd.push_back(w);
    if (cmd.empty()) continue;
    uint64_t v = cmd.size() > 1 ? std::strtoull(cmd[1].c_str(), nullptr, 10) : 0;
    if (cmd[0] == "members") {
      c.members = static_cast<int>(v);
    } else if (cmd[0] == "observers") {
      c.observers = static_cast<int>(v);
    } else if (cmd[0] == "last-counter") {
      c.last_counter = static_cast<uint32_t>(v);
    } else if (cmd[0] == "history-entries") {
      c.history_entries = v;
    } else {
      c.script.push_back(std::move(cmd));
    }
  }
  if (c.script.empty() || c.members == 0) {
    std::fprintf(stderr, "zab_sim: %s: a scenario needs `members N` and a timeline\n",
                 path.c_str());
    return false;
  }
  if (c.observers < 0) c.observers = 0;
  return true;
}

}  // namespace
}  // namespace conclave::zab::sim

int main(int argc, char** argv) {
  using namespace conclave::zab::sim;
  Config base;
  uint64_t seeds = 1;
  bool forever = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--verbose") {
      base.verbose = true;
    } else if (a == "--strict-rounds") {
      base.strict_rounds = true;
    } else if (a == "--forever") {
      forever = true;
    } else if ((v = next()) == nullptr) {
      return usage();
    } else if (a == "--seed") {
      base.seed = std::strtoull(v, nullptr, 10);
    } else if (a == "--seeds") {
      seeds = std::strtoull(v, nullptr, 10);
    } else if (a == "--members") {
      base.members = std::atoi(v);
    } else if (a == "--observers") {
      base.observers = std::atoi(v);
    } else if (a == "--fault-ticks") {
      base.fault_ticks = std::strtoull(v, nullptr, 10);
    } else if (a == "--scenario") {
      if (!load_scenario(v, base)) return 2;
    } else {
      return usage();
    }
  }
  if (base.members != 0 && (base.members < 3 || base.members > 7)) return usage();
  std::random_device entropy;
  auto started = std::chrono::steady_clock::now();
  uint64_t converge_ticks_max = 0;
  uint64_t ran = 0;
  uint64_t split_rounds = 0;
  Coverage coverage;
  for (uint64_t k = 0; forever || k < seeds; ++k) {
    Config c = base;
    c.seed = forever ? (static_cast<uint64_t>(entropy()) << 32) | entropy() : base.seed + k;
    Simulation sim(c);
    std::string failure = sim.run();
    ++ran;
    if (!failure.empty()) {
      std::printf("FAILED seed %llu: %s\nreplay: %s\n", static_cast<unsigned long long>(c.seed),
                  failure.c_str(), replay_command(c).c_str());
      return 1;
    }
    converge_ticks_max = std::max(converge_ticks_max, sim.ticks_to_converge());
    split_rounds += sim.split_rounds();
    coverage.add(sim.coverage());
    if (forever && ran % 1000 == 0) {
      std::printf("%llu seeds passed\n", static_cast<unsigned long long>(ran));
      std::fflush(stdout);
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "%llu seeds passed in %.2f s; slowest convergence after healing: %llu ticks; "
      "rounds with two LEADING decisions (none established twice): %llu\n",
      static_cast<unsigned long long>(ran), seconds,
      static_cast<unsigned long long>(converge_ticks_max),
      static_cast<unsigned long long>(split_rounds));
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "discovery coverage: %llu epochs established; ACKEPOCH %llu fresh / %llu -1; back to "
      "election: D4 epoch below accepted %llu, D5 abdications %llu, D7 initLimit %llu, D8 "
      "learner accepted higher %llu; discoveries that waited for an epoch write %llu\n",
      u(coverage.established), u(coverage.acks_fresh), u(coverage.acks_minus_one),
      u(coverage.d4_epoch_below_accepted), u(coverage.d5_abdications), u(coverage.d7_init_limit),
      u(coverage.d8_learner_accepted_higher), u(coverage.discoveries_waited));
  std::printf(
      "sync/broadcast coverage: DIFF %llu, TRUNC %llu, SNAP %llu; leaders serving %llu; entries "
      "committed %llu; SYNCs answered %llu; roles ended by sync/broadcast %llu; writes lost in "
      "crashes %llu; leaders crashed right after a commit %llu\n",
      u(coverage.diffs), u(coverage.truncs), u(coverage.snaps), u(coverage.serving_leaders),
      u(coverage.committed), u(coverage.syncs), u(coverage.role_ends), u(coverage.writes_lost),
      u(coverage.targeted_crashes));
  return 0;
}
