// zab_sim: a deterministic simulator for zab::Peer (Election, then Discovery). N members (3..7,
// some observers) over a simulated network with per-message delay, reordering across links
// (FIFO within one directed link), drops that break a link for a while, partitions (one-way
// too), and crashes and restarts -- all drawn from ONE seed. Each member keeps its epochs in a
// storage::MemoryTxnLog; an acceptedEpoch write takes a random number of ticks to become
// durable and a crash loses it if it has not. When election decides over a write still in
// flight, the Peer itself holds discovery until the write completes (its persistence contract).
//
// Each member is one real zab::Peer core, exchanging real messages. What comes after
// discovery is still a STAND-IN (sync_stand_in, pings_stand_in): a learner that acknowledged an
// established leader's epoch takes the leader's currentEpoch and last zxid at once, and
// members that lose their leader or quorum for kSyncLimitTicks go back to election.
//
// Checked after every step: a decision is backed by a quorum of voters that really sent that
// vote; a follower joined only a leader that itself said LEADING; two members LEADING in one
// (election epoch, peer epoch) are counted (fatal with --strict-rounds: FLE alone allows it
// when a vote change is slower than the finalize wait); at most one leader establishes itself
// per epoch (a quorum ACKEPOCHed it); acceptedEpoch never decreases on any member and is never
// below currentEpoch; no LEADERINFO or ACKEPOCH leaves before its acceptedEpoch is durable, and
// no member ACKEPOCHs an epoch other than its (durable) acceptedEpoch; after a crash the epochs
// read back are the last ones whose writes completed; observers never lead. After the faults
// heal, a leader must be established and every live member must follow it within
// kHealBoundTicks.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "storage/memory_txn_log.h"
#include "zab/peer.h"
#include "zab/quorum_packet.h"

