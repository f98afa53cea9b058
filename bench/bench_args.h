// Argument helpers the bench tools share (zk_load, recipe_load): the connect-string checks that
// keep them on loopback servers, and bounded number parsing. Each tool prints its own usage.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace conclave::bench {

// "h1,h2/chroot" -> {"h1/chroot", "h2/chroot"}: one server per entry, each keeping the chroot.
inline std::vector<std::string> split_hosts(const std::string& hosts) {
  size_t slash = hosts.find('/');
  std::string list = hosts.substr(0, slash);
  std::string chroot = slash == std::string::npos ? "" : hosts.substr(slash);
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) out.push_back(list.substr(start, end - start) + chroot);
    start = end + 1;
  }
  return out;
}

// Bench tools load whatever they are pointed at as hard as they can: they accept only servers
// on this machine, so that they are never a way to load someone's production ensemble.
inline bool is_loopback(const std::string& hosts) {
  size_t start = 0;
  while (start <= hosts.size()) {
    size_t end = hosts.find(',', start);
    if (end == std::string::npos) end = hosts.size();
    std::string h = hosts.substr(start, end - start);
    size_t chroot = h.find('/');
    if (chroot != std::string::npos) h = h.substr(0, chroot);
    bool ok = h.rfind("127.", 0) == 0 || h.rfind("localhost:", 0) == 0 || h == "localhost" ||
              h.rfind("[::1]", 0) == 0;
    if (!ok) return false;
    start = end + 1;
  }
  return true;
}

// `text` as a number in [lo, hi]; nullopt for anything else (trailing garbage included).
inline std::optional<double> parse_bounded(const std::string& text, double lo, double hi) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !(v >= lo && v <= hi)) return std::nullopt;
  return v;
}

}  // namespace conclave::bench
