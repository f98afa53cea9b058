// The commands that talk to the server, each a function of the connection and the parsed
// command. Shell dispatches to them once it knows the session is usable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/shell/command_spec.h"
#include "client/shell/connection.h"
#include "client/shell/reply.h"

namespace conclave::shell {

using Handler = Reply (*)(Connection&, const ParsedCommand&);

// nullptr for commands the Shell runs itself (connect, history, ...).
Handler find_handler(std::string_view command);

// ---- shared by the handlers ----

// A node walk (ls -R, deleteall, setAcl -R) refuses subtrees larger than this, rather than
// holding an unbounded list in the shell.
constexpr size_t kSubtreeMaxNodes = 1'000'000;

// The failure reply for a client error about `path`.
Reply error_reply(Connection& c, const Error& e, std::string_view path);
// A usage-error reply: the message and the command's usage line.
Reply usage_reply(const ParsedCommand& cmd, const std::string& message);
// Whole-string integer parse; nullopt for anything else.
std::optional<int64_t> parse_int(std::string_view s);
// "/" + "a" -> "/a", "/a" + "b" -> "/a/b".
std::string child_path(const std::string& parent, const std::string& child);
// `root` and every node under it, breadth first, each level's children sorted (zkCli's
// ZKUtil.listSubTreeBFS order). `watch` set: a child watch on each node.
Result<std::vector<std::string>> list_subtree(Connection& c, const std::string& root,
                                              const client::Watcher& watch);

Reply cmd_ls(Connection& c, const ParsedCommand& cmd);
Reply cmd_create(Connection& c, const ParsedCommand& cmd);
Reply cmd_get(Connection& c, const ParsedCommand& cmd);
Reply cmd_set(Connection& c, const ParsedCommand& cmd);
Reply cmd_stat(Connection& c, const ParsedCommand& cmd);
Reply cmd_delete(Connection& c, const ParsedCommand& cmd);
Reply cmd_deleteall(Connection& c, const ParsedCommand& cmd);
Reply cmd_sync(Connection& c, const ParsedCommand& cmd);
Reply cmd_get_ephemerals(Connection& c, const ParsedCommand& cmd);
Reply cmd_get_all_children_number(Connection& c, const ParsedCommand& cmd);
Reply cmd_get_acl(Connection& c, const ParsedCommand& cmd);
Reply cmd_set_acl(Connection& c, const ParsedCommand& cmd);
Reply cmd_addauth(Connection& c, const ParsedCommand& cmd);
Reply cmd_whoami(Connection& c, const ParsedCommand& cmd);
Reply cmd_add_watch(Connection& c, const ParsedCommand& cmd);
Reply cmd_remove_watches(Connection& c, const ParsedCommand& cmd);

}  // namespace conclave::shell
