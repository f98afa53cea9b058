// Client-side path rules: the checks ZooKeeper's client makes before sending (PathUtils),
// and the chroot, prepended to every path going out and stripped from every path coming
// back (created paths, event paths, ephemerals).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace conclave::client {

// kBadArguments unless `path` is absolute, has no empty, "." or ".." component, no control
// character, and no trailing '/' (allowed for a sequential create, where the server appends
// the suffix).
Status validate_path(std::string_view path, bool sequential);

class Chroot {
 public:
  Chroot() = default;
  explicit Chroot(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  // "/a" under chroot "/app" -> "/app/a"; "/" -> "/app".
  std::string prepend(std::string_view client_path) const;
  // The inverse. A path outside the chroot is returned unchanged (ZooKeeper's client does
  // the same, after a warning), which can only happen if the server misbehaves.
  std::string strip(std::string_view server_path) const;

 private:
  std::string root_;  // "" for none
};

}  // namespace conclave::client
