// Counters behind `stat`, `srvr`, `mntr` and `cons`: request latency and packet counts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace conclave::server {

struct LatencyStats {
  int64_t min_ms = std::numeric_limits<int64_t>::max();
  int64_t max_ms = 0;
  int64_t total_ms = 0;
  uint64_t count = 0;

  void record(int64_t ms) {
    min_ms = std::min(min_ms, ms);
    max_ms = std::max(max_ms, ms);
    total_ms += ms;
    ++count;
  }
  int64_t min_or_zero() const { return count ? min_ms : 0; }
  double avg() const { return count ? static_cast<double>(total_ms) / count : 0.0; }
};

struct ServerStats {
  LatencyStats latency;
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t auth_failed_count = 0;
  // Ensemble leader: learners' tree digests compared with ours at the same zxid, and how many
  // differed (mntr's zk_digest_mismatches_count, as ZooKeeper names it).
  uint64_t digest_checks = 0;
  uint64_t digest_mismatches = 0;
  int64_t started_ms = 0;

  void reset() {
    latency = {};
    packets_received = 0;
    packets_sent = 0;
  }
};

}  // namespace conclave::server
