// Znode paths: validation with ZooKeeper's PathUtils.validatePath rules, and splitting.
#pragma once

#include <string_view>

#include "common/result.h"

namespace conclave::datatree {

// Checks `path` as ZooKeeper does: it starts with '/', has no trailing '/' (except the root),
// no empty component, no "." or ".." component, no NUL, no control characters
// (U+0001-U+001F, U+007F-U+009F) and nothing Java would see as U+D800-U+F8FF or U+FFF0-U+FFFF
// (so no surrogates: code points above U+FFFF are rejected, as is malformed UTF-8).
// With `sequential`, the check is done as if a digit were appended (a create of "/a/" is fine
// when the server appends the sequence number). Failure: kBadArguments with a reason.
Status validate_path(std::string_view path, bool sequential = false);

// "/a/b" -> "/a", "/a" -> "/", "/" -> "". The path must contain a '/'.
std::string_view parent_of(std::string_view path);

// "/a/b" -> "b", "/" -> "".
std::string_view basename_of(std::string_view path);

}  // namespace conclave::datatree
