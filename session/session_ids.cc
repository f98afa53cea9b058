#include "session/session_ids.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace conclave::session {

namespace {
constexpr int64_t kReservedContainerId = static_cast<int64_t>(0x8000000000000000ULL);
}

SessionIdGenerator::SessionIdGenerator(int64_t server_id, int64_t now_wall_ms) {
  uint64_t base = (static_cast<uint64_t>(now_wall_ms) << 24) >> 8;
  next_ = static_cast<int64_t>(base | (static_cast<uint64_t>(server_id) << 56));
  if (next_ == kReservedContainerId) ++next_;
}

SessionId SessionIdGenerator::next() {
  SessionId id = next_++;
  if (next_ == kReservedContainerId) ++next_;
  return id;
}

std::string session_password(SessionId id, std::string_view secret) {
  unsigned char msg[8];
  for (int i = 0; i < 8; ++i)
    msg[i] = static_cast<unsigned char>(static_cast<uint64_t>(id) >> (56 - 8 * i));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac,
       &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), kPasswordBytes);
}

bool check_session_password(SessionId id, std::string_view secret, std::string_view passwd) {
  if (passwd.size() != kPasswordBytes) return false;
  std::string expected = session_password(id, secret);
  return CRYPTO_memcmp(expected.data(), passwd.data(), kPasswordBytes) == 0;
}

}  // namespace conclave::session
