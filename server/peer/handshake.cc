#include "server/peer/handshake.h"

namespace conclave::peer {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(v >> shift));
}

uint64_t get_be(std::span<const uint8_t> bytes) {
  uint64_t v = 0;
  for (uint8_t b : bytes)
    v = (v << 8) | b;
  return v;
}

}  // namespace

std::vector<uint8_t> encode_handshake(int64_t sender_id, std::string_view address) {
  std::vector<uint8_t> out;
  out.reserve(kHandshakeHeaderBytes + address.size());
  put_u32(out, kHandshakeMagic);
  put_u32(out, kHandshakeVersion);
  const auto id = static_cast<uint64_t>(sender_id);
  put_u32(out, static_cast<uint32_t>(id >> 32));
  put_u32(out, static_cast<uint32_t>(id));
  put_u32(out, static_cast<uint32_t>(address.size()));
  out.insert(out.end(), address.begin(), address.end());
  return out;
}

Result<HandshakeHeader> decode_handshake_header(
    std::span<const uint8_t, kHandshakeHeaderBytes> bytes) {
  const std::span<const uint8_t> all = bytes;
  if (get_be(all.subspan(0, 4)) != kHandshakeMagic) {
    return Error(ErrorCode::kMarshallingError, "peer handshake: bad magic");
  }
  if (get_be(all.subspan(4, 4)) != kHandshakeVersion) {
    return Error(ErrorCode::kMarshallingError, "peer handshake: unsupported version");
  }
  HandshakeHeader header;
  header.sender_id = static_cast<int64_t>(get_be(all.subspan(8, 8)));
  header.address_bytes = static_cast<uint32_t>(get_be(all.subspan(16, 4)));
  if (header.address_bytes > kHandshakeAddressBytesMax) {
    return Error(ErrorCode::kMarshallingError, "peer handshake: address too long");
  }
  return header;
}

std::array<uint8_t, kFrameHeaderBytes> encode_frame_header(uint32_t payload_bytes) {
  return {static_cast<uint8_t>(payload_bytes >> 24), static_cast<uint8_t>(payload_bytes >> 16),
          static_cast<uint8_t>(payload_bytes >> 8), static_cast<uint8_t>(payload_bytes)};
}

uint32_t decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes) {
  return static_cast<uint32_t>(get_be(bytes));
}

}  // namespace conclave::peer
