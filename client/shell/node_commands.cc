// ls, create, get, set, stat, delete, deleteall, sync, getEphemerals, getAllChildrenNumber.
#include <algorithm>

#include "client/shell/acl_text.h"
#include "client/shell/format.h"
#include "client/shell/handlers.h"

namespace conclave::shell {
namespace {

using client::CreateMode;

// ZooKeeper's EphemeralType.TTL: the TTL lives in 40 bits of the ephemeralOwner field.
constexpr int64_t kMaxTtlMs = (int64_t{1} << 40) - 1;
// deleteall deletes in multis of this many nodes unless -b says otherwise (ZKUtil's default).
constexpr int64_t kDeleteAllBatchDefault = 1'000;

client::Watcher watch_if(Connection& c, const ParsedCommand& cmd) {
  return cmd.has('w') ? c.watcher() : client::Watcher();
}

void add_stat(Reply& r, const wire::Stat& stat, bool print) {
  if (print) r.out += format_stat(stat);
  r.json.raw("stat", stat_json(stat));
}

// -v: a version number, or the usage reply that says why not.
std::variant<int32_t, Reply> version_flag(const ParsedCommand& cmd) {
  const auto v = cmd.value('v');
  if (!v) return int32_t{-1};
  const auto n = parse_int(*v);
  if (!n || *n < INT32_MIN || *n > INT32_MAX) {
    return usage_reply(cmd, "-v argument must be a version number: " + *v);
  }
  return static_cast<int32_t>(*n);
}

}  // namespace

Reply cmd_ls(Connection& c, const ParsedCommand& cmd) {
  const std::string& path = cmd.args[0];
  Reply r;
  if (cmd.has('R')) {
    auto nodes = list_subtree(c, path, watch_if(c, cmd));
    if (!nodes.ok()) return error_reply(c, nodes.error(), nodes.error().detail);
    for (const auto& n : *nodes)
      r.out += n + "\n";
    r.json.raw("paths", json_string_array(*nodes));
    return r;
  }
  auto children = c.sync().get_children(path, watch_if(c, cmd));
  if (!children.ok()) return error_reply(c, children.error(), path);
  // Servers answer in hash order; zkCli sorts, and so do we, for people and for diffs.
  std::sort(children->children.begin(), children->children.end());
  r.out = format_list(children->children) + "\n";
  r.json.raw("children", json_string_array(children->children));
  add_stat(r, children->stat, cmd.has('s'));
  return r;
}

Reply cmd_create(Connection& c, const ParsedCommand& cmd) {
  const bool e = cmd.has('e'), s = cmd.has('s'), container = cmd.has('c'), t = cmd.has('t');
  if (container && (e || s)) {
    return usage_reply(cmd,
                       "-c cannot be combined with -s or -e. Containers cannot be ephemeral or "
                       "sequential.");
  }
  int64_t ttl = 0;
  if (t) {
    const auto v = parse_int(*cmd.value('t'));
    if (!v) return usage_reply(cmd, "-t argument must be a long value");
    if (e) return usage_reply(cmd, "TTLs cannot be used with Ephemeral znodes");
    if (container) return usage_reply(cmd, "TTLs cannot be used with Container znodes");
    if (*v <= 0 || *v > kMaxTtlMs) {
      return usage_reply(
          cmd, "ttl must be positive and cannot be larger than: " + std::to_string(kMaxTtlMs));
    }
    ttl = *v;
  }
  client::CreateOptions options;
  if (e) {
    options.mode = s ? CreateMode::kEphemeralSequential : CreateMode::kEphemeral;
  } else if (s) {
    options.mode = t ? CreateMode::kPersistentSequentialWithTtl : CreateMode::kPersistentSequential;
  } else if (container) {
    options.mode = CreateMode::kContainer;
  } else if (t) {
    options.mode = CreateMode::kPersistentWithTtl;
  }
  options.ttl_ms = ttl;
  if (cmd.args.size() > 2) {
    auto acl = parse_acl(cmd.args[2]);
    if (!acl.ok()) return usage_reply(cmd, acl.error().detail);
    options.acl = std::move(*acl);
  }
  const std::string& path = cmd.args[0];
  std::string data = cmd.args.size() > 1 ? cmd.args[1] : std::string();
  auto created = c.sync().create(path, std::move(data), std::move(options));
  if (!created.ok()) return error_reply(c, created.error(), path);
  Reply r;
  r.out = "Created " + created->path + "\n";
  r.json.str("created", created->path);
  add_stat(r, created->stat, false);
  return r;
}

Reply cmd_get(Connection& c, const ParsedCommand& cmd) {
  const std::string& path = cmd.args[0];
  auto got = c.sync().get_data(path, watch_if(c, cmd));
  if (!got.ok()) return error_reply(c, got.error(), path);
  Reply r;
  r.out = got->data + "\n";
  r.json.str("data", got->data);
  add_stat(r, got->stat, cmd.has('s'));
  return r;
}

Reply cmd_set(Connection& c, const ParsedCommand& cmd) {
  auto version = version_flag(cmd);
  if (auto* bad = std::get_if<Reply>(&version)) return std::move(*bad);
  const std::string& path = cmd.args[0];
  auto stat = c.sync().set_data(path, cmd.args[1], std::get<int32_t>(version));
  if (!stat.ok()) return error_reply(c, stat.error(), path);
  Reply r;
  add_stat(r, *stat, cmd.has('s'));
  return r;
}

Reply cmd_stat(Connection& c, const ParsedCommand& cmd) {
  const std::string& path = cmd.args[0];
  auto stat = c.sync().exists(path, watch_if(c, cmd));
  if (!stat.ok()) return error_reply(c, stat.error(), path);
  if (!stat->has_value()) return error_reply(c, Error(ErrorCode::kNoNode), path);
  Reply r;
  add_stat(r, **stat, true);
  return r;
}

Reply cmd_delete(Connection& c, const ParsedCommand& cmd) {
  auto version = version_flag(cmd);
  if (auto* bad = std::get_if<Reply>(&version)) return std::move(*bad);
  const std::string& path = cmd.args[0];
  Status st = c.sync().remove(path, std::get<int32_t>(version));
  if (!st.ok()) return error_reply(c, st.error(), path);
  return Reply();
}

Reply cmd_deleteall(Connection& c, const ParsedCommand& cmd) {
  int64_t batch = kDeleteAllBatchDefault;
  if (auto b = cmd.value('b')) {
    const auto v = parse_int(*b);
    if (!v || *v <= 0 || *v > INT32_MAX) {
      return usage_reply(cmd, "-b argument must be a positive number: " + *b);
    }
    batch = *v;
  }
  const std::string& path = cmd.args[0];
  auto nodes = list_subtree(c, path, client::Watcher());
  if (!nodes.ok()) return error_reply(c, nodes.error(), nodes.error().detail);
  // Deepest first, so every node is empty when its delete runs (ZKUtil.deleteRecursive).
  std::reverse(nodes->begin(), nodes->end());
  for (size_t start = 0; start < nodes->size(); start += static_cast<size_t>(batch)) {
    const size_t end = std::min(nodes->size(), start + static_cast<size_t>(batch));
    std::vector<client::Op> ops;
    for (size_t i = start; i < end; ++i)
      ops.push_back(client::op::remove((*nodes)[i]));
    auto done = c.sync().multi(std::move(ops));
    if (!done.ok()) {
      // The client names the failing op as "multi op N (path)"; name that node.
      std::string failed = path;
      const std::string& d = done.error().detail;
      if (auto open = d.find('('); open != std::string::npos && d.back() == ')') {
        failed = d.substr(open + 1, d.size() - open - 2);
      }
      return error_reply(c, Error(done.error().code), failed);
    }
  }
  Reply r;
  r.json.num("deleted", static_cast<int64_t>(nodes->size()));
  return r;
}

Reply cmd_sync(Connection& c, const ParsedCommand& cmd) {
  const std::string& path = cmd.args[0];
  auto synced = c.sync().sync(path);
  if (!synced.ok()) return error_reply(c, synced.error(), path);
  Reply r;
  r.out = "Sync is OK\n";
  return r;
}

Reply cmd_get_ephemerals(Connection& c, const ParsedCommand& cmd) {
  const std::string path = cmd.args.empty() ? "/" : cmd.args[0];
  auto list = c.sync().get_ephemerals(path);
  if (!list.ok()) return error_reply(c, list.error(), path);
  std::sort(list->begin(), list->end());
  Reply r;
  r.out = format_list(*list) + "\n";
  r.json.raw("ephemerals", json_string_array(*list));
  return r;
}

Reply cmd_get_all_children_number(Connection& c, const ParsedCommand& cmd) {
  const std::string& path = cmd.args[0];
  auto n = c.sync().get_all_children_number(path);
  if (!n.ok()) return error_reply(c, n.error(), path);
  Reply r;
  r.out = std::to_string(*n) + "\n";
  r.json.num("count", *n);
  return r;
}

}  // namespace conclave::shell
