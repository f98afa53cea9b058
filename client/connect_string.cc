#include "client/connect_string.h"

#include <algorithm>
#include <charconv>

#include "client/paths.h"

namespace conclave::client {
namespace {

Result<HostPort> parse_host(std::string_view s) {
  HostPort hp;
  std::string_view port_text;
  if (s.starts_with('[')) {  // [v6addr]:port
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return Error(ErrorCode::kBadArguments, "unclosed [");
    hp.host = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Error(ErrorCode::kBadArguments, "junk after ]");
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      hp.host = std::string(s);
    } else {
      hp.host = std::string(s.substr(0, colon));
      port_text = s.substr(colon + 1);
      if (port_text.empty()) return Error(ErrorCode::kBadArguments, "empty port");
    }
  }
  if (hp.host.empty()) return Error(ErrorCode::kBadArguments, "empty host in connect string");
  hp.port = kDefaultPort;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Error(ErrorCode::kBadArguments, "bad port: " + std::string(port_text));
    }
    hp.port = static_cast<uint16_t>(port);
  }
  return hp;
}

}  // namespace

Result<ConnectString> parse_connect_string(std::string_view s) {
  ConnectString out;
  std::string_view host_part = s;
  const size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    host_part = s.substr(0, slash);
    std::string_view chroot = s.substr(slash);
    if (chroot != "/") {
      Status st = validate_path(chroot, /*sequential=*/false);
      if (!st.ok()) return Error(ErrorCode::kBadArguments, "bad chroot: " + st.error().detail);
      out.chroot = std::string(chroot);
    }
  }
  while (!host_part.empty()) {
    const size_t comma = host_part.find(',');
    std::string_view one = host_part.substr(0, comma);
    if (!one.empty()) {
      auto hp = parse_host(one);
      if (!hp.ok()) return hp.error();
      out.hosts.push_back(std::move(hp.value()));
    }
    if (comma == std::string_view::npos) break;
    host_part = host_part.substr(comma + 1);
  }
  if (out.hosts.empty()) return Error(ErrorCode::kBadArguments, "no host in connect string");
  return out;
}

HostList::HostList(std::vector<HostPort> hosts, uint64_t seed) : hosts_(std::move(hosts)) {
  std::mt19937_64 rng(seed != 0 ? seed : std::random_device{}());
  std::shuffle(hosts_.begin(), hosts_.end(), rng);
}

const HostPort& HostList::next() {
  const HostPort& h = hosts_[cursor_];
  cursor_ = (cursor_ + 1) % hosts_.size();
  ++tried_in_round_;
  return h;
}

}  // namespace conclave::client
