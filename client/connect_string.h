// The connect string, "host1:port1,host2:port2/chroot", and the order in which hosts are
// tried: shuffled once, then round-robin, as ZooKeeper's StaticHostProvider does.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace conclave::client {

struct HostPort {
  std::string host;  // a name or an address; IPv6 without the brackets
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

struct ConnectString {
  std::vector<HostPort> hosts;
  std::string chroot;  // "" for none, else "/a/b" (never ending in '/')
};

// kBadArguments for an empty host list, a missing or bad port, or a bad chroot path.
// A host without a port gets ZooKeeper's default, 2181.
Result<ConnectString> parse_connect_string(std::string_view s);

constexpr uint16_t kDefaultPort = 2181;

// Hosts in a shuffled order, handed out round-robin. A round is complete when every host
// was handed out once since the last success; the caller backs off between rounds.
class HostList {
 public:
  HostList(std::vector<HostPort> hosts, uint64_t seed);

  const HostPort& next();
  // Forget failures: the next failure starts a new round.
  void on_connected() { tried_in_round_ = 0; }
  bool round_complete() const { return tried_in_round_ >= hosts_.size(); }
  void start_round() { tried_in_round_ = 0; }
  size_t size() const { return hosts_.size(); }

 private:
  std::vector<HostPort> hosts_;
  size_t cursor_ = 0;
  size_t tried_in_round_ = 0;
};

}  // namespace conclave::client
