#include "client/shell/cli_args.h"

#include <charconv>

namespace conclave::shell {
namespace {

// Session timeouts outside this range are refused here rather than clamped by the server,
// so a typo (-timeout 3) says so.
constexpr int64_t kMinSessionTimeoutMs = 100;
constexpr int64_t kMaxSessionTimeoutMs = 24 * 60 * 60 * 1000;

}  // namespace

std::string cli_usage() {
  return "Usage: conclave-cli [-server host:port[,host:port...][/chroot]] [-timeout ms] [-r]\n"
         "                    [--output text|json] [cmd args...]\n"
         "  With a command: runs it and exits. Without one: an interactive shell on a\n"
         "  terminal, else one command per line from standard input.\n"
         "  Exit status: 0 all commands succeeded, 1 one failed, 2 usage error.\n"
         "  Type 'help' for the commands.\n";
}

std::variant<CliArgs, CliUsageError> parse_cli_args(const std::vector<std::string>& args) {
  CliArgs out;
  size_t i = 0;
  auto value = [&](const std::string& flag) -> std::variant<std::string, CliUsageError> {
    if (i + 1 >= args.size()) return CliUsageError{"Missing value for " + flag};
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty() || a[0] != '-') break;  // the command starts here
    if (a == "-server" || a == "--server") {
      auto v = value(a);
      if (auto* e = std::get_if<CliUsageError>(&v)) return *e;
      out.server = std::get<std::string>(v);
    } else if (a == "-timeout" || a == "--timeout") {
      auto v = value(a);
      if (auto* e = std::get_if<CliUsageError>(&v)) return *e;
      const std::string& s = std::get<std::string>(v);
      int64_t ms = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
      if (ec != std::errc() || ptr != s.data() + s.size() || ms < kMinSessionTimeoutMs ||
          ms > kMaxSessionTimeoutMs) {
        return CliUsageError{"-timeout wants milliseconds between " +
                             std::to_string(kMinSessionTimeoutMs) + " and " +
                             std::to_string(kMaxSessionTimeoutMs) + ", not '" + s + "'"};
      }
      out.session_timeout_ms = static_cast<int32_t>(ms);
    } else if (a == "-r" || a == "--read-only") {
      out.read_only = true;
    } else if (a == "-waitforconnection") {
      // zkCli's option; conclave-cli always waits for the connection.
    } else if (a == "--output" || a == "-output" || a.starts_with("--output=")) {
      std::string mode;
      if (a.starts_with("--output=")) {
        mode = a.substr(a.find('=') + 1);
      } else {
        auto v = value(a);
        if (auto* e = std::get_if<CliUsageError>(&v)) return *e;
        mode = std::get<std::string>(v);
      }
      if (mode == "json") {
        out.output = OutputMode::kJson;
      } else if (mode == "text") {
        out.output = OutputMode::kText;
      } else {
        return CliUsageError{"--output wants text or json, not '" + mode + "'"};
      }
    } else if (a == "-h" || a == "--help" || a == "-help") {
      out.help = true;
    } else {
      return CliUsageError{"Unknown option: " + a};
    }
  }
  out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return out;
}

}  // namespace conclave::shell
