// The interactive shell on a terminal, built on libedit (BSD): line editing, history kept
// across runs in ~/.conclave_cli_history, tab completion of commands and znode paths, and
// watch events printed above the prompt while a line is being typed, which is then redrawn
// intact. libedit runs unbuffered (one key at a time) so the main thread can poll the
// terminal and the notice queue together.
#pragma once

#include <string>

#include "client/shell/notice_queue.h"
#include "client/shell/printer.h"
#include "client/shell/shell.h"

namespace conclave::shell {

// Lines kept in the history file.
constexpr int kHistoryFileMaxEntries = 1'000;

// The history file: $CONCLAVE_CLI_HISTORY, else ~/.conclave_cli_history ("" if no home).
std::string history_file_path();

// Runs until quit or end of input (Ctrl-D); returns the exit status of the commands run.
int run_repl(Shell& shell, NoticeQueue& notices, Printer& printer);

}  // namespace conclave::shell
