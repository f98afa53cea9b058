// The members a transport dials, taken from the `server.N` lines: one transport listens
// on the election port, another on the quorum port.
#pragma once

#include <vector>

#include "server/config.h"
#include "server/peer/peer_transport.h"

namespace conclave::peer {

enum class PeerPort { kQuorum, kElection };

inline std::vector<PeerAddress> peer_addresses(const std::vector<server::ServerSpec>& servers,
                                               PeerPort which) {
  std::vector<PeerAddress> out;
  out.reserve(servers.size());
  for (const auto& spec : servers) {
    out.push_back(
        {spec.id, spec.host, which == PeerPort::kQuorum ? spec.quorum_port : spec.election_port});
  }
  return out;
}

}  // namespace conclave::peer
