#include "client/paths.h"

namespace conclave::client {

Status validate_path(std::string_view path, bool sequential) {
  auto bad = [&](std::string_view why) {
    return Status(Error(ErrorCode::kBadArguments, std::string(why) + ": " + std::string(path)));
  };
  if (path.empty()) return bad("path must not be empty");
  if (path[0] != '/') return bad("path must start with /");
  if (path.size() == 1) return Status::success();
  if (path.back() == '/' && !sequential) return bad("path must not end with /");
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    const bool last = end == path.size();
    if (part.empty() && !(last && sequential)) return bad("empty node name");
    if (part == "." || part == "..") return bad("relative paths are not allowed");
    for (char c : part) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return bad("invalid character in path");
    }
    start = end + 1;
  }
  return Status::success();
}

std::string Chroot::prepend(std::string_view client_path) const {
  if (root_.empty()) return std::string(client_path);
  if (client_path == "/") return root_;
  std::string out = root_;
  out += client_path;
  return out;
}

std::string Chroot::strip(std::string_view server_path) const {
  if (root_.empty()) return std::string(server_path);
  if (server_path == root_) return "/";
  if (server_path.size() > root_.size() && server_path.starts_with(root_) &&
      server_path[root_.size()] == '/') {
    return std::string(server_path.substr(root_.size()));
  }
  return std::string(server_path);
}

}  // namespace conclave::client
