#include "server/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

namespace conclave::server {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  s = trim(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_port(std::string_view s, uint16_t& out) {
  int32_t v = 0;
  if (!parse_int(s, v) || v < 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool parse_bool(std::string_view s, bool& out) {
  s = trim(s);
  if (s == "yes" || s == "true") {
    out = true;
    return true;
  }
  if (s == "no" || s == "false") {
    out = false;
    return true;
  }
  return false;
}

// host:quorumPort:electionPort[:role][;[clientAddr:]clientPort]
bool parse_server_spec(std::string_view value, ServerSpec& spec, std::string& why) {
  std::string_view addr_part = value;
  std::string_view client_part;
  if (size_t semi = value.find(';'); semi != std::string_view::npos) {
    addr_part = value.substr(0, semi);
    client_part = trim(value.substr(semi + 1));
  }
  std::vector<std::string_view> fields;
  size_t start = 0;
  // An IPv6 host is written in brackets: [::1]:2888:3888.
  if (!addr_part.empty() && addr_part.front() == '[') {
    size_t close = addr_part.find(']');
    if (close == std::string_view::npos) {
      why = "unclosed '[' in host";
      return false;
    }
    fields.push_back(addr_part.substr(1, close - 1));
    start = close + 1;
    if (start < addr_part.size() && addr_part[start] == ':') ++start;
  }
  while (start <= addr_part.size()) {
    size_t colon = addr_part.find(':', start);
    if (colon == std::string_view::npos) colon = addr_part.size();
    fields.push_back(trim(addr_part.substr(start, colon - start)));
    start = colon + 1;
  }
  if (fields.size() < 3 || fields.size() > 4) {
    why = "expected host:quorumPort:electionPort[:participant|observer]";
    return false;
  }
  spec.host = std::string(fields[0]);
  if (spec.host.empty()) {
    why = "empty host";
    return false;
  }
  if (!parse_port(fields[1], spec.quorum_port) || spec.quorum_port == 0) {
    why = "bad quorum port '" + std::string(fields[1]) + "'";
    return false;
  }
  if (!parse_port(fields[2], spec.election_port) || spec.election_port == 0) {
    why = "bad election port '" + std::string(fields[2]) + "'";
    return false;
  }
  if (fields.size() == 4) {
    if (fields[3] == "observer") {
      spec.observer = true;
    } else if (fields[3] != "participant") {
      why = "role must be participant or observer, not '" + std::string(fields[3]) + "'";
      return false;
    }
  }
  if (!client_part.empty()) {
    std::string_view port = client_part;
    if (size_t colon = client_part.rfind(':'); colon != std::string_view::npos) {
      spec.client_address = std::string(client_part.substr(0, colon));
      port = client_part.substr(colon + 1);
    }
    if (!parse_port(port, spec.client_port) || spec.client_port == 0) {
      why = "bad client port '" + std::string(port) + "'";
      return false;
    }
  }
  return true;
}

}  // namespace

bool Config::four_letter_allowed(const std::string& cmd) const {
  return cmd == "srvr" || four_letter_whitelist.count("*") || four_letter_whitelist.count(cmd);
}

Result<ParsedConfig> parse_config(const std::string& text, const std::string& path) {
  ParsedConfig parsed;
  Config& c = parsed.config;
  c.source_path = path;
  bool client_port_seen = false;

  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::kBadArguments, path + ":" + std::to_string(line_no) + ": " + why);
  };

  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return fail("expected key=value, got '" + std::string(line) + "'");
    std::string key(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.empty()) return fail("empty key");

    auto positive_int = [&](int32_t& out) -> std::optional<Error> {
      int32_t v = 0;
      if (!parse_int(value, v) || v <= 0) {
        return fail(key + " must be a positive integer, not '" + std::string(value) + "'");
      }
      out = v;
      return std::nullopt;
    };
    auto non_negative_int = [&](int32_t& out) -> std::optional<Error> {
      int32_t v = 0;
      if (!parse_int(value, v) || v < 0) {
        return fail(key + " must be a non-negative integer, not '" + std::string(value) + "'");
      }
      out = v;
      return std::nullopt;
    };
    auto boolean = [&](bool& out) -> std::optional<Error> {
      if (!parse_bool(value, out)) {
        return fail(key + " must be yes/no or true/false, not '" + std::string(value) + "'");
      }
      return std::nullopt;
    };

    std::optional<Error> err;
    if (key == "tickTime") {
      err = positive_int(c.tick_time_ms);
    } else if (key == "initLimit") {
      err = positive_int(c.init_limit_ticks);
    } else if (key == "syncLimit") {
      err = positive_int(c.sync_limit_ticks);
    } else if (key == "dataDir") {
      if (value.empty()) return fail("dataDir is empty");
      c.data_dir = std::string(value);
    } else if (key == "dataLogDir") {
      if (value.empty()) return fail("dataLogDir is empty");
      c.data_log_dir = std::string(value);
    } else if (key == "clientPort") {
      if (!parse_port(value, c.client_port)) {
        return fail("clientPort must be a port number (0-65535), not '" + std::string(value) + "'");
      }
      client_port_seen = true;
    } else if (key == "clientPortAddress") {
      if (value.empty()) return fail("clientPortAddress is empty");
      c.client_port_address = std::string(value);
    } else if (key == "maxClientCnxns") {
      err = non_negative_int(c.max_client_cnxns);
    } else if (key == "maxCnxns") {
      err = non_negative_int(c.max_cnxns);
    } else if (key == "minSessionTimeout") {
      err = positive_int(c.min_session_timeout_ms);
    } else if (key == "maxSessionTimeout") {
      err = positive_int(c.max_session_timeout_ms);
    } else if (key == "autopurge.snapRetainCount") {
      err = positive_int(c.snap_retain_count);
    } else if (key == "autopurge.purgeInterval") {
      err = non_negative_int(c.purge_interval_hours);
    } else if (key == "snapCount") {
      int32_t v = 0;
      err = positive_int(v);
      c.snap_count = v;
    } else if (key == "commitLogCount" || key == "zookeeper.commitLogCount") {
      err = positive_int(c.commit_log_count);
    } else if (key == "forceSync") {
      err = boolean(c.force_sync);
    } else if (key == "fsync.warningthresholdms" || key == "zookeeper.fsync.warningthresholdms") {
      int32_t v = 0;
      err = positive_int(v);
      c.fsync_warning_threshold_ms = v;
    } else if (key == "4lw.commands.whitelist") {
      c.four_letter_whitelist.clear();
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view word = trim(rest.substr(0, comma));
        if (!word.empty()) c.four_letter_whitelist.insert(std::string(word));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
    } else if (key == "jute.maxbuffer") {
      err = positive_int(c.jute_max_buffer_bytes);
    } else if (key == "extendedTypesEnabled" || key == "zookeeper.extendedTypesEnabled") {
      err = boolean(c.extended_types_enabled);
    } else if (key == "DigestAuthenticationProvider.superDigest" ||
               key == "zookeeper.DigestAuthenticationProvider.superDigest") {
      if (value.find(':') == std::string_view::npos) {
        return fail("superDigest must look like super:<base64 sha1>");
      }
      c.super_digest = std::string(value);
    } else if (key == "globalOutstandingLimit") {
      err = positive_int(c.global_outstanding_limit);
    } else if (key.rfind("server.", 0) == 0) {
      ServerSpec spec;
      if (!parse_int(std::string_view(key).substr(7), spec.id) || spec.id < 0) {
        return fail("server id in '" + key + "' must be a non-negative integer");
      }
      std::string why;
      if (!parse_server_spec(value, spec, why)) return fail(key + ": " + why);
      for (const auto& s : c.servers) {
        if (s.id == spec.id) return fail(key + " is given twice");
      }
      c.servers.push_back(spec);
    } else if (key == "standaloneEnabled" || key == "reconfigEnabled" ||
               key == "admin.enableServer" || key == "admin.serverPort" || key == "electionAlg" ||
               key == "quorumListenOnAllIPs" || key == "preAllocSize" || key == "peerType" ||
               key == "syncEnabled" || key == "leaderServes" || key == "cnxTimeout" ||
               key == "metricsProvider.className") {
      // Known ZooKeeper keys that do not (yet) change how Conclave runs.
      parsed.warnings.push_back(path + ":" + std::to_string(line_no) + ": " + key +
                                " is accepted but has no effect in Conclave yet");
    } else {
      parsed.warnings.push_back(path + ":" + std::to_string(line_no) + ": unknown key '" + key +
                                "' ignored");
    }
    if (err) return *err;
  }

