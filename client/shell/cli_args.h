// The conclave-cli command line: zkCli.sh's options (-server, -timeout, -r) plus
// --output json, then an optional command with its arguments.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "client/shell/printer.h"

namespace conclave::shell {

struct CliArgs {
  std::string server = "localhost:2181";  // zkCli's default
  int32_t session_timeout_ms = 30'000;    // zkCli's default
  bool read_only = false;
  bool help = false;
  OutputMode output = OutputMode::kText;
  std::vector<std::string> command;  // empty: interactive, or commands from stdin
};

struct CliUsageError {
  std::string message;
};

// `args` excludes the program name.
std::variant<CliArgs, CliUsageError> parse_cli_args(const std::vector<std::string>& args);

std::string cli_usage();

}  // namespace conclave::shell
