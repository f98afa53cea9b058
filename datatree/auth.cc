#include "datatree/auth.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace conclave::datatree {
namespace {

constexpr size_t kIpv4Bytes = 4;
constexpr size_t kIpv6Bytes = 16;
// Java's Integer.parseInt range, which ZooKeeper uses for octets and prefix lengths.
constexpr int64_t kJavaIntMax = 2147483647;

// Integer.parseInt: an optional sign then decimal digits, within int32.
std::optional<int64_t> java_parse_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > kJavaIntMax + 1) return std::nullopt;
  }
  if (!negative && v > kJavaIntMax) return std::nullopt;
  return negative ? -v : v;
}

struct Address {
  std::array<uint8_t, kIpv6Bytes> bytes{};
  size_t size = 0;
};

// IPv4 as ZooKeeper parses it (four parseInt octets 0..255), else IPv6 via inet_pton.
std::optional<Address> parse_address(std::string_view s) {
  Address a;
  size_t parts = 0;
  size_t start = 0;
  bool v4 = true;
  while (v4) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    auto v = java_parse_int(part);
    if (!v || *v < 0 || *v > 255 || parts == kIpv4Bytes) {
      v4 = false;
      break;
    }
    a.bytes[parts++] = static_cast<uint8_t>(*v);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (v4 && parts == kIpv4Bytes) {
    a.size = kIpv4Bytes;
    return a;
  }
  if (s.find(':') == std::string_view::npos || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  a.size = kIpv6Bytes;
  return a;
}

struct IpExpr {
  Address addr;
  size_t bits = 0;
};

std::optional<IpExpr> parse_ip_expr(std::string_view expr) {
  size_t slash = expr.find('/');
  auto addr = parse_address(expr.substr(0, slash));
  if (!addr) return std::nullopt;
  IpExpr e{*addr, addr->size * 8};
  if (slash != std::string_view::npos) {
    auto bits = java_parse_int(expr.substr(slash + 1));
    if (!bits || *bits < 0 || *bits > static_cast<int64_t>(addr->size * 8)) return std::nullopt;
    e.bits = static_cast<size_t>(*bits);
  }
  return e;
}

bool ip_matches(std::string_view caller, std::string_view acl_expr) {
  auto e = parse_ip_expr(acl_expr);
  if (!e) return false;
  auto c = parse_address(caller);
  if (!c || c->size != e->addr.size) return false;
  size_t full = e->bits / 8;
  if (!std::equal(c->bytes.begin(), c->bytes.begin() + full, e->addr.bytes.begin())) return false;
  size_t rest = e->bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (c->bytes[full] & mask) == (e->addr.bytes[full] & mask);
}

// DigestAuthenticationProvider.isValid: id.split(":").length == 2, where Java's split drops
// trailing empty fields ("a:b:" is valid, "a:" is not).
bool digest_id_valid(std::string_view id) {
  while (!id.empty() && id.back() == ':')
    id.remove_suffix(1);
  return std::count(id.begin(), id.end(), ':') == 1;
}

}  // namespace

std::string digest_id(std::string_view user_colon_password) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> sha{};
  SHA1(reinterpret_cast<const unsigned char*>(user_colon_password.data()),
       user_colon_password.size(), sha.data());
  // Base64 of 20 bytes is 28 characters plus the NUL EVP_EncodeBlock writes.
  std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> b64{};
  int n = EVP_EncodeBlock(b64.data(), sha.data(), SHA_DIGEST_LENGTH);
  std::string_view user = user_colon_password.substr(0, user_colon_password.find(':'));
  std::string out(user);
  out += ':';
  out.append(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
  return out;
}

bool id_matches(std::string_view scheme, std::string_view caller_id, std::string_view acl_id) {
  if (scheme == "ip") return ip_matches(caller_id, acl_id);
  return caller_id == acl_id;
}

bool check_acl(std::span<const wire::Acl> acl, int32_t perm, const RequestContext& ctx) {
  if (ctx.is_super || acl.empty()) return true;
  for (const auto& a : acl) {
    if ((a.perms & perm) == 0) continue;
    if (a.id.scheme == "world" && a.id.id == "anyone") return true;
    for (const auto& mine : ctx.auth_ids) {
      if (mine.scheme == a.id.scheme && id_matches(a.id.scheme, mine.id, a.id.id)) return true;
    }
  }
  return false;
}

bool is_valid_acl_id(const wire::Id& id) {
  if (id.scheme == "world") return id.id == "anyone";
  if (id.scheme == "digest") return digest_id_valid(id.id);
  if (id.scheme == "ip") return parse_ip_expr(id.id).has_value();
  return false;
}

bool is_authenticated_scheme(std::string_view scheme) {
  return scheme == "digest" || scheme == "sasl" || scheme == "x509";
}

Result<wire::AclList> fixup_acl(const wire::AclList& acl, const RequestContext& ctx) {
  wire::AclList out;
  out.reserve(acl.size());
  bool any = false;
  for (size_t i = 0; i < acl.size(); ++i) {
    const auto& a = acl[i];
    // Duplicates are dropped first (ZOOKEEPER-1877); only the first occurrence counts.
    if (std::find(acl.begin(), acl.begin() + static_cast<ptrdiff_t>(i), a) !=
        acl.begin() + static_cast<ptrdiff_t>(i)) {
      continue;
    }
    any = true;
    if (a.id.scheme == "auth") {
      bool expanded = false;
      for (const auto& mine : ctx.auth_ids) {
        if (!is_authenticated_scheme(mine.scheme)) continue;
        out.push_back(wire::Acl{a.perms, mine});
        expanded = true;
      }
      if (!expanded) return Error(ErrorCode::kInvalidAcl, "auth scheme without authenticated ids");
      continue;
    }
    if (!is_valid_acl_id(a.id)) {
      return Error(ErrorCode::kInvalidAcl, "invalid ACL id " + a.id.scheme + ":" + a.id.id);
    }
    out.push_back(a);
  }
  if (!any) return Error(ErrorCode::kInvalidAcl, "empty ACL");
  return out;
}

}  // namespace conclave::datatree
