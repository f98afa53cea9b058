#include "datatree/path.h"

#include <cstdint>
#include <string>

namespace conclave::datatree {
namespace {

Status invalid(std::string_view path, std::string_view reason, size_t at) {
  return Error(ErrorCode::kBadArguments, "Invalid path string \"" + std::string(path) +
                                             "\" caused by " + std::string(reason) + " @" +
                                             std::to_string(at));
}

// Decodes one UTF-8 sequence at `i`; returns the code point and advances `i`, or returns -1
// for malformed input (which Java would decode as U+FFFD, a character ZooKeeper rejects).
int32_t next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t len = 0;
  int32_t cp = 0;
  int32_t min_cp = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1f, min_cp = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0f, min_cp = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07, min_cp = 0x10000;
  } else {
    return -1;
  }
  if (i + len > s.size()) return -1;
  for (size_t k = 1; k < len; ++k) {
    uint8_t b = byte(i + k);
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min_cp || cp > 0x10ffff) return -1;
  i += len;
  return cp;
}

bool disallowed(int32_t cp) {
  if (cp < 0) return true;
  if (cp > 0 && cp <= 0x1f) return true;
  if (cp >= 0x7f && cp <= 0x9f) return true;
  if (cp >= 0xd800 && cp <= 0xf8ff) return true;
  if (cp >= 0xfff0 && cp <= 0xffff) return true;
  // Java strings hold code points above U+FFFF as surrogate pairs, which the range above
  // rejects.
  return cp > 0xffff;
}

}  // namespace

Status validate_path(std::string_view path, bool sequential) {
  if (path.empty()) return Error(ErrorCode::kBadArguments, "Path length must be > 0");
  if (path[0] != '/') return Error(ErrorCode::kBadArguments, "Path must start with / character");
  if (path.size() == 1) return Status::success();
  // A sequential create appends digits, so a trailing '/' is fine there.
  if (path.back() == '/' && !sequential) {
    return Error(ErrorCode::kBadArguments, "Path must not end with / character");
  }
  size_t i = 1;
  while (i < path.size()) {
    size_t at = i;
    char c = path[i];
    if (c == '\0') return invalid(path, "null character not allowed", at);
    if (c == '/') {
      if (path[i - 1] == '/') return invalid(path, "empty node name specified", at);
      ++i;
      continue;
    }
    if (c == '.' && path[i - 1] == '/') {
      // A component of "." or ".." (the end of the string counts as a separator, unless a
      // sequence number will be appended).
      size_t end = path.find('/', i);
      if (end == std::string_view::npos) end = path.size();
      std::string_view comp = path.substr(i, end - i);
      bool at_end = end == path.size();
      if ((comp == "." || comp == "..") && !(at_end && sequential)) {
        return invalid(path, "relative paths not allowed", at + comp.size() - 1);
      }
    }
    if (disallowed(next_code_point(path, i))) return invalid(path, "invalid character", at);
  }
  return Status::success();
}

std::string_view parent_of(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || path.size() <= 1) return {};
  if (slash == 0) return path.substr(0, 1);
  return path.substr(0, slash);
}

std::string_view basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return path;
  return path.substr(slash + 1);
}

}  // namespace conclave::datatree
