// addWatch and removewatches.
#include "client/shell/handlers.h"

namespace conclave::shell {

Reply cmd_add_watch(Connection& c, const ParsedCommand& cmd) {
  // zkCli's default is the recursive mode.
  client::AddWatchMode mode = client::AddWatchMode::kPersistentRecursive;
  if (auto m = cmd.value('m')) {
    if (*m == "PERSISTENT") {
      mode = client::AddWatchMode::kPersistent;
    } else if (*m != "PERSISTENT_RECURSIVE") {
      return usage_reply(cmd, "Unknown watch mode: " + *m);
    }
  }
  const std::string& path = cmd.args[0];
  Status st = c.sync().add_watch(path, mode, c.watcher());
  if (!st.ok()) return error_reply(c, st.error(), path);
  return Reply();
}

Reply cmd_remove_watches(Connection& c, const ParsedCommand& cmd) {
  const int kinds = cmd.has('c') + cmd.has('d') + cmd.has('a');
  if (kinds > 1) return usage_reply(cmd, "Give at most one of -c, -d and -a");
  client::WatcherType type = client::WatcherType::kAny;
  if (cmd.has('c')) type = client::WatcherType::kChildren;
  if (cmd.has('d')) type = client::WatcherType::kData;
  // -l (remove locally when the server cannot be reached) is accepted for zkCli scripts; the
  // client library always asks the server, so without a connection this fails as any call.
  const std::string& path = cmd.args[0];
  Status st = c.sync().remove_watches(path, type);
  if (!st.ok()) return error_reply(c, st.error(), path);
  return Reply();
}

}  // namespace conclave::shell
