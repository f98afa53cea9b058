// The first bytes a dialing member sends on a peer connection, and the frame header that
// follows. Pure functions over bytes so that the transport and the tests share one codec.
//
// Handshake (big-endian):
//   u32 magic "CNCL" | u32 version | i64 sender id | u32 address length | address bytes
// The address is the sender's listen address ("host:port"), informational only: the
// receiver trusts its own `server.N` lines for where to dial. ZooKeeper limits its
// handshake to 2048 bytes; ours is tighter because the address is a single host:port.
//
// Frame: u32 payload length | payload (opaque bytes, protobuf-encoded by the caller).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace conclave::peer {

inline constexpr uint32_t kHandshakeMagic = 0x434E434C;  // "CNCL"
inline constexpr uint32_t kHandshakeVersion = 1;
inline constexpr size_t kHandshakeHeaderBytes = 4 + 4 + 8 + 4;
// A host name is at most 253 bytes, plus ":65535".
inline constexpr size_t kHandshakeAddressBytesMax = 260;
inline constexpr size_t kFrameHeaderBytes = 4;

struct HandshakeHeader {
  int64_t sender_id = 0;
  uint32_t address_bytes = 0;
};

std::vector<uint8_t> encode_handshake(int64_t sender_id, std::string_view address);

// Checks the fixed part; fails on a wrong magic or version, or an address longer than
// kHandshakeAddressBytesMax, so the reader never allocates what the sender claims.
Result<HandshakeHeader> decode_handshake_header(
    std::span<const uint8_t, kHandshakeHeaderBytes> bytes);

std::array<uint8_t, kFrameHeaderBytes> encode_frame_header(uint32_t payload_bytes);
uint32_t decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes);

}  // namespace conclave::peer
