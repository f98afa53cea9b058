// recipe_load: the lock and leader-election stress benchmark, on recipes/ (so on our C++ client),
// against any ZooKeeper-protocol ensemble. compare_recipes.py runs it against Conclave and
// Apache ZooKeeper in one run.
//
// --workload lock: C contenders (threads, one session each) take and release one
// recipes::Lock for --duration-s after an unmeasured --warmup-s. Each acquisition is checked
// against a process-wide holder count, so two holders at once would be reported as a
// violation. Measured:
//   - acquisitions per second in the window;
//   - handover latency: from the moment the previous holder starts unlock() to the moment the
//     next contender's lock() returns (both on this process's monotonic clock, and the lock
//     is exclusive, so the one follows the other). This is the cost of passing the lock:
//     the holder's delete committing, the watch reaching the next in line, its getChildren;
//   - acquire latency: the whole lock() call (queueing behind the other contenders included;
//     with one contender, create + getChildren).
//
// --workload election: P participants (threads, one session each) run recipes::LeaderLatch
// on one path. Each of --rounds rounds the current leader resigns (close(), which reports its
// loss and deletes its node) and rejoins at the back; measured is the handover, from the
// start of close() to the next leader's gain being delivered.
//
// Prints one line of key=value pairs, exit 0 when the run completed without error or
// violation, 1 otherwise, 2 for bad arguments. Loopback servers only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_args.h"
#include "bench/latency_histogram.h"
#include "recipes/connection.h"
#include "recipes/leader_latch.h"
#include "recipes/lock.h"

