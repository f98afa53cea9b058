#include "client/shell/format.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace conclave::shell {

std::string format_time_ms(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm local {};
  localtime_r(&seconds, &local);
  // Java's Date.toString(): "EEE MMM dd HH:mm:ss zzz yyyy".
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Z %Y", &local);
  return std::string(buf, n);
}

std::string hex(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, static_cast<uint64_t>(v));
  return buf;
}

std::string format_stat(const wire::Stat& s) {
  std::string out;
  out += "cZxid = " + hex(s.czxid) + "\n";
  out += "ctime = " + format_time_ms(s.ctime) + "\n";
  out += "mZxid = " + hex(s.mzxid) + "\n";
  out += "mtime = " + format_time_ms(s.mtime) + "\n";
  out += "pZxid = " + hex(s.pzxid) + "\n";
  out += "cversion = " + std::to_string(s.cversion) + "\n";
  out += "dataVersion = " + std::to_string(s.version) + "\n";
  out += "aclVersion = " + std::to_string(s.aversion) + "\n";
  out += "ephemeralOwner = " + hex(s.ephemeral_owner) + "\n";
  out += "dataLength = " + std::to_string(s.data_length) + "\n";
  out += "numChildren = " + std::to_string(s.num_children) + "\n";
  return out;
}

std::string stat_json(const wire::Stat& s) {
  // Field names as in ZooKeeper's Stat record, so they match other tools' JSON.
  return JsonObject()
      .num("czxid", s.czxid)
      .num("mzxid", s.mzxid)
      .num("ctime", s.ctime)
      .num("mtime", s.mtime)
      .num("version", s.version)
      .num("cversion", s.cversion)
      .num("aversion", s.aversion)
      .num("ephemeralOwner", s.ephemeral_owner)
      .num("dataLength", s.data_length)
      .num("numChildren", s.num_children)
      .num("pzxid", s.pzxid)
      .encode();
}

std::string format_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out + "]";
}

std::string_view event_type_name(wire::EventType type) {
  switch (type) {
    case wire::EventType::kNone:
      return "None";
    case wire::EventType::kNodeCreated:
      return "NodeCreated";
    case wire::EventType::kNodeDeleted:
      return "NodeDeleted";
    case wire::EventType::kNodeDataChanged:
      return "NodeDataChanged";
    case wire::EventType::kNodeChildrenChanged:
      return "NodeChildrenChanged";
    case wire::EventType::kDataWatchRemoved:
      return "DataWatchRemoved";
    case wire::EventType::kChildWatchRemoved:
      return "ChildWatchRemoved";
    case wire::EventType::kPersistentWatchRemoved:
      return "PersistentWatchRemoved";
  }
  return "Unknown";
}

std::string format_event(const client::WatchedEvent& e) {
  return "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:" +
         std::string(event_type_name(e.type)) + " path:" + (e.path.empty() ? "null" : e.path) +
         "\n";
}

std::string event_json(const client::WatchedEvent& e) {
  return JsonObject()
      .str("event", event_type_name(e.type))
      .str("path", e.path)
      .str("state", "SyncConnected")
      .encode();
}

std::string describe_error(const Error& error, std::string_view path, std::string_view hosts) {
  const std::string p(path);
  switch (error.code) {
    case ErrorCode::kNoNode:
      return "Node does not exist: " + p;
    case ErrorCode::kNodeExists:
      return "Node already exists: " + p;
    case ErrorCode::kNotEmpty:
      return "Node not empty: " + p;
    case ErrorCode::kBadVersion:
      return "Version does not match: " + p;
    case ErrorCode::kNoAuth:
      return "Insufficient permission: " + p;
    case ErrorCode::kInvalidAcl:
      return "Acl is not valid: " + p;
    case ErrorCode::kNoChildrenForEphemerals:
      return "Ephemerals cannot have children: " + p;
    case ErrorCode::kNoWatcher:
      return "No such watcher for " + p;
    case ErrorCode::kConnectionLoss:
      return "Connection lost — retrying " + std::string(hosts);
    case ErrorCode::kOperationTimeout:
    case ErrorCode::kRequestTimeout:
      return "Timed out waiting for the server: " + p;
    case ErrorCode::kSessionExpired:
      return "Session expired — use connect to start a new one";
    case ErrorCode::kAuthFailed:
      return "Authentication failed — the session is closed; use connect to start a new one";
    case ErrorCode::kUnimplemented:
      return "Not supported by this server: " + p;
    case ErrorCode::kNotReadOnly:
      return "Not allowed on a read-only server: " + p;
    case ErrorCode::kQuotaExceeded:
      return "Quota exceeded: " + p;
    case ErrorCode::kThrottledOp:
      return "The server is busy; try again: " + p;
    case ErrorCode::kBadArguments:
      // The client's checks say what was wrong ("Path must start with / character: x").
      if (!error.detail.empty()) {
        std::string d = error.detail;
        if (d[0] >= 'a' && d[0] <= 'z') d[0] = static_cast<char>(d[0] - 'a' + 'A');
        return d;
      }
      return "Invalid arguments: " + p;
    default:
      break;
  }
  std::string out(error_message(error.code));
  if (!p.empty()) out += ": " + p;
  return out;
}

}  // namespace conclave::shell
