// The shell's commands as data: name, usage line, flags and argument counts, and the parser
// that turns a line's words into a ParsedCommand (flags anywhere, as commons-cli allows in
// zkCli.sh; "-sw" bundles flags; a word like "-1" is an argument, not a flag).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace conclave::shell {

struct CommandSpec {
  std::string_view name;
  std::string_view usage;        // zkCli's usage line, printed on a usage error and by help
  std::string_view flags;        // single-letter flags without a value
  std::string_view value_flags;  // single-letter flags that take the next word as value
  size_t min_args = 0;
  size_t max_args = 0;
  bool needs_connection = true;
};

// Every command, in help order.
std::span<const CommandSpec> command_specs();
const CommandSpec* find_command(std::string_view name);

struct ParsedCommand {
  const CommandSpec* spec = nullptr;
  std::map<char, std::string> flags;  // value "" for flags without one
  std::vector<std::string> args;

  bool has(char flag) const { return flags.contains(flag); }
  std::optional<std::string> value(char flag) const;
};

// A usage problem, said the way zkCli says it, plus the command's usage line (empty for an
// unknown command).
struct UsageError {
  std::string message;
  std::string usage;
};

// Parses words[0] as the command name and the rest as its flags and arguments.
// Never called with no words.
std::variant<ParsedCommand, UsageError> parse_command(const std::vector<std::string>& words);

// The "help" text: one usage line per command.
std::string help_text();

}  // namespace conclave::shell