namespace conclave::bench {
namespace {

using recipes::Connection;
using Clock = std::chrono::steady_clock;

constexpr int kMaxContenders = 256;
constexpr int kMaxRounds = 100'000;
constexpr double kMaxDurationS = 3600;
constexpr int kConnectTimeoutMs = 30'000;
// A round in which no successor takes over within this is an error: far above any handover.
constexpr int kHandoverTimeoutMs = 60'000;
// A lock workload thread that fails this many times in a row gives up (the ensemble is down).
constexpr int kConsecutiveErrorsMax = 20;

enum class Workload { kLock, kElection };

struct Options {
  std::string hosts;
  Workload workload = Workload::kLock;
  std::string workload_name = "lock";
  int contenders = 8;
  double duration_s = 10;
  double warmup_s = 2;
  double hold_us = 0;
  int rounds = 100;
  int session_timeout_ms = 30'000;
  std::string root = "/conclave-bench-recipes";
  bool spread_hosts = false;
};

void usage(FILE* out) {
  std::fprintf(
      out,
      "usage: recipe_load --hosts 127.0.0.1:PORT[,...] --workload lock|election\n"
      "                   [--contenders C=8] [--duration-s S=10] [--warmup-s W=2]\n"
      "                   [--hold-us H=0] [--rounds R=100] [--spread-hosts]\n"
      "                   [--session-timeout-ms T=30000] [--root /conclave-bench-recipes]\n"
      "lock: C sessions contend for one lock for S seconds (after W unmeasured).\n"
      "election: C sessions run a leader latch; the leader resigns R times.\n"
      "--spread-hosts: session i connects only to the (i mod n)-th listed server.\n"
      "Prints one line of key=value pairs; exit 0 without errors or violations.\n");
}

[[noreturn]] void bad_arg(const std::string& what) {
  std::fprintf(stderr, "recipe_load: %s\n", what.c_str());
  usage(stderr);
  std::exit(2);
}

double number(const std::string& name, const std::string& text, double lo, double hi) {
  auto v = parse_bounded(text, lo, hi);
  if (!v)
    bad_arg(name + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
            "], got '" + text + "'");
  return *v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "-h" || name == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (name == "--spread-hosts") {
      o.spread_hosts = true;
      continue;
    }
    if (i + 1 >= argc) bad_arg("missing value for " + name);
    std::string value = argv[++i];
    if (name == "--hosts") {
      o.hosts = value;
    } else if (name == "--workload") {
      o.workload_name = value;
      if (value == "lock") {
        o.workload = Workload::kLock;
      } else if (value == "election") {
        o.workload = Workload::kElection;
      } else {
        bad_arg("unknown workload '" + value + "'");
      }
    } else if (name == "--contenders") {
      o.contenders = static_cast<int>(number(name, value, 1, kMaxContenders));
    } else if (name == "--duration-s") {
      o.duration_s = number(name, value, 0.1, kMaxDurationS);
    } else if (name == "--warmup-s") {
      o.warmup_s = number(name, value, 0, kMaxDurationS);
    } else if (name == "--hold-us") {
      o.hold_us = number(name, value, 0, 10'000'000);
    } else if (name == "--rounds") {
      o.rounds = static_cast<int>(number(name, value, 1, kMaxRounds));
    } else if (name == "--session-timeout-ms") {
      o.session_timeout_ms = static_cast<int>(number(name, value, 1000, 600'000));
    } else if (name == "--root") {
      if (value.size() < 2 || value[0] != '/' || value.back() == '/') {
        bad_arg("--root must be an absolute znode path like /conclave-bench-recipes");
      }
      o.root = value;
    } else {
      bad_arg("unknown option " + name);
    }
  }
  if (o.hosts.empty()) bad_arg("--hosts is required");
  if (!is_loopback(o.hosts)) bad_arg("--hosts must name loopback addresses only");
  if (split_hosts(o.hosts).empty()) bad_arg("--hosts names no server");
  if (o.workload == Workload::kElection && o.contenders < 2) {
    bad_arg("--workload election needs --contenders 2 or more (someone to hand over to)");
  }
  return o;
}

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

// One session per contender; with --spread-hosts contender i gets only the i-th server.
std::vector<std::unique_ptr<Connection>> open_sessions(const Options& o) {
  const std::vector<std::string> servers = split_hosts(o.hosts);
  std::vector<std::unique_ptr<Connection>> out;
  for (int i = 0; i < o.contenders; ++i) {
    client::ClientOptions copts;
    copts.session_timeout_ms = o.session_timeout_ms;
    const std::string hosts = o.spread_hosts ? servers[i % servers.size()] : o.hosts;
    auto conn = Connection::open(hosts, copts);
    if (!conn.ok()) {
      std::fprintf(stderr, "recipe_load: %s: %s\n", hosts.c_str(),
                   conn.error().to_string().c_str());
      std::exit(1);
    }
    if (Status st = (*conn)->wait_connected(std::chrono::milliseconds(kConnectTimeoutMs));
        !st.ok()) {
      std::fprintf(stderr, "recipe_load: cannot connect to %s: %s\n", hosts.c_str(),
                   st.error().to_string().c_str());
      std::exit(1);
    }
    out.push_back(std::move(conn.value()));
  }
  return out;
}

double us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

// What every contender of the lock workload shares.
struct LockRun {
  uint64_t measure_from_ns = 0;
  uint64_t measure_to_ns = 0;
  std::atomic<int> holders{0};
  std::atomic<uint64_t> violations{0};
  std::atomic<uint64_t> errors{0};
  // Set by a holder just before it calls unlock(): when, and who.
  std::atomic<uint64_t> last_release_ns{0};
  std::atomic<int> last_holder{-1};
  std::mutex mu;  // guards the merged histograms and the count
  LatencyHistogram handover;
  LatencyHistogram acquire;
  uint64_t acquisitions = 0;
};

void lock_contender(int me, Connection& conn, const Options& o, LockRun& run) {
  recipes::Lock lock(conn, o.root + "/lock");
  LatencyHistogram handover, acquire;
  uint64_t acquisitions = 0;
  int consecutive_errors = 0;
  while (now_ns() < run.measure_to_ns) {
    const uint64_t asked = now_ns();
    if (Status st = lock.lock(); !st.ok()) {
      run.errors.fetch_add(1);
      std::fprintf(stderr, "recipe_load: contender %d: lock: %s\n", me,
                   st.error().to_string().c_str());
      if (++consecutive_errors >= kConsecutiveErrorsMax) return;
      continue;
    }
    consecutive_errors = 0;
    const uint64_t got = now_ns();
    if (run.holders.fetch_add(1) != 0) run.violations.fetch_add(1);
    const uint64_t released_before = run.last_release_ns.load();
    const int previous = run.last_holder.load();
    if (got >= run.measure_from_ns && got < run.measure_to_ns) {
      ++acquisitions;
      acquire.record(got - asked);
      if (previous >= 0 && previous != me && released_before != 0) {
        handover.record(got - released_before);
      }
    }
    if (o.hold_us > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(o.hold_us)));
    }
    run.holders.fetch_sub(1);
    run.last_holder.store(me);
    run.last_release_ns.store(now_ns());
    if (Status st = lock.unlock(); !st.ok()) {
      run.errors.fetch_add(1);
      std::fprintf(stderr, "recipe_load: contender %d: unlock: %s\n", me,
                   st.error().to_string().c_str());
    }
  }
  std::lock_guard g(run.mu);
  run.handover.merge(handover);
  run.acquire.merge(acquire);
  run.acquisitions += acquisitions;
}

int run_lock(const Options& o) {
  auto sessions = open_sessions(o);
  LockRun run;
  const uint64_t start = now_ns();
  run.measure_from_ns = start + static_cast<uint64_t>(o.warmup_s * 1e9);
  run.measure_to_ns = run.measure_from_ns + static_cast<uint64_t>(o.duration_s * 1e9);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.contenders; ++i) {
    threads.emplace_back([&, i] { lock_contender(i, *sessions[i], o, run); });
  }
  for (auto& t : threads)
    t.join();
  const double seconds = o.duration_s;
  std::printf(
      "workload=lock contenders=%d hold_us=%.0f acquisitions=%llu seconds=%.2f "
      "acquisitions_per_s=%.1f handover_p50_us=%.0f handover_p99_us=%.0f handover_max_us=%.0f "
      "handovers=%llu acquire_p50_us=%.0f acquire_p99_us=%.0f violations=%llu errors=%llu\n",
      o.contenders, o.hold_us, static_cast<unsigned long long>(run.acquisitions), seconds,
      static_cast<double>(run.acquisitions) / seconds, us(run.handover.quantile_ns(0.5)),
      us(run.handover.quantile_ns(0.99)), us(run.handover.max_ns()),
      static_cast<unsigned long long>(run.handover.count()), us(run.acquire.quantile_ns(0.5)),
      us(run.acquire.quantile_ns(0.99)), static_cast<unsigned long long>(run.violations.load()),
      static_cast<unsigned long long>(run.errors.load()));
  std::fflush(stdout);
  const bool ok = run.errors.load() == 0 && run.violations.load() == 0 && run.acquisitions > 0;
  return ok ? 0 : 1;
}

