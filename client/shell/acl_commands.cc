// getAcl, setAcl, addauth, whoami.
#include "client/shell/acl_text.h"
#include "client/shell/format.h"
#include "client/shell/handlers.h"

namespace conclave::shell {
namespace {

std::string acl_json(const wire::AclList& acl) {
  std::vector<std::string> items;
  for (const auto& a : acl) {
    items.push_back(JsonObject()
                        .str("scheme", a.id.scheme)
                        .str("id", a.id.id)
                        .str("perms", format_perms(a.perms))
                        .encode());
  }
  return json_array(items);
}

}  // namespace

Reply cmd_get_acl(Connection& c, const ParsedCommand& cmd) {
  const std::string& path = cmd.args[0];
  auto got = c.sync().get_acl(path);
  if (!got.ok()) return error_reply(c, got.error(), path);
  Reply r;
  r.out = format_acl(got->acl);
  r.json.raw("acl", acl_json(got->acl));
  if (cmd.has('s')) r.out += format_stat(got->stat);
  r.json.raw("stat", stat_json(got->stat));
  return r;
}

Reply cmd_set_acl(Connection& c, const ParsedCommand& cmd) {
  int32_t version = -1;
  if (auto v = cmd.value('v')) {
    const auto n = parse_int(*v);
    if (!n || *n < INT32_MIN || *n > INT32_MAX) {
      return usage_reply(cmd, "-v argument must be a version number: " + *v);
    }
    version = static_cast<int32_t>(*n);
  }
  auto acl = parse_acl(cmd.args[1]);
  if (!acl.ok()) return usage_reply(cmd, acl.error().detail);
  const std::string& path = cmd.args[0];
  std::vector<std::string> nodes{path};
  if (cmd.has('R')) {
    auto all = list_subtree(c, path, client::Watcher());
    if (!all.ok()) return error_reply(c, all.error(), all.error().detail);
    nodes = std::move(*all);
  }
  Reply r;
  for (size_t i = 0; i < nodes.size(); ++i) {
    // As zkCli's setAcl -R, every node gets the same version check.
    auto stat = c.sync().set_acl(nodes[i], *acl, version);
    if (!stat.ok()) return error_reply(c, stat.error(), nodes[i]);
    if (i == 0) {
      if (cmd.has('s')) r.out += format_stat(*stat);
      r.json.raw("stat", stat_json(*stat));
    }
  }
  return r;
}

Reply cmd_addauth(Connection& c, const ParsedCommand& cmd) {
  Status st = c.sync().add_auth(cmd.args[0], cmd.args[1]);
  if (!st.ok()) return error_reply(c, st.error(), cmd.args[0]);
  return Reply();
}

Reply cmd_whoami(Connection& c, const ParsedCommand&) {
  auto who = c.sync().who_am_i();
  if (!who.ok()) return error_reply(c, who.error(), "");
  Reply r;
  r.out = "Auth scheme: User\n";
  std::vector<std::string> items;
  for (const auto& info : *who) {
    r.out += info.auth_scheme + ": " + info.user + "\n";
    items.push_back(JsonObject().str("scheme", info.auth_scheme).str("user", info.user).encode());
  }
  r.json.raw("auth", json_array(items));
  return r;
}

}  // namespace conclave::shell
