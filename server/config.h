// The server's configuration, read from a ZooKeeper-format zoo.cfg (Java properties:
// key=value lines, '#' or '!' comments). Every key ZooKeeper users set for a standalone
// server is honoured; `server.N` lines are parsed for the ensemble.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace conclave::server {

// One `server.N=host:quorumPort:electionPort[:participant|observer][;[clientAddr:]clientPort]`.
struct ServerSpec {
  int64_t id = 0;
  std::string host;
  uint16_t quorum_port = 0;
  uint16_t election_port = 0;
  bool observer = false;
  std::string client_address;  // empty when not given
  uint16_t client_port = 0;    // 0 when not given
};

struct Config {
  std::string source_path;  // the file it was read from, for messages

  int32_t tick_time_ms = 2000;
  int32_t init_limit_ticks = 10;
  int32_t sync_limit_ticks = 5;
  std::string data_dir;
  std::string data_log_dir;  // defaults to data_dir
  uint16_t client_port = 2181;
  std::string client_port_address = "0.0.0.0";
  int32_t max_client_cnxns = 60;        // per client IP; 0 = unlimited
  int32_t min_session_timeout_ms = -1;  // -1: 2 * tickTime
  int32_t max_session_timeout_ms = -1;  // -1: 20 * tickTime
  int32_t snap_retain_count = 3;
  // ZooKeeper leaves purging off (0 hours) and users' disks fill up; Conclave purges by default
  // after every snapshot, and a positive purgeInterval only adds an hourly sweep.
  int32_t purge_interval_hours = 0;
  int64_t snap_count = 100000;
  // Committed entries a leader keeps in memory to bring a learner up to date by DIFF; one
  // further behind gets a SNAP. ZooKeeper's system property zookeeper.commitLogCount (500 there;
  // ours is larger because a DIFF is much cheaper than shipping the whole tree).
  int32_t commit_log_count = 20000;
  bool force_sync = true;
  int64_t fsync_warning_threshold_ms = 1000;
  std::set<std::string> four_letter_whitelist = {"srvr"};  // "*" means all
  int32_t jute_max_buffer_bytes = 0xfffff;
  bool extended_types_enabled = false;
  std::string super_digest;  // "super:base64(sha1)" — DigestAuthenticationProvider.superDigest
  int64_t my_id = 0;         // from dataDir/myid, when present
  std::vector<ServerSpec> servers;
  int32_t global_outstanding_limit = 1000;
  int32_t max_cnxns = 0;  // 0 = unlimited

  int32_t min_session_timeout() const {
    return min_session_timeout_ms > 0 ? min_session_timeout_ms : 2 * tick_time_ms;
  }
  int32_t max_session_timeout() const {
    return max_session_timeout_ms > 0 ? max_session_timeout_ms : 20 * tick_time_ms;
  }
  bool four_letter_allowed(const std::string& cmd) const;
};

// Parses the text of a config file. `path` is used in messages ("zoo.cfg:7: ...") and to
// find `myid` in dataDir. Unknown keys are collected as warnings, not errors.
struct ParsedConfig {
  Config config;
  std::vector<std::string> warnings;
};
Result<ParsedConfig> parse_config(const std::string& text, const std::string& path);

// Reads and parses the file, then reads dataDir/myid if it exists.
Result<ParsedConfig> load_config(const std::string& path);

}  // namespace conclave::server
