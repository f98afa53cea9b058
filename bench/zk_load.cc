// zk_load: a closed-loop load generator for any ZooKeeper-protocol server, built on the
// official C client's asynchronous API (libzookeeper_mt).
//
// N sessions (one zhandle_t each) keep K requests outstanding: each session owns K "lanes";
// a lane issues one request, and its completion (on the handle's completion thread) records
// the latency and issues the lane's next request. Latency is submit -> completion on the
// monotonic clock. The run is: set-up (root and, for set/get/mix, the key nodes), warm-up
// (completions not recorded), the measured window (ends at --duration-s or --ops measured
// completions, whichever first), then drain. It prints one machine-readable line:
//
//   workload=get sessions=8 outstanding=64 value_bytes=1024 ops=... seconds=... ops_per_s=...
//   p50_us=... p99_us=... errors=... [more key=value pairs]
//
// With --spread-hosts, session i connects only to the (i mod n)-th of the n listed servers, so
// that an ensemble's members share the load evenly (the client library would pick one at random
// per session); every session then syncs its member with the leader before the first request,
// so that a read on a follower finds the keys another member's session created.
//
// --workload probe is the failover probe instead (see run_probe): one session with every listed
// server, one synchronous write at a time, reporting how long writes failed after each kill -9
// that compare_ensemble.py announces on standard input.
//
// Every knob has a bound (kMax*), the whole run is capped by a watchdog, and only loopback
// servers are accepted: this is a bench tool, not a way to load someone's production ensemble.
#include <zookeeper/zookeeper.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_args.h"
#include "bench/latency_histogram.h"

