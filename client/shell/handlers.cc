#include "client/shell/handlers.h"

#include <algorithm>
#include <charconv>

#include "client/shell/format.h"

namespace conclave::shell {
namespace {

struct HandlerEntry {
  std::string_view command;
  Handler handler;
};

constexpr HandlerEntry kHandlers[] = {
    {"ls", cmd_ls},
    {"create", cmd_create},
    {"get", cmd_get},
    {"set", cmd_set},
    {"stat", cmd_stat},
    {"delete", cmd_delete},
    {"deleteall", cmd_deleteall},
    {"sync", cmd_sync},
    {"getEphemerals", cmd_get_ephemerals},
    {"getAllChildrenNumber", cmd_get_all_children_number},
    {"getAcl", cmd_get_acl},
    {"setAcl", cmd_set_acl},
    {"addauth", cmd_addauth},
    {"whoami", cmd_whoami},
    {"addWatch", cmd_add_watch},
    {"removewatches", cmd_remove_watches},
};

}  // namespace

Handler find_handler(std::string_view command) {
  for (const auto& h : kHandlers) {
    if (h.command == command) return h.handler;
  }
  return nullptr;
}

Reply error_reply(Connection& c, const Error& e, std::string_view path) {
  Error shown = e;
  // A call that timed out while the connection was down is a lost connection to the user.
  if (e.code == ErrorCode::kOperationTimeout && c.state() == client::SessionState::kDisconnected) {
    shown = Error(ErrorCode::kConnectionLoss);
  }
  return Reply::failed(describe_error(shown, path, c.hosts()), std::string(error_name(shown.code)));
}

Reply usage_reply(const ParsedCommand& cmd, const std::string& message) {
  Reply r;
  r.outcome = Outcome::kUsage;
  if (!message.empty()) r.err += message + "\n";
  r.err += std::string(cmd.spec->usage) + "\n";
  r.json.str("error", "usage").str("message", message.empty() ? cmd.spec->usage : message);
  r.json.str("usage", cmd.spec->usage);
  return r;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::string child_path(const std::string& parent, const std::string& child) {
  return parent == "/" ? "/" + child : parent + "/" + child;
}

Result<std::vector<std::string>> list_subtree(Connection& c, const std::string& root,
                                              const client::Watcher& watch) {
  std::vector<std::string> nodes{root};
  // `nodes` doubles as the BFS queue: everything before `next` has been expanded.
  for (size_t next = 0; next < nodes.size(); ++next) {
    auto children = c.sync().get_children(nodes[next], watch);
    if (!children.ok()) {
      // A node deleted during the walk is simply gone from it.
      if (children.code() == ErrorCode::kNoNode && next > 0) continue;
      return Error(children.error().code, nodes[next]);
    }
    std::sort(children->children.begin(), children->children.end());
    if (nodes.size() + children->children.size() > kSubtreeMaxNodes) {
      return Error(ErrorCode::kBadArguments, "More than " + std::to_string(kSubtreeMaxNodes) +
                                                 " nodes under " + root + "; not walking it");
    }
    const std::string parent = nodes[next];
    for (const auto& name : children->children)
      nodes.push_back(child_path(parent, name));
  }
  return nodes;
}

}  // namespace conclave::shell