namespace conclave::zab::sim {
namespace {

// After the faults heal, a leader must rule everyone within this many ticks.
constexpr uint64_t kHealBoundTicks = 1500;
// A member that cannot see its leader (or a leader its quorum) this long goes back to election
// (syncLimit).
constexpr uint64_t kSyncLimitTicks = 10;
constexpr uint64_t kFaultTicksDefault = 400;
constexpr uint64_t kLinkBrokenTicksMax = 60;
// initLimit for discovery: three message delays (kDelayTicksMax each) and two epoch writes.
constexpr uint64_t kInitLimitTicks = 40;
constexpr uint64_t kFollowerInfoResendTicks = 4;
constexpr uint64_t kEpochWriteTicksMax = 4;

struct Config {
  uint64_t seed = 1;
  int members = 0;     // 0: chosen by the seed
  int observers = -1;  // -1: chosen by the seed
  uint64_t fault_ticks = kFaultTicksDefault;
  bool verbose = false;
  bool strict_rounds = false;  // two LEADING in one (round, peer epoch) fails the run
};

std::string replay_command(const Config& c) {
  return "zab_sim --seed " + std::to_string(c.seed) + " --members " + std::to_string(c.members) +
         " --observers " + std::to_string(c.observers) + " --fault-ticks " +
         std::to_string(c.fault_ticks) + " --verbose";
}

// Coverage probes: how often each discovery branch ran, so a campaign shows it exercised them.
struct Coverage {
  uint64_t established = 0;
  uint64_t acks_fresh = 0;               // D4 newer epoch: persisted, then ACKEPOCH
  uint64_t acks_minus_one = 0;           // D4 equal epoch: ACKEPOCH -1
  uint64_t d4_epoch_below_accepted = 0;  // D4 older epoch: back to election
  uint64_t d5_abdications = 0;           // D5
  uint64_t d7_init_limit = 0;            // D7
  uint64_t d8_learner_accepted_higher = 0;
  uint64_t epoch_writes_lost = 0;   // in flight at a crash
  uint64_t discoveries_waited = 0;  // election decided over an epoch write in flight (Peer waits)
  void add(const Coverage& o) {
    established += o.established;
    acks_fresh += o.acks_fresh;
    acks_minus_one += o.acks_minus_one;
    d4_epoch_below_accepted += o.d4_epoch_below_accepted;
    d5_abdications += o.d5_abdications;
    d7_init_limit += o.d7_init_limit;
    d8_learner_accepted_higher += o.d8_learner_accepted_higher;
    epoch_writes_lost += o.epoch_writes_lost;
    discoveries_waited += o.discoveries_waited;
  }
};

struct InFlight {
  uint64_t deliver_at_tick;
  std::string bytes;
  bool quorum_packet = false;  // on the quorum port: lost when either end closes
};

struct EpochWrite {
  int64_t epoch;
  uint64_t durable_at_tick;
};

enum class Phase : uint8_t {
  kElecting,
  kDiscovering,  // discovery running (a learner that acknowledged waits here for sync)
  kSynced,       // stand-in for sync and broadcast
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
  Phase phase = Phase::kElecting;
  bool alive = true;
  // The disk: epochs in the log; the last zxid is a stand-in until sync writes entries.
  std::unique_ptr<storage::MemoryTxnLog> log;
  Zxid last_zxid = 0;
  std::deque<EpochWrite> epoch_writes;  // in flight, FIFO
  // What the checker knows independently of the log: the last completed writes, and the
  // highest acceptedEpoch ever seen.
  int64_t accepted_epoch_written = 0;
  int64_t current_epoch_written = 0;
  int64_t accepted_epoch_watermark = 0;
  // Leader: learners that acknowledged before the leader was established (synced then).
  std::vector<ServerId> learners_acked;
  // Ping stand-in.
  uint64_t unhealthy_ticks = 0;
  std::optional<int64_t> established_epoch;
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
    delay_ticks_max_ = shape.between(1, 8);
    link_break_per_million_ = shape.between(0, 20'000);
    partition_per_million_ = shape.between(0, 8'000);
    crash_per_million_ = shape.between(0, 6'000);
    one_way_partitions_ = shape.chance(500'000);

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
    epoch_write_ticks_max_ = shape.between(0, kEpochWriteTicksMax);
    for (int i = 1; i <= config_.members; ++i) {
      Node n;
      n.id = i;
      int64_t current_epoch = static_cast<int64_t>(rng_.between(1, 3));
      int64_t accepted_epoch = current_epoch + static_cast<int64_t>(rng_.between(0, 1));
      n.last_zxid = make_zxid(static_cast<uint32_t>(current_epoch),
                              static_cast<uint32_t>(rng_.between(0, 5)));
      n.log = std::make_unique<storage::MemoryTxnLog>();
      if (!n.log->set_current_epoch(static_cast<uint32_t>(current_epoch)).ok() ||
          !n.log->set_accepted_epoch(static_cast<uint32_t>(accepted_epoch)).ok()) {
        std::abort();  // MemoryTxnLog fails only when told to
      }
      n.current_epoch_written = current_epoch;
      n.accepted_epoch_written = n.accepted_epoch_watermark = accepted_epoch;
      nodes_.push_back(std::move(n));
    }
    links_.resize(static_cast<size_t>(config_.members * config_.members));
  }

  // Returns an empty string on success, else what went wrong.
  std::string run() {
    for (Node& n : nodes_)
      restart(n);
    for (now_ = 1; now_ <= config_.fault_ticks; ++now_) {
      inject_faults();
      if (!step_once()) return failure_;
    }
    heal();
    uint64_t healed_at = now_;
    for (; now_ <= healed_at + kHealBoundTicks; ++now_) {
      if (!step_once()) return failure_;
      if (converged()) {
        ticks_to_converge_ = now_ - healed_at;
        return "";
      }
    }
    for (Node& n : nodes_) {
      log("member " + std::to_string(n.id) + " phase " + std::to_string(static_cast<int>(n.phase)) +
          " leader " + std::to_string(n.peer ? n.peer->leader() : 0) + " epoch " +
          std::to_string(n.peer ? n.peer->epoch() : 0) + " epochs " +
          std::to_string(accepted_epoch(n)) + "/" + std::to_string(current_epoch(n)));
    }
    return "no leader ruled every live member within " + std::to_string(kHealBoundTicks) +
           " ticks after healing";
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
  bool connected(ServerId a, ServerId b) { return usable(a, b) && usable(b, a); }

  void log(const std::string& s) {
    if (config_.verbose)
      std::printf("[t=%llu] %s\n", static_cast<unsigned long long>(now_), s.c_str());
  }
  bool fail(const std::string& s) {
    if (failure_.empty()) failure_ = "t=" + std::to_string(now_) + ": " + s;
    return false;
  }

  // The epochs as the disk has them; a read error would be a MemoryTxnLog bug.
  int64_t accepted_epoch(const Node& n) {
    auto e = n.log->accepted_epoch();
    return e.ok() && *e ? static_cast<int64_t>(**e) : -1;
  }
  int64_t current_epoch(const Node& n) {
    auto e = n.log->current_epoch();
    return e.ok() && *e ? static_cast<int64_t>(**e) : -1;
  }
  DurableState durable_state(const Node& n) {
    return DurableState{accepted_epoch(n), current_epoch(n), n.last_zxid};
  }

  void restart(Node& n) {
    // What the disk kept is exactly what completed before the crash.
    if (accepted_epoch(n) != n.accepted_epoch_written ||
        current_epoch(n) != n.current_epoch_written) {
      fail("member " + std::to_string(n.id) + " restarted with epochs " +
           std::to_string(accepted_epoch(n)) + "/" + std::to_string(current_epoch(n)) +
           ", not the durable " + std::to_string(n.accepted_epoch_written) + "/" +
           std::to_string(n.current_epoch_written));
    }
    n.alive = true;
    n.peer = std::make_unique<Peer>(n.id, *verifier_, options_, rng_, durable_state(n));
    left_role(n);
    n.peer->start();
    drain(n);
  }
  // The stand-ins decided the member lost its leader or quorum; the Peer reports the change.
  void back_to_election(Node& n) {
    n.peer->return_to_election();
    drain(n);
  }
  // The simulator's side of a member going back to LOOKING.
  void left_role(Node& n) {
    n.unhealthy_ticks = 0;
    n.established_epoch.reset();
    n.learners_acked.clear();
    n.phase = Phase::kElecting;
    close_quorum_connections(n);
    log("member " + std::to_string(n.id) + " LOOKING");
  }
  void crash(Node& n) {
    n.alive = false;
    n.peer.reset();
    n.phase = Phase::kElecting;
    n.established_epoch.reset();
    n.learners_acked.clear();
    coverage_.epoch_writes_lost += n.epoch_writes.size();
    n.epoch_writes.clear();  // not durable yet: lost
    n.log->crash();
    for (const Node& o : nodes_) {
      link(n.id, o.id).queue.clear();
      link(o.id, n.id).queue.clear();
    }
    log("member " + std::to_string(n.id) + " crashed");
  }
  // Quorum connections are TCP: a member that leaves its role closes them, and what was in
  // flight on them is gone.
  void close_quorum_connections(Node& n) {
    for (const Node& o : nodes_) {
      for (Link* l : {&link(n.id, o.id), &link(o.id, n.id)}) {
        std::erase_if(l->queue, [](const InFlight& m) { return m.quorum_packet; });
      }
    }
  }

  void send(ServerId from, ServerId to, std::string bytes, bool quorum_packet) {
    Link& l = link(from, to);
    if (!quorum_packet) l.last_sent = bytes;
    if (!usable(from, to)) return;  // lost; a notification is resent on reconnect
    uint64_t at = std::max(now_ + rng_.between(1, delay_ticks_max_), l.last_deliver_at_tick);
    l.last_deliver_at_tick = at;
    l.queue.push_back({at, std::move(bytes), quorum_packet});
  }

  void complete_epoch_writes(Node& n) {
    while (!n.epoch_writes.empty() && n.epoch_writes.front().durable_at_tick <= now_) {
      int64_t e = n.epoch_writes.front().epoch;
      n.epoch_writes.pop_front();
      if (!n.log->set_accepted_epoch(static_cast<uint32_t>(e)).ok()) std::abort();
      n.accepted_epoch_written = e;
      if (n.alive && n.peer) {
        n.peer->accepted_epoch_durable(e);
        drain(n);
      }
    }
  }

  // Carries out one Ready: role changes first (leaving a role closes its quorum connections
  // before the new role's messages go out), then the write, the messages and the learners.
  void drain(Node& n) {
    if (!n.alive || !n.peer || !n.peer->has_ready()) return;
    PeerReady r = n.peer->ready();
    for (const PhaseChange& c : r.changes)
      apply_change(n, c);
    if (r.persist_accepted_epoch) {
      n.epoch_writes.push_back(
          {*r.persist_accepted_epoch, now_ + rng_.between(0, epoch_write_ticks_max_)});
    }
    for (PeerOutgoing& out : r.messages) {
      if (const Notification* x = std::get_if<Notification>(&out.message)) {
        sent_[n.id].insert({x->vote.leader, x->vote.peer_epoch});
        if (x->state == PeerState::kLeading) sent_leading_[n.id].insert(x->vote.peer_epoch);
        send(n.id, out.to, encode_notification(*x), /*quorum_packet=*/false);
      } else {
        send_packet(n, out.to, std::get<QuorumPacket>(out.message));
      }
    }
    for (const LearnerAcked& a : r.learners_acked) {
      if (n.established_epoch) {
        sync_stand_in(node(a.id), n);
      } else {
        n.learners_acked.push_back(a.id);
      }
    }
    n.peer->advance();
  }

  void send_packet(Node& n, ServerId to, const QuorumPacket& p) {
    if (p.type == PacketType::kLeaderInfo && accepted_epoch(n) < zxid_epoch(p.zxid)) {
      fail("member " + std::to_string(n.id) + " sent LEADERINFO before its epoch was durable");
    }
    if (p.type == PacketType::kAckEpoch) {
      ++(p.current_epoch == kNotAnAck ? coverage_.acks_minus_one : coverage_.acks_fresh);
      if (accepted_epoch(n) < p.epoch) {
        fail("member " + std::to_string(n.id) + " sent ACKEPOCH(" + std::to_string(p.epoch) +
             ") before acceptedEpoch was durable");
      }
      if (p.epoch < accepted_epoch(n)) {
        fail("member " + std::to_string(n.id) + " ACKEPOCHed " + std::to_string(p.epoch) +
             " below its acceptedEpoch " + std::to_string(accepted_epoch(n)));
      }
    }
    send(n.id, to, encode_quorum_packet(p), /*quorum_packet=*/true);
  }

  void apply_change(Node& n, const PhaseChange& c) {
    switch (c.phase) {
      case PeerPhase::kDiscovery:
        check_decision(n, *c.elected);
        if (!n.epoch_writes.empty()) ++coverage_.discoveries_waited;
        n.phase = Phase::kDiscovering;
        n.unhealthy_ticks = 0;
        return;
      case PeerPhase::kSync:
        if (c.outcome->kind == DiscoveryOutcome::Kind::kEstablished) {
          establish(n, c.outcome->epoch);
        } else {
          log("member " + std::to_string(n.id) + " acknowledged epoch " +
              std::to_string(c.outcome->epoch));
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
          log("member " + std::to_string(n.id) + " leaves discovery: " + c.outcome->reason);
        }
        left_role(n);
        return;
    }
  }

  void check_decision(Node& n, const Elected& e) {
    log("member " + std::to_string(n.id) + " " + to_string(e.role) + " leader " +
        std::to_string(e.vote.leader) + " round " + std::to_string(e.election_epoch) +
        " peer epoch " + std::to_string(e.vote.peer_epoch) +
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
          p && dest.phase != Phase::kElecting) {
        log(std::string(to_string(p->type)) + " " + std::to_string(from) + "->" +
            std::to_string(to) + " epoch " + std::to_string(p->epoch) + " cur " +
            std::to_string(p->current_epoch));
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

  // STAND-IN for pings until broadcast exists in zab/: an established leader needs a quorum of
  // connected, synced learners; a synced learner needs its leader established in its epoch.
  void pings_stand_in() {
    for (Node& n : nodes_) {
      if (!n.alive || n.phase == Phase::kElecting) continue;
      bool healthy;
      if (n.peer->role() == PeerState::kLeading) {
        if (!n.established_epoch) continue;  // discovery's initLimit governs until then
        std::vector<ServerId> quorum{n.id};
        for (Node& f : nodes_) {
          if (f.id != n.id && f.alive && f.phase == Phase::kSynced && f.peer->leader() == n.id &&
              f.peer->epoch() == *n.established_epoch && connected(n.id, f.id)) {
            quorum.push_back(f.id);
          }
        }
        healthy = verifier_->contains_quorum(quorum);
      } else {
        Node& l = node(n.peer->leader());
        // A learner attached to a term its leader has left (the leader was elected again
        // since, with another vote) would have seen that leader close its connection.
        const Election& le = l.alive ? l.peer->election() : n.peer->election();
        if (l.alive && le.state() == PeerState::kLeading && le.decision() &&
            n.peer->election().decision() &&
            le.decision()->vote != n.peer->election().decision()->vote) {
          back_to_election(n);
          continue;
        }
        if (!n.peer->discovery_done()) continue;  // discovery's initLimit governs until it acked
        // A leader that left its role closed every learner connection (ZooKeeper's
        // Leader.shutdown): its learners notice at once rather than after syncLimit.
        bool same_term = l.alive && l.phase != Phase::kElecting &&
                         l.peer->role() == PeerState::kLeading &&
                         l.peer->epoch() == n.peer->epoch();
        if (l.alive && !same_term) {
          back_to_election(n);
          continue;
        }
        // An acknowledged learner the established leader has not synced lost its ACKEPOCH on a
        // broken connection: it waits for a sync that will not come, as for a silent leader.
        healthy = same_term && connected(n.id, l.id) &&
                  (n.phase == Phase::kSynced || !l.established_epoch);
      }
      n.unhealthy_ticks = healthy ? 0 : n.unhealthy_ticks + 1;
      if (n.unhealthy_ticks >= kSyncLimitTicks) back_to_election(n);
    }
  }

  void establish(Node& leader, int64_t epoch) {
    auto [it, fresh] = leader_of_epoch_.try_emplace(epoch, leader.id);
    if (!fresh && it->second != leader.id) {
      fail("leaders " + std::to_string(it->second) + " and " + std::to_string(leader.id) +
           " both established epoch " + std::to_string(epoch));
    }
    leader.established_epoch = epoch;
    ++coverage_.established;
    leader.phase = Phase::kSynced;
    set_current_epoch(leader, epoch);  // STAND-IN for NEWLEADER: the leader's currentEpoch
    log("member " + std::to_string(leader.id) + " established epoch " + std::to_string(epoch));
    std::vector<ServerId> acked = std::move(leader.learners_acked);
    leader.learners_acked.clear();
    for (ServerId id : acked)
      sync_stand_in(node(id), leader);
  }

  void set_current_epoch(Node& n, int64_t epoch) {
    if (!n.log->set_current_epoch(static_cast<uint32_t>(epoch)).ok()) std::abort();
    n.current_epoch_written = epoch;
    if (n.peer) n.peer->current_epoch_durable(epoch, n.last_zxid);  // the next vote reports it
  }

  // STAND-IN for sync: a learner that acknowledged this leader's epoch takes its history and
  // currentEpoch at once, if it still follows this leader in this epoch.
  void sync_stand_in(Node& f, Node& leader) {
    if (!f.alive || f.phase != Phase::kDiscovering || !f.peer->discovery_done() ||
        f.peer->leader() != leader.id || f.peer->epoch() != *leader.established_epoch) {
      return;
    }
    f.last_zxid = leader.last_zxid;
    set_current_epoch(f, *leader.established_epoch);
    f.phase = Phase::kSynced;
  }

  // Epoch invariants, after every step.
  void check_epochs() {
    for (Node& n : nodes_) {
      int64_t accepted = accepted_epoch(n);
      if (accepted < n.accepted_epoch_watermark) {
        fail("member " + std::to_string(n.id) + " acceptedEpoch went down from " +
             std::to_string(n.accepted_epoch_watermark) + " to " + std::to_string(accepted));
      }
      n.accepted_epoch_watermark = std::max(n.accepted_epoch_watermark, accepted);
      if (accepted < current_epoch(n)) {
        fail("member " + std::to_string(n.id) + " acceptedEpoch " + std::to_string(accepted) +
             " below currentEpoch " + std::to_string(current_epoch(n)));
      }
    }
  }

  bool step_once() {
    reconnect_links();
    deliver_due_messages();
    for (Node& n : nodes_) {
      if (!n.alive) continue;
      complete_epoch_writes(n);
      n.peer->tick();
      drain(n);
    }
    pings_stand_in();
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
      if (!l.alive || !l.established_epoch) continue;
      for (Node& n : nodes_) {
        if (n.id == l.id) continue;
        if (n.phase != Phase::kSynced || n.peer->leader() != l.id ||
            current_epoch(n) != *l.established_epoch) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  Config& config_;
  SplitMix64Rng rng_;
  std::optional<QuorumVerifier> verifier_;
  PeerOptions options_;
  uint64_t epoch_write_ticks_max_ = 0;
  uint64_t delay_ticks_max_ = 1;
  uint64_t link_break_per_million_ = 0;
  uint64_t partition_per_million_ = 0;
  uint64_t crash_per_million_ = 0;
  bool one_way_partitions_ = false;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  uint64_t now_ = 0;
  std::map<ServerId, std::set<std::pair<ServerId, int64_t>>> sent_;
  std::map<ServerId, std::set<int64_t>> sent_leading_;
  std::map<std::pair<int64_t, int64_t>, ServerId> leader_of_round_;
  std::map<int64_t, ServerId> leader_of_epoch_;
  std::string failure_;
  uint64_t ticks_to_converge_ = 0;
  uint64_t split_rounds_ = 0;
  Coverage coverage_;
};

int usage() {
  std::fprintf(stderr,
               "usage: zab_sim [--seed N] [--seeds K] [--members M] [--observers O]\n"
               "               [--fault-ticks T] [--verbose] [--forever] [--strict-rounds]\n");
  return 2;
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
      "learner accepted higher %llu; epoch writes lost in crashes %llu; discoveries that waited "
      "for an epoch write %llu\n",
      u(coverage.established), u(coverage.acks_fresh), u(coverage.acks_minus_one),
      u(coverage.d4_epoch_below_accepted), u(coverage.d5_abdications), u(coverage.d7_init_limit),
      u(coverage.d8_learner_accepted_higher), u(coverage.epoch_writes_lost),
      u(coverage.discoveries_waited));
  return 0;
}
