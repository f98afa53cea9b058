// zab_sim: a deterministic simulator for zab::Election. N cores (3..7, some observers) over a
// simulated network with per-message delay, reordering across links (FIFO within one directed
// link), drops that break a link for a while, partitions (one-way too), and crashes and
// restarts -- all drawn from ONE seed. A stand-in for the quorum phase (pings and an emulated
// discovery) sends members back to election when they lose their leader or their quorum.
//
// Checked after every step: a decision is backed by a quorum of voters that really sent that
// vote; a follower joined only a leader that itself said LEADING; two members LEADING in one
// (election epoch, peer epoch) are counted (fatal with --strict-rounds: FLE alone allows it
// when a vote change is slower than the finalize wait); at most one leader establishes itself
// per epoch (the emulated discovery); observers never lead. After the faults heal, a leader must
// be established and every live member must follow it within kHealBoundTicks.
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

#include "zab/election.h"

namespace conclave::zab::sim {
namespace {

// After the faults heal, a leader must rule everyone within this many ticks.
constexpr uint64_t kHealBoundTicks = 1500;
// A member that cannot see its leader (or a leader its quorum) this long goes back to election
// (syncLimit).
constexpr uint64_t kSyncLimitTicks = 10;
constexpr uint64_t kFaultTicksDefault = 400;
constexpr uint64_t kLinkBrokenTicksMax = 60;

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

struct InFlight {
  uint64_t deliver_at_tick;
  std::string bytes;
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
  std::unique_ptr<Election> core;
  bool alive = true;
  // Durable state.
  Zxid last_zxid = 0;
  int64_t current_epoch = 0;
  int64_t accepted_epoch = 0;
  // Quorum-phase stand-in.
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
    options_ = ElectionOptions{.finalize_wait_ticks = 4,
                               .notification_timeout_initial_ticks = 4,
                               .notification_timeout_max_ticks = 32,
                               .resend_jitter_ticks_max = 2};
    for (int i = 1; i <= config_.members; ++i) {
      Node n;
      n.id = i;
      n.current_epoch = static_cast<int64_t>(rng_.between(1, 3));
      n.accepted_epoch = n.current_epoch + static_cast<int64_t>(rng_.between(0, 1));
      n.last_zxid = make_zxid(static_cast<uint32_t>(n.current_epoch),
                              static_cast<uint32_t>(rng_.between(0, 5)));
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
    return "no leader ruled every live member within " + std::to_string(kHealBoundTicks) +
           " ticks after healing";
  }

  uint64_t ticks_to_converge() const { return ticks_to_converge_; }
  uint64_t split_rounds() const { return split_rounds_; }

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

  void restart(Node& n) {
    n.alive = true;
    n.core = std::make_unique<Election>(n.id, *verifier_, options_, rng_);
    back_to_election(n);
  }
  void back_to_election(Node& n) {
    n.unhealthy_ticks = 0;
    n.established_epoch.reset();
    n.core->start(n.last_zxid, n.current_epoch);
    log("member " + std::to_string(n.id) + " LOOKING");
    drain(n);
  }
  void crash(Node& n) {
    n.alive = false;
    n.core.reset();
    n.established_epoch.reset();
    for (const Node& o : nodes_) {
      link(n.id, o.id).queue.clear();
      link(o.id, n.id).queue.clear();
    }
    log("member " + std::to_string(n.id) + " crashed");
  }

  void send(ServerId from, ServerId to, std::string bytes) {
    Link& l = link(from, to);
    l.last_sent = bytes;
    if (!usable(from, to)) return;  // lost; resent on reconnect
    uint64_t at = std::max(now_ + rng_.between(1, delay_ticks_max_), l.last_deliver_at_tick);
    l.last_deliver_at_tick = at;
    l.queue.push_back({at, std::move(bytes)});
  }

