// conclave-cli: a zkCli.sh-compatible shell for Conclave and any ZooKeeper server.
//
//   conclave-cli -server 127.0.0.1:2181                  interactive (on a terminal)
//   conclave-cli -server 127.0.0.1:2181 ls -s /          one command, then exit
//   conclave-cli -server 127.0.0.1:2181 < script.txt     one command per line
//   conclave-cli --output json ...                       one JSON object per result
//
// Exit status: 0 when every command succeeded, 1 when one failed, 2 for a usage error.
#include <unistd.h>

#include <cstdio>
#include <variant>

#include "client/shell/cli_args.h"
#include "client/shell/repl.h"
#include "client/shell/script.h"
#include "client/shell/shell.h"
#include "common/log.h"

using namespace conclave;
using namespace conclave::shell;

int main(int argc, char** argv) {
  const auto parsed = parse_cli_args(std::vector<std::string>(argv + 1, argv + argc));
  if (const auto* bad = std::get_if<CliUsageError>(&parsed)) {
    std::fprintf(stderr, "%s\n%s", bad->message.c_str(), cli_usage().c_str());
    return 2;
  }
  const CliArgs& args = std::get<CliArgs>(parsed);
  if (args.help) {
    std::fputs(cli_usage().c_str(), stdout);
    return 0;
  }
  // The client library logs reconnects at info level; the shell says it in its own words.
  log::set_level(log::Level::kError);

  ShellOptions options;
  options.connection.session_timeout_ms = args.session_timeout_ms;
  options.connection.read_only = args.read_only;
  NoticeQueue notices;
  Shell shell(options, [&notices](Notice n) { notices.push(std::move(n)); });
  Printer printer(args.output);

  const bool interactive = args.command.empty() && ::isatty(STDIN_FILENO);
  if (interactive && args.output == OutputMode::kText) {
    std::printf("Connecting to %s\n", args.server.c_str());
    std::fflush(stdout);
  }
  // A lone command that needs no server (help, version) runs without connecting.
  const CommandSpec* spec = args.command.empty() ? nullptr : find_command(args.command[0]);
  if (spec == nullptr || spec->needs_connection) {
    Reply connected = shell.connect(args.server);
    if (connected.outcome != Outcome::kOk) {
      print_notices(notices, printer);
      printer.reply("connect", connected);
      // A bad connect string leaves nothing to run; a server still unreachable may come up.
      if (connected.outcome == Outcome::kUsage || !args.command.empty()) {
        return connected.outcome == Outcome::kUsage ? 2 : 1;
      }
    }
  }
  if (!args.command.empty()) return run_one_command(shell, notices, printer, args.command);
  if (interactive) {
    if (args.output == OutputMode::kText) {
      std::printf("Welcome to Conclave! Type 'help' for the commands, 'quit' to leave.\n");
      std::fflush(stdout);
    }
    return run_repl(shell, notices, printer);
  }
  return run_script(shell, notices, printer, STDIN_FILENO);
}
