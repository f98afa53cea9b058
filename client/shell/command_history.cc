#include "client/shell/command_history.h"

namespace conclave::shell {

int CommandHistory::add(std::string line) {
  const int n = next_++;
  lines_[n] = std::move(line);
  while (lines_.size() > kMaxEntries)
    lines_.erase(lines_.begin());
  return n;
}

void CommandHistory::replace(int n, std::string line) {
  auto it = lines_.find(n);
  if (it != lines_.end()) it->second = std::move(line);
}

std::optional<std::string> CommandHistory::get(int n) const {
  auto it = lines_.find(n);
  if (it == lines_.end()) return std::nullopt;
  return it->second;
}

std::map<int, std::string> CommandHistory::recent() const {
  std::map<int, std::string> out;
  // The newest line is the `history` command itself, numbered next_ - 1.
  for (auto it = lines_.lower_bound(next_ - 1 - kShown); it != lines_.end(); ++it) {
    out.insert(*it);
  }
  return out;
}

std::string CommandHistory::format_recent() const {
  std::string out;
  for (const auto& [n, line] : recent())
    out += std::to_string(n) + " - " + line + "\n";
  return out;
}

}  // namespace conclave::shell
