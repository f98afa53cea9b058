#include "client/shell/tokenizer.h"

namespace conclave::shell {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

Result<std::vector<std::string>> tokenize(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    if (is_space(line[i])) {
      ++i;
      continue;
    }
    const char c = line[i];
    if (c == '"' || c == '\'') {
      const size_t close = line.find(c, i + 1);
      if (close == std::string_view::npos) {
        return Error(ErrorCode::kBadArguments,
                     std::string("Unterminated quote: ") + std::string(line.substr(i)));
      }
      words.emplace_back(line.substr(i + 1, close - i - 1));
      i = close + 1;
      continue;
    }
    const size_t start = i;
    while (i < line.size() && !is_space(line[i]))
      ++i;
    words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

}  // namespace conclave::shell
