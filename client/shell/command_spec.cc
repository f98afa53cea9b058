#include "client/shell/command_spec.h"

#include <variant>

namespace conclave::shell {
namespace {

// Flags and argument counts as zkCli 3.8 checks them; getEphemerals and help also work
// without an argument, as there.
constexpr CommandSpec kCommands[] = {
    {"addWatch",
     "addWatch [-m mode] path # optional mode is one of [PERSISTENT, "
     "PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
     "", "m", 1, 1},
    {"addauth", "addauth scheme auth", "", "", 2, 2},
    {"close", "close", "", "", 0, 0, false},
    {"connect", "connect host:port", "", "", 1, 1, false},
    {"create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]", "sec", "t", 1, 3},
    {"delete", "delete [-v version] path", "", "v", 1, 1},
    {"deleteall", "deleteall path [-b batch size]", "", "b", 1, 1},
    {"get", "get [-s] [-w] path", "sw", "", 1, 1},
    {"getAcl", "getAcl [-s] path", "s", "", 1, 1},
    {"getAllChildrenNumber", "getAllChildrenNumber path", "", "", 1, 1},
    {"getEphemerals", "getEphemerals path", "", "", 0, 1},
    {"help", "help", "", "", 0, 1, false},
    {"history", "history", "", "", 0, 0, false},
    {"ls", "ls [-s] [-w] [-R] path", "swR", "", 1, 1},
    {"printwatches", "printwatches on|off", "", "", 0, 1, false},
    {"quit", "quit", "", "", 0, 0, false},
    {"redo", "redo cmdno", "", "", 1, 1, false},
    {"removewatches", "removewatches path [-c|-d|-a] [-l]", "cdal", "", 1, 1},
    {"set", "set [-s] [-v version] path data", "s", "v", 2, 2},
    {"setAcl", "setAcl [-s] [-v version] [-R] path acl", "sR", "v", 2, 2},
    {"stat", "stat [-w] path", "w", "", 1, 1},
    {"sync", "sync path", "", "", 1, 1},
    {"version", "version", "", "", 0, 0, false},
    {"whoami", "whoami", "", "", 0, 0},
};

bool is_flag_word(std::string_view w) {
  // "-1" and "-" are arguments (negative numbers, data), so are words after "--".
  return w.size() >= 2 && w[0] == '-' && !(w[1] >= '0' && w[1] <= '9');
}

}  // namespace

std::span<const CommandSpec> command_specs() {
  return kCommands;
}

const CommandSpec* find_command(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::optional<std::string> ParsedCommand::value(char flag) const {
  auto it = flags.find(flag);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

std::variant<ParsedCommand, UsageError> parse_command(const std::vector<std::string>& words) {
  const CommandSpec* spec = find_command(words.at(0));
  if (spec == nullptr) return UsageError{"Command not found: " + words[0], ""};
  ParsedCommand cmd{.spec = spec, .flags = {}, .args = {}};
  const std::string usage(spec->usage);
  bool options_done = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (options_done || !is_flag_word(w)) {
      cmd.args.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      continue;
    }
    for (size_t j = 1; j < w.size(); ++j) {
      const char f = w[j];
      if (spec->value_flags.find(f) != std::string_view::npos) {
        // The value is the rest of this word ("-v3") or the next word ("-v 3").
        std::string value = w.substr(j + 1);
        if (value.empty()) {
          if (i + 1 >= words.size()) {
            return UsageError{std::string("Missing argument for option: ") + f, usage};
          }
          value = words[++i];
        }
        cmd.flags[f] = value;
        break;
      }
      if (spec->flags.find(f) == std::string_view::npos) {
        return UsageError{"Unrecognized option: -" + std::string(1, f), usage};
      }
      cmd.flags[f] = "";
    }
  }
  if (cmd.args.size() < spec->min_args || cmd.args.size() > spec->max_args) {
    return UsageError{"", usage};
  }
  return cmd;
}

std::string help_text() {
  std::string out = "conclave-cli -server host:port[,host:port...][/chroot] cmd args\n";
  for (const auto& c : kCommands) {
    out += "\t";
    out += c.usage;
    out += "\n";
  }
  return out;
}

}  // namespace conclave::shell
