#include "server/four_letter_words.h"

#include <unistd.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "server/zk_server.h"

namespace conclave::server {
namespace {

// ZooKeeper's list less gtmk/stmk/hash: Conclave has no trace mask, and its digest is not
// ZooKeeper's digest history, so answering those would only pretend. Plus our own `zabs`.
constexpr std::array<std::string_view, 16> kWords = {"conf", "cons", "crst", "dirs", "dump", "envi",
                                                     "ruok", "srvr", "srst", "stat", "wchc", "wchp",
                                                     "wchs", "mntr", "isro", "zabs"};

// AbstractFourLetterCommand.ZK_NOT_SERVING.
constexpr std::string_view kNotServing =
    "This ZooKeeper instance is not currently serving requests";

std::string hex(int64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

std::string fixed1(double v) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << v;
  return s.str();
}

uint64_t dir_size(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

// Packets of closed connections (kept in the server's stats) plus those of open ones.
std::pair<uint64_t, uint64_t> packet_totals(ZkServer& s) {
  uint64_t received = s.stats().packets_received, sent = s.stats().packets_sent;
  for (const auto& [id, c] : s.connections()) {
    received += c->packets_received;
    sent += c->packets_sent;
  }
  return {received, sent};
}

void server_summary(ZkServer& s, std::ostringstream& out) {
  const ServerStats& st = s.stats();
  auto [received, sent] = packet_totals(s);
  out << "Latency min/avg/max: " << st.latency.min_or_zero() << "/" << fixed1(st.latency.avg())
      << "/" << st.latency.max_ms << "\n"
      << "Received: " << received << "\n"
      << "Sent: " << sent << "\n"
      << "Connections: " << s.connections().size() << "\n"
      << "Outstanding: " << s.outstanding_requests() << "\n"
      << "Zxid: " << hex(s.last_zxid()) << "\n"
      << "Mode: " << s.mode() << "\n"
      << "Node count: " << s.tree().node_count() << "\n";
  // ZooKeeper's leader adds its proposal sizes (BufferStats: -1 until the first proposal).
  if (s.mode() == "leader") out << "Proposal sizes last/min/max: -1/-1/-1\n";
}

// ZooKeeper's layout: `[0]` and the short form for a connection without a session (such as
// the one asking), `[1]` and the details for a session's connection.
void connection_line(const ClientConnection& c, bool detailed, std::ostringstream& out) {
  bool has_session = c.handshake_done && c.session_id != 0;
  out << " /" << c.remote_endpoint() << "[" << (has_session ? 1 : 0)
      << "](queued=0,recved=" << c.packets_received << ",sent=" << c.packets_sent;
  if (detailed && has_session) {
    out << ",sid=" << hex(c.session_id) << ",lop=" << c.last_op << ",est=" << c.established_wall_ms
        << ",to=" << c.session_timeout_ms << ",lcxid=" << hex(c.last_cxid)
        << ",lzxid=" << hex(c.last_zxid) << ",lresp=" << c.last_response_wall_ms
        << ",llat=" << c.last_latency_ms << ",minlat=" << c.latency.min_or_zero()
        << ",avglat=" << static_cast<int64_t>(c.latency.avg()) << ",maxlat=" << c.latency.max_ms;
  }
  out << ")\n";
}

// Java's Date.toString(), which ZooKeeper's `dump` prints.
std::string java_date(int64_t wall_ms) {
  std::time_t secs = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

std::string mntr(ZkServer& s) {
  std::ostringstream out;
  const ServerStats& st = s.stats();
  auto [received, sent] = packet_totals(s);
  storage::FsyncStats fs = s.fsync_stats();
  auto kv = [&](std::string_view k, const auto& v) { out << "zk_" << k << "\t" << v << "\n"; };
  kv("version", server_version());
  kv("server_state", s.mode());
  kv("avg_latency", fixed1(st.latency.avg()));
  kv("max_latency", st.latency.max_ms);
  kv("min_latency", st.latency.min_or_zero());
  kv("packets_received", received);
  kv("packets_sent", sent);
  kv("num_alive_connections", s.connections().size());
  kv("outstanding_requests", s.outstanding_requests());
  kv("znode_count", s.tree().node_count());
  kv("watch_count", s.tree().watches().watch_count());
  kv("ephemerals_count", s.tree().ephemeral_count());
  kv("approximate_data_size", s.tree().approximate_data_size());
  kv("global_sessions", s.session_count());
  kv("local_sessions", 0);
  kv("auth_failed_count", st.auth_failed_count);
  kv("digest_mismatches_count", st.digest_mismatches);
  kv("digest_checks_count", st.digest_checks);  // ours: learners' digests compared
  kv("uptime", s.now_ms() - st.started_ms);
  kv("last_zxid", hex(s.last_zxid()));
  kv("fsync_count", fs.fsync_count);
  kv("fsync_min_ms", fixed1(fs.fsync_min_ms));
  kv("fsync_avg_ms", fixed1(fs.fsync_avg_ms));
  kv("fsync_max_ms", fixed1(fs.fsync_max_ms));
  kv("fsync_threshold_exceed_count", fs.fsync_threshold_exceed_count);
  kv("log_batch_count", fs.batch_count);
  kv("log_max_batch_entries", fs.max_batch_entries);
  long open_fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++open_fds;
  }
  kv("open_file_descriptor_count", open_fds);
  kv("max_file_descriptor_count", sysconf(_SC_OPEN_MAX));
  // Leader only, as in ZooKeeper (zk_followers is the 3.4 name of zk_learners).
  const zab::Peer* peer = s.ensemble() ? s.ensemble()->peer() : nullptr;
  if (peer && peer->serving() && peer->leading()) {
    zab::Leading::Stats ls = peer->leading()->stats();
    kv("learners", ls.learners);
    kv("followers", ls.learners);
    kv("synced_followers", ls.synced_followers);
    kv("synced_non_voting_followers", 0);
    kv("synced_observers", ls.synced_observers);
    kv("pending_syncs", ls.pending_syncs);
  }
  return out.str();
}

}  // namespace

std::string_view server_version() {
  return "3.8.0-conclave-0.1.0, built on " __DATE__;
}

bool is_four_letter_word(std::string_view word) {
  for (auto w : kWords) {
    if (w == word) return true;
  }
  return false;
}

std::string run_four_letter_word(ZkServer& s, const std::string& word) {
  if (!s.config().four_letter_allowed(word)) {
    return word + " is not executed because it is not in the whitelist.\n";
  }
  std::ostringstream out;
  const Config& c = s.config();
  // ZooKeeper answers ruok whenever the process listens, serving or not (its docs say so).
  if (word == "ruok") return "imok";
  if (word == "zabs") return s.ensemble() ? s.ensemble()->state_text() : "role\tstandalone\n";
  if (!s.serving()) {
    // As ZooKeeper's commands when isZKServerRunning() is false; envi does not ask.
    if (word == "isro") return "null";
    if (word != "envi") return std::string(kNotServing) + "\n";
  }
  if (word == "isro") return "rw";
  if (word == "srvr") {
    out << "Zookeeper version: " << server_version() << "\n";
    server_summary(s, out);
  } else if (word == "stat") {
    out << "Zookeeper version: " << server_version() << "\nClients:\n";
    for (const auto& [id, conn] : s.connections())
      connection_line(*conn, false, out);
    out << "\n";
    server_summary(s, out);
  } else if (word == "cons") {
    for (const auto& [id, conn] : s.connections())
      connection_line(*conn, true, out);
    out << "\n";
  } else if (word == "mntr") {
    return mntr(s);
  } else if (word == "conf") {
    out << "clientPort=" << c.client_port << "\n"
        << "secureClientPort=-1\n"
        << "dataDir=" << c.data_dir << "\n"
        << "dataDirSize=" << dir_size(c.data_dir) << "\n"
        << "dataLogDir=" << c.data_log_dir << "\n"
        << "dataLogSize=" << dir_size(c.data_log_dir) << "\n"
        << "tickTime=" << c.tick_time_ms << "\n"
        << "maxClientCnxns=" << c.max_client_cnxns << "\n"
        << "minSessionTimeout=" << c.min_session_timeout() << "\n"
        << "maxSessionTimeout=" << c.max_session_timeout() << "\n"
        << "clientPortListenBacklog=-1\n"
        << "serverId=" << c.my_id << "\n";
  } else if (word == "envi") {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    std::error_code ec;
    out << "Environment:\n"
        << "zookeeper.version=" << server_version() << "\n"
        << "host.name=" << host << "\n"
        << "os.name=Linux\n"
        << "user.dir=" << std::filesystem::current_path(ec).string() << "\n";
  } else if (word == "wchs") {
    // As ZooKeeper: data and exist watches only.
    auto by_watcher = s.tree().watches().watches_by_watcher(false);
    size_t total = 0;
    for (const auto& [w, paths] : by_watcher)
      total += paths.size();
    out << by_watcher.size() << " connections watching "
        << s.tree().watches().watches_by_path(false).size() << " paths\n"
        << "Total watches:" << total << "\n";
  } else if (word == "wchc") {
    for (const auto& [watcher, paths] : s.tree().watches().watches_by_watcher(false)) {
      auto it = s.connections().find(watcher);
      out << hex(it == s.connections().end() ? 0 : it->second->session_id) << "\n";
      for (const auto& p : paths)
        out << "\t" << p << "\n";
    }
    out << "\n";
  } else if (word == "wchp") {
    for (const auto& [path, watchers] : s.tree().watches().watches_by_path(false)) {
      out << path << "\n";
      for (auto w : watchers) {
        auto it = s.connections().find(w);
        out << "\t" << hex(it == s.connections().end() ? 0 : it->second->session_id) << "\n";
      }
    }
    out << "\n";
  } else if (word == "dump") {
    const auto& buckets = s.tracker().expiry_buckets();
    size_t sessions = 0;
    for (const auto& [at, ids] : buckets)
      sessions += ids.size();
    auto wall_of = [&](int64_t monotonic_ms) { return s.wall_ms() + (monotonic_ms - s.now_ms()); };
    out << "SessionTracker dump:\nSession Sets (" << buckets.size() << ")/(" << sessions << "):\n";
    for (const auto& [at, ids] : buckets) {
      out << ids.size() << " expire at " << java_date(wall_of(at)) << ":\n";
      for (SessionId id : ids)
        out << "\t" << hex(id) << "\n";
    }
    std::ostringstream eph;
    size_t with_ephemerals = 0;
    for (const auto& [id, timeout] : s.tree().sessions()) {
      auto paths = s.tree().get_ephemerals(id, "/");
      if (paths.empty()) continue;
      ++with_ephemerals;
      eph << hex(id) << ":\n";
      for (const auto& p : paths)
        eph << "\t" << p << "\n";
    }
    out << "ephemeral nodes dump:\nSessions with Ephemerals (" << with_ephemerals << "):\n"
        << eph.str();
    // Connections are grouped by when their session expires (ZooKeeper tracks connection
    // expiry separately; here a connection lives as long as its session).
    std::map<int64_t, std::vector<const ClientConnection*>> by_expiry;
    for (const auto& [id, conn] : s.connections()) {
      int64_t at = s.tracker().expiry_ms(conn->session_id);
      by_expiry[at != 0 ? at : s.now_ms() + s.config().tick_time_ms].push_back(conn.get());
    }
    out << "Connections dump:\nConnections Sets (" << by_expiry.size() << ")/("
        << s.connections().size() << "):\n";
    for (const auto& [at, conns] : by_expiry) {
      out << conns.size() << " expire at " << java_date(wall_of(at)) << ":\n";
      for (const auto* c : conns) {
        out << "\tip: /" << c->remote_endpoint() << " sessionId: " << hex(c->session_id) << "\n";
      }
    }
  } else if (word == "dirs") {
    out << "datadir_size: " << dir_size(c.data_dir) << "\n"
        << "logdir_size: " << dir_size(c.data_log_dir) << "\n";
  } else if (word == "crst") {
    // The server's totals keep what the connections had counted so far.
    ServerStats& st = s.mutable_stats();
    for (const auto& [id, conn] : s.connections()) {
      st.packets_received += conn->packets_received;
      st.packets_sent += conn->packets_sent;
      conn->packets_received = 0;
      conn->packets_sent = 0;
      conn->last_latency_ms = 0;
    }
    return "Connection stats reset.\n";
  } else if (word == "srst") {
    s.mutable_stats().reset();
    return "Server stats reset.\n";
  }
  return out.str();
}

}  // namespace conclave::server