  if (c.data_dir.empty()) {
    line_no = 0;
    return Error(ErrorCode::kBadArguments, path + ": dataDir is not set");
  }
  if (c.data_log_dir.empty()) c.data_log_dir = c.data_dir;
  if (!client_port_seen && c.servers.empty()) {
    return Error(ErrorCode::kBadArguments, path + ": clientPort is not set");
  }
  if (c.min_session_timeout() > c.max_session_timeout()) {
    return Error(ErrorCode::kBadArguments, path + ": minSessionTimeout (" +
                                               std::to_string(c.min_session_timeout()) +
                                               ") is larger than maxSessionTimeout (" +
                                               std::to_string(c.max_session_timeout()) + ")");
  }
  return parsed;
}

Result<ParsedConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(ErrorCode::kBadArguments, path + ": cannot read the config file");
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_config(text.str(), path);
  if (!parsed) return parsed;
  std::ifstream myid(parsed->config.data_dir + "/myid");
  const bool myid_found = static_cast<bool>(myid);
  if (myid_found) {
    std::string id_text;
    std::getline(myid, id_text);
    int64_t id = 0;
    if (!parse_int(id_text, id) || id < 0) {
      return Error(ErrorCode::kBadArguments,
                   parsed->config.data_dir + "/myid: expected a server id, got '" + id_text + "'");
    }
    parsed->config.my_id = id;
  }
  // An ensemble member must know which server.N it is (QuorumPeerConfig refuses to start too).
  const Config& c = parsed->config;
  if (c.servers.size() >= 2) {
    std::string ids;
    bool listed = false;
    for (const auto& s : c.servers) {
      ids += (ids.empty() ? "" : ", ") + std::to_string(s.id);
      listed = listed || s.id == c.my_id;
    }
    if (!myid_found) {
      return Error(ErrorCode::kBadArguments,
                   c.data_dir + "/myid missing: an ensemble member needs its server id there (" +
                       path + " lists servers " + ids + ")");
    }
    if (!listed) {
      return Error(ErrorCode::kBadArguments, c.data_dir + "/myid says " + std::to_string(c.my_id) +
                                                 ", but " + path + " lists only servers " + ids);
    }
  }
  return parsed;
}

}  // namespace conclave::server
