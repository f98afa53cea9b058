// What a QuorumPeerDriver needs to know about its ensemble. Independent of zoo.cfg: the server
// translates its Config into this, so that this layer depends on nothing above it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "zab/quorum_verifier.h"

namespace conclave::ensemble {

// One `server.N` line.
struct MemberAddress {
  zab::ServerId id = 0;
  std::string host;
  uint16_t quorum_port = 0;
  uint16_t election_port = 0;
  bool observer = false;
};

struct DriverOptions {
  zab::ServerId my_id = 0;
  std::vector<MemberAddress> members;  // every member, this one included
  int64_t tick_time_ms = 2000;         // tickTime: the Peer ticks this often
  uint64_t init_limit_ticks = 10;      // initLimit: discovery's and sync's deadline
  uint64_t sync_limit_ticks = 5;       // syncLimit: how long pings may go unanswered
  // commitLogCount: committed entries kept in memory for DIFF; a learner further behind gets
  // a SNAP.
  size_t history_entries_max = 20'000;
};

}  // namespace conclave::ensemble
