#include "client/shell/completion.h"

#include <algorithm>

#include "client/shell/command_spec.h"

namespace conclave::shell {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string common_prefix(const std::vector<std::string>& words) {
  if (words.empty()) return "";
  std::string prefix = words[0];
  for (const auto& w : words) {
    size_t n = 0;
    while (n < prefix.size() && n < w.size() && prefix[n] == w[n])
      ++n;
    prefix.resize(n);
  }
  return prefix;
}

Completion complete(std::string_view before_cursor, const ListChildren& list_children) {
  Completion out;
  const size_t space = before_cursor.find_last_of(" \t");
  out.word_start = space == std::string_view::npos ? 0 : space + 1;
  const std::string_view word = before_cursor.substr(out.word_start);
  const bool first_word =
      before_cursor.substr(0, out.word_start).find_first_not_of(" \t") == std::string_view::npos;

  if (first_word) {
    for (const auto& spec : command_specs()) {
      if (starts_with(spec.name, word)) out.candidates.emplace_back(spec.name);
    }
  } else if (starts_with(word, "/")) {
    const size_t slash = word.rfind('/');
    const std::string parent = slash == 0 ? "/" : std::string(word.substr(0, slash));
    const std::string_view name_prefix = word.substr(slash + 1);
    const std::string base = std::string(word.substr(0, slash + 1));
    for (const auto& child : list_children(parent)) {
      if (starts_with(child, name_prefix)) out.candidates.push_back(base + child);
    }
  }
  std::sort(out.candidates.begin(), out.candidates.end());
  const std::string prefix = common_prefix(out.candidates);
  if (prefix.size() > word.size()) out.insert = prefix.substr(word.size());
  out.unique = out.candidates.size() == 1;
  if (out.unique && first_word) out.insert += ' ';
  return out;
}

}  // namespace conclave::shell
