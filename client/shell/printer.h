// Prints replies and notices in the chosen output mode: zkCli's text (results on stdout,
// errors on stderr) or one JSON object a line on stdout. Also totals the exit status.
#pragma once

#include <string>
#include <string_view>

#include "client/shell/notice_queue.h"
#include "client/shell/reply.h"

namespace conclave::shell {

enum class OutputMode { kText, kJson };

// {"command":"ls","ok":true,...the reply's members}.
std::string reply_json(std::string_view command, const Reply& reply);

class Printer {
 public:
  explicit Printer(OutputMode mode) : mode_(mode) {}

  OutputMode mode() const { return mode_; }
  void reply(std::string_view command, const Reply& r);
  void notice(const Notice& n);
  // Text of a notice as printed (the REPL prints it above the prompt itself).
  std::string notice_text(const Notice& n) const;

 private:
  OutputMode mode_;
};

// 0 when every command succeeded, 2 if any was a usage error, else 1 if any failed.
class ExitStatus {
 public:
  void add(Outcome o) {
    if (o == Outcome::kFailed) failed_ = true;
    if (o == Outcome::kUsage) usage_ = true;
  }
  int code() const { return usage_ ? 2 : failed_ ? 1 : 0; }

 private:
  bool failed_ = false;
  bool usage_ = false;
};

}  // namespace conclave::shell