// The latest gain of leadership, delivered by a latch's listener.
struct Gains {
  std::mutex mu;
  std::condition_variable cv;
  int leader = -1;  // participant index; -1 while nobody leads
  uint64_t gained_ns = 0;
  int leaders_now = 0;  // gains minus losses: more than 1 is a violation
  uint64_t violations = 0;
};

std::unique_ptr<recipes::LeaderLatch> join(Connection& conn, const Options& o, int me,
                                           Gains& gains) {
  std::string id = "p";
  id += std::to_string(me);  // not "p" + to_string(): GCC 12's -Wrestrict misfires on it at -O3
  auto latch = std::make_unique<recipes::LeaderLatch>(conn, o.root + "/election", std::move(id));
  latch->add_listener([&gains, me](bool leader) {
    const uint64_t t = now_ns();
    {
      std::lock_guard g(gains.mu);
      if (leader) {
        if (++gains.leaders_now > 1) ++gains.violations;
        gains.leader = me;
        gains.gained_ns = t;
      } else {
        --gains.leaders_now;
        if (gains.leader == me) gains.leader = -1;
      }
    }
    gains.cv.notify_all();
  });
  return latch;
}

int run_election(const Options& o) {
  auto sessions = open_sessions(o);
  Gains gains;
  std::vector<std::unique_ptr<recipes::LeaderLatch>> latches;
  for (int i = 0; i < o.contenders; ++i) {
    latches.push_back(join(*sessions[i], o, i, gains));
    if (Status st = latches.back()->start(); !st.ok()) {
      std::fprintf(stderr, "recipe_load: start: %s\n", st.error().to_string().c_str());
      return 1;
    }
  }
  LatencyHistogram handover;
  uint64_t errors = 0;
  const auto timeout = std::chrono::milliseconds(kHandoverTimeoutMs);
  const uint64_t start = now_ns();
  for (int round = 0; round < o.rounds; ++round) {
    int leader = -1;
    {
      std::unique_lock g(gains.mu);
      if (!gains.cv.wait_for(g, timeout, [&] { return gains.leader >= 0; })) {
        std::fprintf(stderr, "recipe_load: round %d: nobody leads after %d ms\n", round,
                     kHandoverTimeoutMs);
        ++errors;
        break;
      }
      leader = gains.leader;
    }
    const uint64_t resigned = now_ns();
    if (Status st = latches[leader]->close(); !st.ok()) {
      std::fprintf(stderr, "recipe_load: close: %s\n", st.error().to_string().c_str());
      ++errors;
    }
    {
      std::unique_lock g(gains.mu);
      if (!gains.cv.wait_for(g, timeout, [&] {
            return gains.leader >= 0 && gains.leader != leader && gains.gained_ns >= resigned;
          })) {
        std::fprintf(stderr, "recipe_load: round %d: no successor after %d ms\n", round,
                     kHandoverTimeoutMs);
        ++errors;
        break;
      }
      handover.record(gains.gained_ns - resigned);
    }
    // The one that resigned rejoins at the back of the line.
    latches[leader] = join(*sessions[leader], o, leader, gains);
    if (Status st = latches[leader]->start(); !st.ok()) {
      std::fprintf(stderr, "recipe_load: rejoin: %s\n", st.error().to_string().c_str());
      ++errors;
      break;
    }
  }
  const double seconds = static_cast<double>(now_ns() - start) / 1e9;
  for (auto& latch : latches)
    (void)latch->close();
  uint64_t violations = 0;
  {
    std::lock_guard g(gains.mu);
    violations = gains.violations;
  }
  std::printf(
      "workload=election participants=%d rounds=%llu seconds=%.2f handover_p50_us=%.0f "
      "handover_p99_us=%.0f handover_max_us=%.0f handover_mean_us=%.0f violations=%llu "
      "errors=%llu\n",
      o.contenders, static_cast<unsigned long long>(handover.count()), seconds,
      us(handover.quantile_ns(0.5)), us(handover.quantile_ns(0.99)), us(handover.max_ns()),
      handover.mean_ns() / 1000.0, static_cast<unsigned long long>(violations),
      static_cast<unsigned long long>(errors));
  std::fflush(stdout);
  return errors == 0 && violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace conclave::bench

int main(int argc, char** argv) {
  using namespace conclave::bench;
  const Options o = parse_args(argc, argv);
  return o.workload == Workload::kLock ? run_lock(o) : run_election(o);
}
