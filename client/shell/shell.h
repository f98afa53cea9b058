// The shell's state machine, independent of how lines arrive (REPL, stdin script, one command
// on the command line): the session, the numbered history, and the dispatch of a line to its
// command. Every result comes back as a Reply; printing is the caller's business.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/shell/command_history.h"
#include "client/shell/command_spec.h"
#include "client/shell/connection.h"
#include "client/shell/reply.h"

namespace conclave::shell {

struct ShellOptions {
  ConnectionOptions connection;
  // `connect` (and start-up) waits this long for the session before reporting that it is
  // still trying.
  int64_t connect_wait_ms = 10'000;
  // A command issued while the connection is down waits this long for it to come back
  // before failing with "Connection lost".
  int64_t reconnect_wait_ms = 2'000;
  // Completion lists children with this deadline, so a slow server cannot freeze typing.
  int64_t completion_deadline_ms = 1'500;
};

class Shell {
 public:
  Shell(ShellOptions options, Connection::NoticeSink sink);

  // Connects to `connect_string` (closing any current session), as the connect command.
  Reply connect(const std::string& connect_string);
  // A line as typed; blank lines do nothing (and get no number).
  Reply run_line(std::string_view line);
  // A line already split into words (the command line's CMD ARGS...).
  Reply run_words(const std::vector<std::string>& words);

  // "[zk: 127.0.0.1:2181(CONNECTED) 3] ", zkCli's prompt.
  std::string prompt() const;
  // Names of the children of `path`, sorted; empty if not connected or on any error.
  std::vector<std::string> list_children(const std::string& path);

 private:
  Reply dispatch(const std::vector<std::string>& words, int number);
  Reply run_local(const ParsedCommand& cmd, int number);
  Reply redo(const ParsedCommand& cmd, int number);
  // Null with the reply to give when the session cannot serve a command.
  Connection* usable_connection(Reply& why_not);

  ShellOptions options_;
  Connection::NoticeSink sink_;
  std::unique_ptr<Connection> connection_;
  std::string last_hosts_;
  CommandHistory history_;
  bool print_watches_ = true;
};

// Words joined back into a line that tokenize() splits into the same words.
std::string join_words(const std::vector<std::string>& words);

}  // namespace conclave::shell
