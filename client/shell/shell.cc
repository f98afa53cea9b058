#include "client/shell/shell.h"

#include <algorithm>
#include <variant>

#include "client/shell/format.h"
#include "client/shell/handlers.h"
#include "client/shell/tokenizer.h"

#ifndef CONCLAVE_VERSION
#define CONCLAVE_VERSION "unknown"
#endif

namespace conclave::shell {
namespace {

Reply usage_error_reply(const UsageError& u) {
  Reply r;
  r.outcome = Outcome::kUsage;
  if (!u.message.empty()) r.err += u.message + "\n";
  if (!u.usage.empty()) r.err += u.usage + "\n";
  // An unknown command gets the list of the known ones, as in zkCli.
  if (u.usage.empty()) r.err += help_text();
  r.json.str("error", "usage").str("message", u.message.empty() ? u.usage : u.message);
  if (!u.usage.empty()) r.json.str("usage", u.usage);
  return r;
}

}  // namespace

std::string join_words(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) {
    if (!line.empty()) line += ' ';
    const bool plain = !w.empty() && w.find_first_of(" \t\r\n\f\v") == std::string::npos &&
                       w[0] != '"' && w[0] != '\'';
    if (plain) {
      line += w;
    } else {
      const char q = w.find('"') == std::string::npos ? '"' : '\'';
      line += q + w + q;
    }
  }
  return line;
}

Shell::Shell(ShellOptions options, Connection::NoticeSink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {}

Reply Shell::connect(const std::string& connect_string) {
  connection_.reset();
  last_hosts_ = connect_string.substr(0, connect_string.find('/'));
  auto opened = Connection::open(connect_string, options_.connection, sink_);
  if (!opened.ok()) {
    Reply r;
    r.outcome = Outcome::kUsage;
    const std::string msg = "Bad connect string '" + connect_string +
                            "': " + opened.error().to_string() +
                            " (expected host:port[,host:port...][/chroot])";
    r.err = msg + "\n";
    r.json.str("error", "usage").str("message", msg);
    return r;
  }
  connection_ = std::move(*opened);
  connection_->set_print_watches(print_watches_);
  if (!connection_->wait_connected(std::chrono::milliseconds(options_.connect_wait_ms))) {
    return Reply::failed(
        "Could not connect to " + connection_->hosts() + " — still trying in the background",
        "CONNECTIONLOSS");
  }
  return Reply();
}

Reply Shell::run_line(std::string_view line) {
  auto words = tokenize(line);
  if (!words.ok()) {
    Reply r;
    r.outcome = Outcome::kUsage;
    r.err = words.error().detail + "\n";
    r.json.str("error", "usage").str("message", words.error().detail);
    return r;
  }
  if (words->empty()) return Reply();
  const int number = history_.add(std::string(line));
  return dispatch(*words, number);
}

Reply Shell::run_words(const std::vector<std::string>& words) {
  if (words.empty()) return Reply();
  const int number = history_.add(join_words(words));
  return dispatch(words, number);
}

Reply Shell::dispatch(const std::vector<std::string>& words, int number) {
  auto parsed = parse_command(words);
  if (auto* u = std::get_if<UsageError>(&parsed)) return usage_error_reply(*u);
  const auto& cmd = std::get<ParsedCommand>(parsed);
  Handler handler = find_handler(cmd.spec->name);
  if (handler == nullptr) return run_local(cmd, number);
  Reply why_not;
  Connection* c = usable_connection(why_not);
  if (c == nullptr) return why_not;
  return handler(*c, cmd);
}

Connection* Shell::usable_connection(Reply& why_not) {
  if (!connection_) {
    why_not = Reply::failed("Not connected", "NOTCONNECTED");
    return nullptr;
  }
  using client::SessionState;
  const SessionState s = connection_->state();
  if (s == SessionState::kConnecting || s == SessionState::kDisconnected) {
    // Give a blip the chance to heal before failing the command.
    if (!connection_->wait_connected(std::chrono::milliseconds(options_.reconnect_wait_ms))) {
      const SessionState now = connection_->state();
      if (!client::is_terminal(now)) {
        why_not = error_reply(*connection_, Error(ErrorCode::kConnectionLoss), "");
        return nullptr;
      }
    }
  }
  // Expired and auth-failed handles answer every call with their error, which the handler
  // turns into the right sentence.
  return connection_.get();
}

Reply Shell::run_local(const ParsedCommand& cmd, int number) {
  const std::string_view name = cmd.spec->name;
  Reply r;
  if (name == "connect") return connect(cmd.args[0]);
  if (name == "close") {
    connection_.reset();
    return r;
  }
  if (name == "quit") {
    r.quit = true;
    return r;
  }
  if (name == "help") {
    r.out = help_text();
    return r;
  }
  if (name == "version") {
    r.out = std::string("Conclave CLI version: ") + CONCLAVE_VERSION + "\n";
    r.json.str("version", CONCLAVE_VERSION);
    return r;
  }
  if (name == "history") {
    r.out = history_.format_recent();
    std::vector<std::string> items;
    for (const auto& [n, line] : history_.recent()) {
      items.push_back(JsonObject().num("number", n).str("command", line).encode());
    }
    r.json.raw("history", json_array(items));
    return r;
  }
  if (name == "redo") return redo(cmd, number);
  if (name == "printwatches") {
    if (!cmd.args.empty()) {
      if (cmd.args[0] != "on" && cmd.args[0] != "off") return usage_reply(cmd, "");
      print_watches_ = cmd.args[0] == "on";
      if (connection_) connection_->set_print_watches(print_watches_);
    }
    r.out = std::string("printwatches is ") + (print_watches_ ? "on" : "off") + "\n";
    r.json.boolean("printwatches", print_watches_);
    return r;
  }
  return usage_reply(cmd, "Command not implemented");
}

Reply Shell::redo(const ParsedCommand& cmd, int number) {
  const auto n = parse_int(cmd.args[0]);
  const auto line = n && *n < number ? history_.get(static_cast<int>(*n)) : std::nullopt;
  auto words = line ? tokenize(*line) : Result<std::vector<std::string>>(ErrorCode::kBadArguments);
  if (!words.ok() || words->empty()) return usage_reply(cmd, "Command index out of range");
  if ((*words)[0] == "redo") return usage_reply(cmd, "No redoing redos");
  // As zkCli, the redo's own history entry becomes the command it ran.
  history_.replace(number, *line);
  return dispatch(*words, number);
}

std::string Shell::prompt() const {
  const std::string_view state =
      connection_ ? prompt_state_name(connection_->state()) : std::string_view("CLOSED");
  return "[zk: " + last_hosts_ + "(" + std::string(state) + ") " +
         std::to_string(history_.next_number()) + "] ";
}

std::vector<std::string> Shell::list_children(const std::string& path) {
  if (!connection_ || connection_->state() != client::SessionState::kConnected) return {};
  auto children = connection_->sync().get_children(
      path, {}, std::chrono::milliseconds(options_.completion_deadline_ms));
  if (!children.ok()) return {};
  std::sort(children->children.begin(), children->children.end());
  return children->children;
}

}  // namespace conclave::shell
