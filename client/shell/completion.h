// Tab completion, as a pure function of the text before the cursor: the first word completes
// to a command name, a word starting with '/' to a znode path (the caller supplies a way to
// list a node's children, which the shell answers by asking the server).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace conclave::shell {

using ListChildren = std::function<std::vector<std::string>(const std::string& path)>;

struct Completion {
  size_t word_start = 0;                // where the completed word begins in the input
  std::vector<std::string> candidates;  // whole words, sorted
  std::string insert;                   // text to add at the cursor (may be empty)
  // Set when the word is complete and unique: a command gets a trailing space; a path does not,
  // so the user can go on with "/" into its children.
  bool unique = false;
};

Completion complete(std::string_view before_cursor, const ListChildren& list_children);

// The longest common prefix of `words` (empty for none).
std::string common_prefix(const std::vector<std::string>& words);

}  // namespace conclave::shell