namespace conclave::bench {
namespace {

constexpr int kMaxSessions = 256;
constexpr int kMaxOutstanding = 4096;
constexpr int kMaxValueBytes = 1024 * 1024 - 1024;  // below jute.maxbuffer with headroom
constexpr int kMaxKeys = 1'000'000;
constexpr double kMaxDurationS = 3600;
constexpr double kMaxWarmupS = 600;
constexpr uint64_t kMaxOps = 1'000'000'000;
constexpr int kConnectTimeoutMs = 15'000;
constexpr int kSetupTimeoutMs = 120'000;
constexpr int kDrainTimeoutMs = 30'000;
constexpr int kWatchdogSlackS = 300;  // set-up + drain + close, on top of warm-up + duration
constexpr int kPollIntervalMs = 2;
// The probe keeps its recent writes to look back from a kill announced a little late.
constexpr size_t kProbeHistoryMax = 1 << 16;
// A failed probe write waits at most this long for the client to report a new connection
// before retrying (at once when the watcher says connected), so an outage is measured to about
// this resolution. Each retry also cuts short the C client's own pause after a pass over every
// server (recv_timeout / 60, 500 ms with a 30 s session), which would otherwise round every
// outage up to that pause for both systems alike.
constexpr int kProbeReconnectWaitMs = 10;
constexpr int kMaxProbeTimeoutMs = 600'000;

enum class Workload { kCreate, kSet, kGet, kMix, kProbe };
enum class Op { kCreate, kSet, kGet };
enum Phase : int { kWarmup = 0, kMeasure = 1, kStopped = 2 };

struct Options {
  std::string hosts;
  Workload workload = Workload::kGet;
  std::string workload_name = "get";
  int sessions = 8;
  int outstanding = 64;
  int value_bytes = 1024;
  int keys = 1000;
  double duration_s = 10;
  double warmup_s = 2;
  uint64_t max_ops = 0;  // 0: no op limit, duration only
  int session_timeout_ms = 30'000;
  std::string root = "/conclave-bench";
  int mix_set_percent = 10;
  int timeline_ms = 0;             // 0: off; else a stderr line per interval (ops, max latency)
  bool spread_hosts = false;       // session i uses only the (i mod n)-th listed server
  int probe_timeout_ms = 120'000;  // probe: a kill not followed by a good write in this long
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// xorshift64*: per-session, cheap, good enough to pick keys and mix ops.
struct Rng {
  uint64_t state;
  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

struct Session;

// One lane: at most one request in flight; its completion issues the next one.
struct Lane {
  Session* session = nullptr;
  int64_t submit_ns = 0;
  Op op = Op::kGet;
};

struct Session {
  int index = 0;
  zhandle_t* zh = nullptr;
  std::vector<Lane> lanes;
  std::mutex issue_mutex;  // rng, create_seq: lanes issue from main and completion threads
  Rng rng{1};
  uint64_t create_seq = 0;
  std::string create_parent;
  LatencyHistogram histogram;  // touched only by this handle's completion thread
  std::atomic<uint64_t> measured_ops{0};
  std::atomic<uint64_t> warmup_ops{0};
  std::atomic<uint64_t> interval_max_ns{0};  // for --timeline-ms, reset by the main thread
  std::atomic<uint64_t> errors{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> last_error{0};
  // Connection state, written by the watcher.
  std::mutex state_mutex;
  std::condition_variable state_cv;
  bool connected = false;
  bool expired = false;
};

struct Run {
  Options options;
  std::string value;
  std::string key_prefix;  // key i is key_prefix + i
  std::atomic<int> phase{kWarmup};
  std::vector<std::unique_ptr<Session>> sessions;
};

Run* g_run = nullptr;  // the C callbacks carry only lane pointers; the run is process-wide

void issue(Lane* lane);

void record_completion(Lane* lane, int rc, bool value_ok) {
  int64_t done_ns = now_ns();
  Session* s = lane->session;
  int phase = g_run->phase.load(std::memory_order_acquire);
  bool ok = rc == ZOK && value_ok;
  if (!ok && !(phase == kStopped && rc == ZCLOSING)) {
    s->errors.fetch_add(1, std::memory_order_relaxed);
    s->last_error.store(rc == ZOK ? 1 : rc, std::memory_order_relaxed);
  }
  if (phase == kMeasure && ok) {
    s->histogram.record(static_cast<uint64_t>(done_ns - lane->submit_ns));
    s->measured_ops.fetch_add(1, std::memory_order_relaxed);
    uint64_t latency_ns = static_cast<uint64_t>(done_ns - lane->submit_ns);
    uint64_t seen = s->interval_max_ns.load(std::memory_order_relaxed);
    while (latency_ns > seen &&
           !s->interval_max_ns.compare_exchange_weak(seen, latency_ns, std::memory_order_relaxed)) {
    }
  } else if (phase == kWarmup && ok) {
    s->warmup_ops.fetch_add(1, std::memory_order_relaxed);
  }
  // A lane stops on shutdown, and on a session-level failure (no point hammering a dead
  // handle); a plain per-request error (e.g. a node error) keeps it going.
  bool session_dead = rc == ZSESSIONEXPIRED || rc == ZCLOSING || rc == ZINVALIDSTATE ||
                      rc == ZAUTHFAILED || rc == ZCONNECTIONLOSS;
  if (phase != kStopped && !session_dead) {
    issue(lane);
  } else {
    s->in_flight.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void on_string(int rc, const char* /*value*/, const void* data) {
  record_completion(static_cast<Lane*>(const_cast<void*>(data)), rc, true);
}

void on_stat(int rc, const struct Stat* /*stat*/, const void* data) {
  record_completion(static_cast<Lane*>(const_cast<void*>(data)), rc, true);
}

void on_data(int rc, const char* /*value*/, int value_len, const struct Stat* /*stat*/,
             const void* data) {
  bool value_ok = rc != ZOK || value_len == g_run->options.value_bytes;
  record_completion(static_cast<Lane*>(const_cast<void*>(data)), rc, value_ok);
}

// Issues the lane's next request. The caller has counted the lane as in flight; if the
// client refuses the request synchronously, the lane ends here.
void issue(Lane* lane) {
  Session* s = lane->session;
  const Options& o = g_run->options;
  std::string path;
  {
    std::lock_guard lock(s->issue_mutex);
    switch (o.workload) {
      case Workload::kCreate:
        lane->op = Op::kCreate;
        break;
      case Workload::kSet:
      case Workload::kProbe:  // run_probe writes on its own; listed for completeness
        lane->op = Op::kSet;
        break;
      case Workload::kGet:
        lane->op = Op::kGet;
        break;
      case Workload::kMix:
        lane->op =
            s->rng.below(100) < static_cast<uint64_t>(o.mix_set_percent) ? Op::kSet : Op::kGet;
        break;
    }
    if (lane->op == Op::kCreate) {
      path = s->create_parent + "/n" + std::to_string(s->create_seq++);
    } else {
      path = g_run->key_prefix + std::to_string(s->rng.below(static_cast<uint64_t>(o.keys)));
    }
  }
  const std::string& v = g_run->value;
  lane->submit_ns = now_ns();
  int rc = ZOK;
  // The client serializes the request before returning, so `path` may die after the call.
  switch (lane->op) {
    case Op::kCreate:
      rc = zoo_acreate(s->zh, path.c_str(), v.data(), static_cast<int>(v.size()),
                       &ZOO_OPEN_ACL_UNSAFE, 0, on_string, lane);
      break;
    case Op::kSet:
      rc = zoo_aset(s->zh, path.c_str(), v.data(), static_cast<int>(v.size()), -1, on_stat, lane);
      break;
    case Op::kGet:
      rc = zoo_aget(s->zh, path.c_str(), 0, on_data, lane);
      break;
  }
  if (rc != ZOK) {
    s->errors.fetch_add(1, std::memory_order_relaxed);
    s->last_error.store(rc, std::memory_order_relaxed);
    s->in_flight.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void watcher(zhandle_t* /*zh*/, int type, int state, const char* /*path*/, void* ctx) {
  if (type != ZOO_SESSION_EVENT) return;
  auto* s = static_cast<Session*>(ctx);
  std::lock_guard lock(s->state_mutex);
  s->connected = state == ZOO_CONNECTED_STATE;
  if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) s->expired = true;
  s->state_cv.notify_all();
}

bool connect(Session* s, const Options& o, const std::string& hosts) {
  s->zh = zookeeper_init(hosts.c_str(), watcher, o.session_timeout_ms, nullptr, s, 0);
  if (s->zh == nullptr) {
    std::fprintf(stderr, "zk_load: zookeeper_init failed: %s\n", std::strerror(errno));
    return false;
  }
  std::unique_lock lock(s->state_mutex);
  bool ok = s->state_cv.wait_for(lock, std::chrono::milliseconds(kConnectTimeoutMs),
                                 [s] { return s->connected || s->expired; });
  if (!ok || !s->connected) {
    std::fprintf(stderr, "zk_load: session %d did not connect to %s within %d ms\n", s->index,
                 hosts.c_str(), kConnectTimeoutMs);
    return false;
  }
  return true;
}

// Synchronous create that tolerates an existing node (set-up only).
bool ensure_node(zhandle_t* zh, const std::string& path) {
  int rc = zoo_create(zh, path.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  if (rc == ZOK || rc == ZNODEEXISTS) return true;
  std::fprintf(stderr, "zk_load: create %s failed: %s\n", path.c_str(), zerror(rc));
  return false;
}

// Set-up creates of the key nodes: a countdown shared by all sessions.
struct SetupState {
  std::mutex mutex;
  std::condition_variable cv;
  int remaining = 0;
  int failed = 0;
  int last_rc = ZOK;
};

void on_setup_create(int rc, const char* /*value*/, const void* data) {
  auto* st = static_cast<SetupState*>(const_cast<void*>(data));
  std::lock_guard lock(st->mutex);
  if (rc != ZOK && rc != ZNODEEXISTS) {
    ++st->failed;
    st->last_rc = rc;
  }
  if (--st->remaining == 0) st->cv.notify_all();
}

bool create_keys(Run& run) {
  const Options& o = run.options;
  SetupState st;
  st.remaining = o.keys;
  int issued = 0;
  for (int i = 0; i < o.keys; ++i) {
    Session* s = run.sessions[i % run.sessions.size()].get();
    std::string path = run.key_prefix + std::to_string(i);
    int rc = zoo_acreate(s->zh, path.c_str(), run.value.data(), static_cast<int>(run.value.size()),
                         &ZOO_OPEN_ACL_UNSAFE, 0, on_setup_create, &st);
    if (rc != ZOK) {
      std::lock_guard lock(st.mutex);
      st.remaining -= o.keys - issued;
      st.failed += 1;
      st.last_rc = rc;
      break;
    }
    ++issued;
  }
  std::unique_lock lock(st.mutex);
  bool done = st.cv.wait_for(lock, std::chrono::milliseconds(kSetupTimeoutMs),
                             [&st] { return st.remaining <= 0; });
  if (!done) {
    std::fprintf(stderr, "zk_load: creating %d keys did not finish within %d ms\n", o.keys,
                 kSetupTimeoutMs);
    std::_Exit(1);  // completions still reference `st`; leave without unwinding it
  }
  if (st.failed != 0) {
    std::fprintf(stderr, "zk_load: %d key creates failed, last: %s\n", st.failed,
                 zerror(st.last_rc));
    return false;
  }
  return true;
}

// "h1:p1,h2:p2/chroot" -> {"h1:p1/chroot", "h2:p2/chroot"}: the chroot suffix belongs to the
// whole list, so each single-server list keeps it.
// Set-up syncs: a countdown shared by all sessions.
void on_setup_sync(int rc, const char* /*value*/, const void* data) {
  on_setup_create(rc, nullptr, data);
}

// Every session asks its server to catch up with the leader (zoo_async is ZooKeeper's sync):
// on an ensemble, a follower may not yet have applied the set-up creates another member's
// session made, and a read there would then fail with ZNONODE.
bool sync_sessions(Run& run) {
  SetupState st;
  st.remaining = static_cast<int>(run.sessions.size());
  for (auto& s : run.sessions) {
    int rc = zoo_async(s->zh, run.options.root.c_str(), on_setup_sync, &st);
    if (rc != ZOK) {
      std::lock_guard lock(st.mutex);
      --st.remaining;
      ++st.failed;
      st.last_rc = rc;
    }
  }
  std::unique_lock lock(st.mutex);
  bool done = st.cv.wait_for(lock, std::chrono::milliseconds(kSetupTimeoutMs),
                             [&st] { return st.remaining <= 0; });
  if (!done) {
    std::fprintf(stderr, "zk_load: set-up syncs did not finish within %d ms\n", kSetupTimeoutMs);
    std::_Exit(1);  // completions still reference `st`; leave without unwinding it
  }
  if (st.failed != 0) {
    std::fprintf(stderr, "zk_load: %d set-up syncs failed, last: %s\n", st.failed,
                 zerror(st.last_rc));
    return false;
  }
  return true;
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: zk_load --hosts 127.0.0.1:PORT[,...] --workload create|set|get|mix|probe\n"
               "               [--sessions N=8] [--outstanding K=64] [--value-bytes V=1024]\n"
               "               [--duration-s S=10] [--warmup-s W=2] [--ops N=0 (no limit)]\n"
               "               [--keys KEYS=1000] [--mix-set-percent P=10] [--timeline-ms MS=0]\n"
               "               [--session-timeout-ms T=30000] [--root /conclave-bench]\n"
               "               [--spread-hosts] [--probe-timeout-ms T=120000]\n"
               "Loopback servers only. Prints one line of key=value pairs; exit status 0 when\n"
               "the run completed with errors=0, 1 otherwise, 2 for bad arguments.\n"
               "--spread-hosts: session i connects only to the (i mod n)-th listed server.\n"
               "--workload probe: one session writes continuously (one write at a time) until\n"
               "standard input ends (or --duration-s passes); each input line\n"
               "'kill T0_NS T1_NS' (CLOCK_MONOTONIC just before a kill -9 and after the reap)\n"
               "is answered with a 'failover ...' line: the outage from T0 to the completion\n"
               "of the first successful write submitted after T1.\n");
}

[[noreturn]] void bad_arg(const std::string& what) {
  std::fprintf(stderr, "zk_load: %s\n", what.c_str());
  usage(stderr);
  std::exit(2);
}

double parse_number(const std::string& name, const std::string& text, double lo, double hi) {
  auto v = parse_bounded(text, lo, hi);
  if (!v) {
    bad_arg(name + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
            "], got '" + text + "'");
  }
  return *v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool load_shape_given = false;  // --sessions or --outstanding
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (arg == "--spread-hosts") {
      o.spread_hosts = true;
      continue;
    }
    std::string name = arg;
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= argc) bad_arg("missing value for " + arg);
      value = argv[++i];
    }
    if (name == "--hosts") {
      o.hosts = value;
    } else if (name == "--workload") {
      o.workload_name = value;
      if (value == "create") {
        o.workload = Workload::kCreate;
      } else if (value == "set") {
        o.workload = Workload::kSet;
      } else if (value == "get") {
        o.workload = Workload::kGet;
      } else if (value == "mix") {
        o.workload = Workload::kMix;
      } else if (value == "probe") {
        o.workload = Workload::kProbe;
      } else {
        bad_arg("unknown workload '" + value + "'");
      }
    } else if (name == "--sessions") {
      load_shape_given = true;
      o.sessions = static_cast<int>(parse_number(name, value, 1, kMaxSessions));
    } else if (name == "--outstanding") {
      load_shape_given = true;
      o.outstanding = static_cast<int>(parse_number(name, value, 1, kMaxOutstanding));
    } else if (name == "--value-bytes") {
      o.value_bytes = static_cast<int>(parse_number(name, value, 0, kMaxValueBytes));
    } else if (name == "--keys") {
      o.keys = static_cast<int>(parse_number(name, value, 1, kMaxKeys));
    } else if (name == "--duration-s") {
      o.duration_s = parse_number(name, value, 0.1, kMaxDurationS);
    } else if (name == "--warmup-s") {
      o.warmup_s = parse_number(name, value, 0, kMaxWarmupS);
    } else if (name == "--ops") {
      o.max_ops = static_cast<uint64_t>(parse_number(name, value, 0, kMaxOps));
    } else if (name == "--timeline-ms") {
      o.timeline_ms = static_cast<int>(parse_number(name, value, 0, 60'000));
    } else if (name == "--mix-set-percent") {
      o.mix_set_percent = static_cast<int>(parse_number(name, value, 0, 100));
    } else if (name == "--probe-timeout-ms") {
      o.probe_timeout_ms = static_cast<int>(parse_number(name, value, 100, kMaxProbeTimeoutMs));
    } else if (name == "--session-timeout-ms") {
      o.session_timeout_ms = static_cast<int>(parse_number(name, value, 1000, 600'000));
    } else if (name == "--root") {
      if (value.size() < 2 || value[0] != '/' || value.back() == '/') {
        bad_arg("--root must be an absolute znode path like /conclave-bench");
      }
      o.root = value;
    } else {
      bad_arg("unknown option " + name);
    }
  }
  if (o.hosts.empty()) bad_arg("--hosts is required");
  if (!is_loopback(o.hosts)) bad_arg("--hosts must name loopback addresses only");
  if (split_hosts(o.hosts).empty()) bad_arg("--hosts names no server");
  if (o.workload == Workload::kProbe) {
    // The outage is the time until *a* write succeeds again; more writers would only blur
    // which write that was, and the one session gets every server to fail over to.
    if (load_shape_given || o.spread_hosts) {
      bad_arg(
          "--workload probe is one session with one write at a time and every server; "
          "--sessions, --outstanding and --spread-hosts do not apply");
    }
    o.sessions = 1;
    o.outstanding = 1;
  }
  return o;
}

// The failover probe. One session, with every listed server in its list so that the client
// library fails over as an application's would, writes <root>/probe with setData, one
// synchronous write at a time, from the main thread; a reader thread takes the kills announced
// on standard input.
//
// For a kill (t0 just before SIGKILL, t1 after the killed process was reaped), the outage is
// t0 -> completion of the first successful write *submitted after t1*. A write submitted
// before t1 does not count even when it succeeds later: the dead leader may have committed it
// already, so it says nothing about whether the ensemble serves writes again.
struct ProbeWrite {
  int64_t submit_ns = 0;
  int64_t done_ns = 0;
  int rc = ZOK;
  std::string server;  // host:port the handle reported right after a successful write
};

struct ProbeKill {
  int64_t before_ns = 0;
  int64_t reaped_ns = 0;
};

struct ProbeInput {
  std::mutex mutex;
  std::deque<ProbeKill> kills;
  bool closed = false;
};

// A kill whose outage has not ended yet.
struct OpenKill {
  ProbeKill kill;
  uint64_t failed_writes = 0;  // failures completed after t0
  int last_error = ZOK;
  std::string server_before;  // where the last write before t0 succeeded
};

void read_probe_input(ProbeInput* in) {
  char line[256];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    long long t0 = 0;
    long long t1 = 0;
    if (std::sscanf(line, "kill %lld %lld", &t0, &t1) == 2 && t1 >= t0) {
      std::lock_guard lock(in->mutex);
      in->kills.push_back({t0, t1});
    } else {
      std::fprintf(stderr, "zk_load: probe: ignoring input line: %s", line);
    }
  }
  std::lock_guard lock(in->mutex);
  in->closed = true;
}

void report_kill(const OpenKill& k, const ProbeWrite* recovered) {
  const ProbeKill& kill = k.kill;
  if (recovered == nullptr) {
    std::printf(
        "failover recovered=0 kill_to_reap_ms=%.3f failed_writes=%llu last_error=%d "
        "server_before=%s\n",
        (kill.reaped_ns - kill.before_ns) / 1e6, static_cast<unsigned long long>(k.failed_writes),
        k.last_error, k.server_before.empty() ? "-" : k.server_before.c_str());
  } else {
    std::printf(
        "failover recovered=1 outage_ms=%.3f first_ok_submit_ms=%.3f kill_to_reap_ms=%.3f "
        "failed_writes=%llu last_error=%d server_before=%s server_after=%s\n",
        (recovered->done_ns - kill.before_ns) / 1e6, (recovered->submit_ns - kill.before_ns) / 1e6,
        (kill.reaped_ns - kill.before_ns) / 1e6, static_cast<unsigned long long>(k.failed_writes),
        k.last_error, k.server_before.empty() ? "-" : k.server_before.c_str(),
        recovered->server.c_str());
  }
  std::fflush(stdout);
}

// Folds one finished write into an open kill; true when it ends the outage.
bool observe(OpenKill& k, const ProbeWrite& w) {
  if (w.rc != ZOK) {
    if (w.done_ns >= k.kill.before_ns) {
      ++k.failed_writes;
      k.last_error = w.rc;
    }
    return false;
  }
  if (w.done_ns < k.kill.before_ns) k.server_before = w.server;
  return w.submit_ns >= k.kill.reaped_ns;
}

int run_probe(Run& run) {
  const Options& o = run.options;
  Session* s = run.sessions[0].get();
  const std::string path = o.root + "/probe";
  if (!ensure_node(s->zh, o.root) || !ensure_node(s->zh, path)) return 1;

  // Leaked on purpose: the reader stays blocked in fgets until input ends, which may be after
  // this function returns and the process exits.
  auto* input = new ProbeInput;
  std::thread(read_probe_input, input).detach();

  std::deque<ProbeWrite> history;  // the most recent writes, oldest first
  std::vector<OpenKill> open;
  LatencyHistogram latency;  // successful writes
  uint64_t ok_writes = 0;
  uint64_t failed_writes = 0;
  uint64_t kills = 0;
  uint64_t recovered = 0;
  bool session_lost = false;
  bool ready = false;
  const int64_t start_ns = now_ns();
  const int64_t end_ns = start_ns + static_cast<int64_t>(o.duration_s * 1e9);
  const int64_t timeout_ns = int64_t{o.probe_timeout_ms} * 1'000'000;
  for (;;) {
    std::deque<ProbeKill> arrived;
    bool input_closed = false;
    {
      std::lock_guard lock(input->mutex);
      arrived.swap(input->kills);
      input_closed = input->closed;
    }
    for (const ProbeKill& kill : arrived) {
      ++kills;
      // The announcement comes after the kill: replay what happened since.
      OpenKill k{kill, 0, ZOK, ""};
      const ProbeWrite* ended = nullptr;
      for (const ProbeWrite& w : history) {
        if (observe(k, w)) {
          ended = &w;
          break;
        }
      }
      if (ended != nullptr) {
        report_kill(k, ended);
        ++recovered;
      } else {
        open.push_back(std::move(k));
      }
    }
    const int64_t now = now_ns();
    std::erase_if(open, [&](const OpenKill& k) {
      if (now - k.kill.before_ns < timeout_ns && now < end_ns && !session_lost) return false;
      report_kill(k, nullptr);
      return true;
    });
    if (session_lost || now >= end_ns || (input_closed && open.empty())) break;

    ProbeWrite w;
    w.submit_ns = now_ns();
    w.rc = zoo_set(s->zh, path.c_str(), run.value.data(), static_cast<int>(run.value.size()), -1);
    w.done_ns = now_ns();
    if (w.rc == ZOK) {
      ++ok_writes;
      latency.record(static_cast<uint64_t>(w.done_ns - w.submit_ns));
      const char* server = zoo_get_current_server(s->zh);
      w.server = server != nullptr ? server : "?";
      if (!ready) {
        ready = true;
        std::printf("probe ready server=%s\n", w.server.c_str());
        std::fflush(stdout);
      }
    } else {
      ++failed_writes;
      s->last_error.store(w.rc, std::memory_order_relaxed);
    }
    std::erase_if(open, [&](OpenKill& k) {
      if (!observe(k, w)) return false;
      report_kill(k, &w);
      ++recovered;
      return true;
    });
    history.push_back(std::move(w));
    if (history.size() > kProbeHistoryMax) history.pop_front();

    const int rc = history.back().rc;
    if (rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE || rc == ZAUTHFAILED) {
      std::fprintf(stderr, "zk_load: probe: session lost: %s\n", zerror(rc));
      session_lost = true;  // the next pass reports the open kills as unrecovered
    } else if (rc != ZOK) {
      // Retry as soon as the client says it is connected again, without spinning on a handle
      // that is still looking for a server.
      std::unique_lock lock(s->state_mutex);
      s->state_cv.wait_for(lock, std::chrono::milliseconds(kProbeReconnectWaitMs),
                           [s] { return s->connected || s->expired; });
    }
  }
  zookeeper_close(s->zh);
  const double seconds = static_cast<double>(now_ns() - start_ns) / 1e9;
  std::printf(
      "workload=probe sessions=1 outstanding=1 value_bytes=%d ops=%llu seconds=%.3f "
      "ops_per_s=%.1f p50_us=%.1f p99_us=%.1f failed_writes=%llu max_us=%.1f kills=%llu "
      "recovered=%llu session_lost=%d last_error=%d\n",
      o.value_bytes, static_cast<unsigned long long>(ok_writes), seconds,
      seconds > 0 ? static_cast<double>(ok_writes) / seconds : 0, latency.quantile_ns(0.50) / 1e3,
      latency.quantile_ns(0.99) / 1e3, static_cast<unsigned long long>(failed_writes),
      latency.max_ns() / 1e3, static_cast<unsigned long long>(kills),
      static_cast<unsigned long long>(recovered), session_lost ? 1 : 0,
      s->last_error.load(std::memory_order_relaxed));
  std::fflush(stdout);
  return !session_lost && kills == recovered && ok_writes > 0 ? 0 : 1;
}

void on_watchdog(int) {
  const char msg[] = "zk_load: watchdog: run exceeded its time bound, aborting\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  std::_Exit(1);
}

int run_main(int argc, char** argv) {
  Run run;
  run.options = parse_args(argc, argv);
  g_run = &run;
  const Options& o = run.options;

  std::signal(SIGALRM, on_watchdog);
  alarm(static_cast<unsigned>(o.warmup_s + o.duration_s) + kWatchdogSlackS);

  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  run.value.assign(static_cast<size_t>(o.value_bytes), 'v');
  for (size_t i = 0; i < run.value.size(); ++i)
    run.value[i] = static_cast<char>('a' + i % 26);

  for (int i = 0; i < o.sessions; ++i) {
    auto s = std::make_unique<Session>();
    s->index = i;
    s->rng.state =
        0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(i + 1) ^ static_cast<uint64_t>(now_ns());
    if (s->rng.state == 0) s->rng.state = 1;
    s->lanes.resize(static_cast<size_t>(o.outstanding));
    for (Lane& lane : s->lanes)
      lane.session = s.get();
    run.sessions.push_back(std::move(s));
  }
  const std::vector<std::string> host_list = split_hosts(o.hosts);
  for (auto& s : run.sessions) {
    const std::string& hosts =
        o.spread_hosts ? host_list[static_cast<size_t>(s->index) % host_list.size()] : o.hosts;
    if (!connect(s.get(), o, hosts)) return 1;
  }
  if (o.workload == Workload::kProbe) return run_probe(run);

  // Layout: <root>/keys/k<i> for set/get/mix (shared across runs, so a get run reads what a
  // set run wrote), <root>/create-<pid>-<time>/s<session>/n<seq> for create (unique per run).
  zhandle_t* zh0 = run.sessions[0]->zh;
  if (!ensure_node(zh0, o.root)) return 1;
  if (o.workload == Workload::kCreate) {
    std::string run_dir = o.root + "/create-" + std::to_string(getpid()) + "-" +
                          std::to_string(std::chrono::system_clock::now().time_since_epoch() /
                                         std::chrono::milliseconds(1));
    if (!ensure_node(zh0, run_dir)) return 1;
    for (auto& s : run.sessions) {
      s->create_parent = run_dir + "/s" + std::to_string(s->index);
      if (!ensure_node(zh0, s->create_parent)) return 1;
    }
  } else {
    if (!ensure_node(zh0, o.root + "/keys")) return 1;
    run.key_prefix = o.root + "/keys/k";
    if (!create_keys(run)) return 1;
  }
  if (!sync_sessions(run)) return 1;

  int64_t start_ns = now_ns();
  for (auto& s : run.sessions) {
    for (Lane& lane : s->lanes) {
      s->in_flight.fetch_add(1, std::memory_order_acq_rel);
      issue(&lane);
    }
  }

  auto sleep_until_ns = [](int64_t deadline) {
    while (now_ns() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
    }
  };
  sleep_until_ns(start_ns + static_cast<int64_t>(o.warmup_s * 1e9));
  int64_t measure_start_ns = now_ns();
  run.phase.store(kMeasure, std::memory_order_release);
  int64_t measure_deadline = measure_start_ns + static_cast<int64_t>(o.duration_s * 1e9);
  int64_t next_report_ns = measure_start_ns + int64_t{o.timeline_ms} * 1'000'000;
  uint64_t reported_ops = 0;
  while (now_ns() < measure_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
    if (o.timeline_ms != 0 && now_ns() >= next_report_ns) {
      uint64_t total = 0;
      uint64_t max_ns = 0;
      for (auto& s : run.sessions) {
        total += s->measured_ops.load(std::memory_order_relaxed);
        max_ns = std::max(max_ns, s->interval_max_ns.exchange(0, std::memory_order_relaxed));
      }
      int64_t t = now_ns();
      std::fprintf(stderr, "timeline t_ms=%lld mono_s=%.3f ops=%llu max_us=%.0f\n",
                   static_cast<long long>((t - measure_start_ns) / 1'000'000), t / 1e9,
                   static_cast<unsigned long long>(total - reported_ops), max_ns / 1e3);
      reported_ops = total;
      next_report_ns += int64_t{o.timeline_ms} * 1'000'000;
    }
    if (o.max_ops != 0) {
      uint64_t total = 0;
      for (auto& s : run.sessions)
        total += s->measured_ops.load(std::memory_order_relaxed);
      if (total >= o.max_ops) break;
    }
    bool any_alive = false;
    for (auto& s : run.sessions)
      any_alive |= s->in_flight.load(std::memory_order_relaxed) > 0;
    if (!any_alive) break;
  }
  run.phase.store(kStopped, std::memory_order_release);
  int64_t measure_end_ns = now_ns();

  int64_t drain_deadline = now_ns() + int64_t{kDrainTimeoutMs} * 1'000'000;
  bool drained = false;
  while (!drained && now_ns() < drain_deadline) {
    drained = true;
    for (auto& s : run.sessions)
      drained &= s->in_flight.load(std::memory_order_acquire) == 0;
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  // zookeeper_close joins the completion thread, after which the histograms are ours.
  for (auto& s : run.sessions)
    zookeeper_close(s->zh);

  LatencyHistogram all;
  uint64_t errors = 0;
  uint64_t warmup_ops = 0;
  int last_error = 0;
  for (auto& s : run.sessions) {
    all.merge(s->histogram);
    errors += s->errors.load();
    warmup_ops += s->warmup_ops.load();
    if (s->last_error.load() != 0) last_error = s->last_error.load();
  }
  if (!drained) ++errors;
  double seconds = static_cast<double>(measure_end_ns - measure_start_ns) / 1e9;
  double ops_per_s = seconds > 0 ? static_cast<double>(all.count()) / seconds : 0;
  std::printf(
      "workload=%s sessions=%d outstanding=%d value_bytes=%d ops=%llu seconds=%.3f "
      "ops_per_s=%.1f p50_us=%.1f p99_us=%.1f errors=%llu p90_us=%.1f p999_us=%.1f "
      "max_us=%.1f mean_us=%.1f warmup_ops=%llu keys=%d drained=%d last_error=%d spread=%d\n",
      o.workload_name.c_str(), o.sessions, o.outstanding, o.value_bytes,
      static_cast<unsigned long long>(all.count()), seconds, ops_per_s, all.quantile_ns(0.50) / 1e3,
      all.quantile_ns(0.99) / 1e3, static_cast<unsigned long long>(errors),
      all.quantile_ns(0.90) / 1e3, all.quantile_ns(0.999) / 1e3, all.max_ns() / 1e3,
      all.mean_ns() / 1e3, static_cast<unsigned long long>(warmup_ops),
      o.workload == Workload::kCreate ? 0 : o.keys, drained ? 1 : 0, last_error,
      o.spread_hosts ? 1 : 0);
  std::fflush(stdout);
  if (last_error != 0 && last_error != 1) {
    std::fprintf(stderr, "zk_load: last error: %s\n", zerror(last_error));
  }
  return errors == 0 && all.count() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace conclave::bench

int main(int argc, char** argv) {
  return conclave::bench::run_main(argc, argv);
}
