// What one command produced, before it is printed: text for stdout and stderr in zkCli's
// layout, the same result as JSON members, and whether it succeeded.
#pragma once

#include <string>

#include "client/shell/json.h"

namespace conclave::shell {

enum class Outcome {
  kOk,
  kFailed,  // the command ran and failed (no node, no connection, ...): exit status 1
  kUsage,   // the command was malformed (unknown, bad flags, bad ACL text): exit status 2
};

struct Reply {
  Outcome outcome = Outcome::kOk;
  std::string out;  // stdout text, each line ending in '\n'
  std::string err;  // stderr text, each line ending in '\n'
  JsonObject json;  // result members; the printer adds "command" and "ok"
  bool quit = false;

  static Reply failed(std::string message, std::string error_name) {
    Reply r;
    r.outcome = Outcome::kFailed;
    r.err = message + "\n";
    r.json.str("error", error_name).str("message", message);
    return r;
  }
};

}  // namespace conclave::shell
