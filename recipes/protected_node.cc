#include "recipes/protected_node.h"

#include <algorithm>
#include <cstdio>
#include <random>

namespace conclave::recipes {
namespace {

constexpr std::string_view kProtectedPrefix = "_c_";
constexpr size_t kSequenceDigits = 10;  // ZooKeeper appends %010d

// Looks for the node a lost create of ours may have made. nullopt when there is none.
Result<std::optional<OwnNode>> find_own(Connection& conn, const std::string& dir,
                                        std::string_view guid, std::string_view name) {
  auto kids = conn.sync().get_children(dir);
  if (!kids.ok()) {
    if (kids.code() == ErrorCode::kNoNode) return std::optional<OwnNode>();
    return kids.error();
  }
  const auto sorted = sort_contenders(kids->children, name);
  const auto mine = adopt_own(conn, dir, sorted, guid);
  if (!mine) return std::optional<OwnNode>();
  OwnNode node{child_path(dir, sorted[*mine].name), sorted[*mine].sequence, 0};
  auto st = conn.sync().exists(node.path);
  if (!st.ok()) return st.error();
  if (!st->has_value()) return std::optional<OwnNode>();  // deleted since: not ours any more
  node.czxid = (*st)->czxid;
  return std::optional<OwnNode>(node);
}

}  // namespace

std::string new_guid() {
  // One generator per thread, seeded from the OS: GUIDs must differ across processes too.
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   (static_cast<uint64_t>(std::random_device{}()) << 32)};
  const uint64_t hi = (rng() & ~0xF000ULL) | 0x4000ULL;                  // version 4
  const uint64_t lo = (rng() & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string protected_name(std::string_view guid, std::string_view name) {
  std::string out(kProtectedPrefix);
  out += guid;
  out += '-';
  out += name;
  return out;
}

std::optional<int64_t> sequence_of(std::string_view child, std::string_view name) {
  if (child.size() < name.size() + kSequenceDigits) return std::nullopt;
  const std::string_view digits = child.substr(child.size() - kSequenceDigits);
  const std::string_view before = child.substr(0, child.size() - kSequenceDigits);
  if (before.size() < name.size() || before.substr(before.size() - name.size()) != name) {
    return std::nullopt;
  }
  int64_t seq = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + (c - '0');
  }
  return seq;
}

std::vector<Contender> sort_contenders(const std::vector<std::string>& children,
                                       std::string_view name) {
  return sort_queue(children, {std::string(name)});
}

std::vector<Contender> sort_queue(const std::vector<std::string>& children,
                                  const std::vector<std::string>& names) {
  std::vector<Contender> out;
  for (const std::string& c : children) {
    for (const std::string& name : names) {
      if (auto seq = sequence_of(c, name)) {
        out.push_back({c, *seq});
        break;
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Contender& a, const Contender& b) {
    return a.sequence != b.sequence ? a.sequence < b.sequence : a.name < b.name;
  });
  return out;
}

bool owned_by(std::string_view child, std::string_view guid) {
  return child.size() > kProtectedPrefix.size() + guid.size() &&
         child.substr(0, kProtectedPrefix.size()) == kProtectedPrefix &&
         child.substr(kProtectedPrefix.size(), guid.size()) == guid &&
         child[kProtectedPrefix.size() + guid.size()] == '-';
}

std::optional<size_t> adopt_own(Connection& conn, const std::string& dir,
                                const std::vector<Contender>& sorted, std::string_view guid) {
  std::optional<size_t> mine;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!owned_by(sorted[i].name, guid)) continue;
    if (!mine) {
      mine = i;
    } else {
      conn.delete_in_background(child_path(dir, sorted[i].name));
    }
  }
  return mine;
}

std::string child_path(const std::string& dir, std::string_view child) {
  std::string out = dir == "/" ? "" : dir;
  out += '/';
  out += child;
  return out;
}

Status ensure_containers(client::SyncClient& sync, const std::string& path) {
  if (path.empty() || path == "/") return Status::success();
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    for (int attempt = 0;; ++attempt) {
      auto r = sync.create(prefix, {}, {.mode = client::CreateMode::kContainer});
      if (r.ok() || r.code() == ErrorCode::kNodeExists) break;
      // A lost reply: the next attempt answers NodeExists if the first took effect.
      if (is_retryable(r.code()) && attempt + 1 < kCreateAttemptsMax) continue;
      return r.error();
    }
  }
  return Status::success();
}

Result<OwnNode> create_protected(Connection& conn, const std::string& dir, std::string_view guid,
                                 std::string_view name, const std::string& data) {
  const std::string path = child_path(dir, protected_name(guid, name));
  Error last(ErrorCode::kSystemError, "no attempt made");
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    auto r = conn.sync().create(path, data, {.mode = client::CreateMode::kEphemeralSequential});
    if (r.ok()) {
      auto seq = sequence_of(r->path.substr(r->path.rfind('/') + 1), name);
      if (!seq) return Error(ErrorCode::kSystemError, "created " + r->path + ": no sequence");
      return OwnNode{r->path, *seq, r->stat.czxid};
    }
    last = r.error();
    if (r.code() == ErrorCode::kNoNode) {
      // The directory is missing (never made, or removed as an empty container).
      if (Status st = ensure_containers(conn.sync(), dir); !st.ok()) return st.error();
      continue;
    }
    if (!is_retryable(r.code())) return r.error();
    auto found = find_own(conn, dir, guid, name);
    if (!found.ok()) {
      if (is_retryable(found.code())) continue;
      return found.error();
    }
    if (found->has_value()) return **found;
  }
  return Error(last.code, "creating a node under " + dir + " failed " +
                              std::to_string(kCreateAttemptsMax) + " times: " + last.detail);
}

}  // namespace conclave::recipes
