// Splits a shell line into words the way zkCli.sh does: words are separated by whitespace,
// and a word wholly enclosed in double or single quotes keeps its spaces (no escapes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace conclave::shell {

// kBadArguments ("Unterminated quote ...") when a quoted word has no closing quote.
Result<std::vector<std::string>> tokenize(std::string_view line);

}  // namespace conclave::shell
