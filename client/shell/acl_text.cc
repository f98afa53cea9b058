#include "client/shell/acl_text.h"

namespace conclave::shell {
namespace {

struct PermLetter {
  char letter;
  int32_t bit;
};

// zkCli's order (ZooDefs.Perms as AclParser prints them).
constexpr PermLetter kPermLetters[] = {
    {'c', wire::perms::kCreate}, {'d', wire::perms::kDelete}, {'r', wire::perms::kRead},
    {'w', wire::perms::kWrite},  {'a', wire::perms::kAdmin},
};

}  // namespace

Result<int32_t> parse_perms(std::string_view letters) {
  int32_t perms = 0;
  for (char c : letters) {
    bool known = false;
    for (const auto& p : kPermLetters) {
      if (p.letter == c) {
        perms |= p.bit;
        known = true;
      }
    }
    if (!known) {
      return Error(ErrorCode::kBadArguments, std::string("Unknown permission '") + c + "' in '" +
                                                 std::string(letters) + "' (use c, d, r, w and a)");
    }
  }
  return perms;
}

Result<wire::AclList> parse_acl(std::string_view text) {
  wire::AclList acl;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string_view::npos ? text.size() : comma;
    const std::string_view entry = text.substr(start, end - start);
    const size_t first = entry.find(':');
    const size_t last = entry.rfind(':');
    if (first == std::string_view::npos || first == last) {
      return Error(ErrorCode::kBadArguments,
                   "ACL '" + std::string(entry) + "' does not have the form scheme:id:perms");
    }
    auto perms = parse_perms(entry.substr(last + 1));
    if (!perms.ok()) return perms.error();
    acl.push_back(
        wire::Acl{.perms = *perms,
                  .id = wire::Id{.scheme = std::string(entry.substr(0, first)),
                                 .id = std::string(entry.substr(first + 1, last - first - 1))}});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return acl;
}

std::string format_perms(int32_t perms) {
  std::string out;
  for (const auto& p : kPermLetters) {
    if (perms & p.bit) out += p.letter;
  }
  return out;
}

std::string format_acl(const wire::AclList& acl) {
  std::string out;
  for (const auto& a : acl) {
    out += "'" + a.id.scheme + ",'" + a.id.id + "\n: " + format_perms(a.perms) + "\n";
  }
  return out;
}

}  // namespace conclave::shell
