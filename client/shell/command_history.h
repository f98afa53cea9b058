// zkCli's numbered history: every non-blank line gets the next number (shown in the prompt);
// `history` lists the last few and `redo N` runs line N again. This is the shell's own list
// for one run; the line editor's history (arrow keys, ~/.conclave_cli_history) is separate.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace conclave::shell {

class CommandHistory {
 public:
  // Lines kept; older numbers are forgotten (redo of one says it is out of range).
  static constexpr size_t kMaxEntries = 1'000;
  // How many lines before the current one `history` shows (zkCli shows the last 10).
  static constexpr int kShown = 10;

  // Records `line` under the current number and returns that number.
  int add(std::string line);
  // Replaces the line of number `n` (redo records what it ran).
  void replace(int n, std::string line);
  std::optional<std::string> get(int n) const;
  // The number the next line will get.
  int next_number() const { return next_; }
  // "N - line" for the last kShown + 1 numbers, as zkCli prints them.
  std::string format_recent() const;
  std::map<int, std::string> recent() const;

 private:
  std::map<int, std::string> lines_;
  int next_ = 0;
};

}  // namespace conclave::shell
