// Non-interactive runs: one command from the command line, or commands read line by line from
// a descriptor (standard input that is not a terminal). Watch events and session changes are
// printed as they arrive, between commands, in the order they happened.
#pragma once

#include <string>
#include <vector>

#include "client/shell/notice_queue.h"
#include "client/shell/printer.h"
#include "client/shell/shell.h"

namespace conclave::shell {

// The longest line accepted from a script; a longer one fails (jute.maxbuffer, the largest
// request a server takes, is about this size too).
constexpr size_t kMaxScriptLineBytes = 1 << 20;

// Runs `words` as one command and returns the exit status.
int run_one_command(Shell& shell, NoticeQueue& notices, Printer& printer,
                    const std::vector<std::string>& words);

// Runs every line of `fd` until end of input or quit; returns the exit status. Blank lines
// and lines starting with '#' are skipped.
int run_script(Shell& shell, NoticeQueue& notices, Printer& printer, int fd);

// Prints what is queued.
void print_notices(NoticeQueue& notices, Printer& printer);

// The name a reply is reported under in JSON: the command word of `line`.
std::string command_word(const std::string& line);

}  // namespace conclave::shell