  void drain(Node& n) {
    if (!n.alive) return;
    Ready r = n.core->take_ready();
    for (Outgoing& m : r.messages) {
      const Notification& x = m.notification;
      sent_[n.id].insert({x.vote.leader, x.vote.peer_epoch});
      if (x.state == PeerState::kLeading) sent_leading_[n.id].insert(x.vote.peer_epoch);
      send(n.id, m.to, encode_notification(x));
    }
    if (r.elected) check_decision(n, *r.elected);
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
      Result<Notification> n = decode_notification(m.bytes);
      if (!n.ok()) {
        fail("undecodable notification: " + n.error().to_string());
        return;
      }
      node(to).core->step(from, *n);
      drain(node(to));
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
          send(a, b, std::move(again));
        }
        l.was_usable = now_usable;
      }
    }
  }

  // Stand-in for pings and discovery until those phases exist in zab/.
  void quorum_phase() {
    for (Node& n : nodes_) {
      if (!n.alive || !n.core->decision()) continue;
      const Elected& d = *n.core->decision();
      bool healthy;
      if (d.role == PeerState::kLeading) {
        std::vector<ServerId> quorum{n.id};
        for (Node& f : nodes_) {
          if (f.id != n.id && f.alive && f.core->decision() &&
              f.core->decision()->vote.leader == n.id && connected(n.id, f.id)) {
            quorum.push_back(f.id);
          }
        }
        healthy = verifier_->contains_quorum(quorum);
        if (healthy) establish(n, quorum);
      } else {
        Node& l = node(d.vote.leader);
        // A leader that stepped down closed every learner connection, even if it was elected
        // again moments later (ZooKeeper's Leader.shutdown): its followers of the old term go
        // back to election at once rather than stay attached to a vote nobody else holds.
        if (l.alive && l.core->decision() && l.core->decision()->vote != d.vote &&
            l.core->state() == PeerState::kLeading) {
          back_to_election(n);
          continue;
        }
        healthy = l.alive && l.core->state() == PeerState::kLeading && connected(n.id, l.id);
        if (healthy && l.established_epoch && n.current_epoch != *l.established_epoch) {
          sync_from(n, l);  // a late follower syncs with an established leader
        }
      }
      n.unhealthy_ticks = healthy ? 0 : n.unhealthy_ticks + 1;
      if (n.unhealthy_ticks >= kSyncLimitTicks) back_to_election(n);
    }
  }

  void establish(Node& leader, const std::vector<ServerId>& quorum) {
    if (leader.established_epoch) {
      for (ServerId id : quorum) {
        if (node(id).current_epoch != *leader.established_epoch) sync_from(node(id), leader);
      }
      return;
    }
    // Emulated discovery: a new epoch above every acceptedEpoch of the quorum.
    int64_t epoch = 0;
    for (ServerId id : quorum)
      epoch = std::max(epoch, node(id).accepted_epoch);
    ++epoch;
    auto [it, fresh] = leader_of_epoch_.try_emplace(epoch, leader.id);
    if (!fresh && it->second != leader.id) {
      fail("leaders " + std::to_string(it->second) + " and " + std::to_string(leader.id) +
           " both established epoch " + std::to_string(epoch));
    }
    leader.established_epoch = epoch;
    leader.accepted_epoch = leader.current_epoch = epoch;
    log("member " + std::to_string(leader.id) + " established epoch " + std::to_string(epoch));
    for (ServerId id : quorum)
      sync_from(node(id), leader);
  }

  void sync_from(Node& f, Node& leader) {
    f.accepted_epoch = f.current_epoch = *leader.established_epoch;
    f.last_zxid = leader.last_zxid;
  }

  bool step_once() {
    reconnect_links();
    deliver_due_messages();
    for (Node& n : nodes_) {
      if (!n.alive) continue;
      n.core->tick();
      drain(n);
    }
    quorum_phase();
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
      if (!l.alive || l.core->state() != PeerState::kLeading || !l.established_epoch) continue;
      for (Node& n : nodes_) {
        if (n.id == l.id) continue;
        if (!n.core->decision() || n.core->decision()->vote.leader != l.id ||
            n.current_epoch != *l.established_epoch) {
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
  ElectionOptions options_;
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
  return 0;
}
