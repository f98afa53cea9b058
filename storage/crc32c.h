// CRC32C (Castagnoli), the checksum of every log entry, epoch record and snapshot file.
// Uses the SSE4.2 crc32 instruction where the CPU has it, a byte table elsewhere; both give
// the same values. Dependency-free: LevelDB's own crc32c is not part of its public API.
#pragma once

#include <cstdint>
#include <string_view>

namespace conclave::storage {

// Extends a running CRC32C `crc` (0 to start) over `data`. crc32c("123456789") == 0xE3069283.
uint32_t crc32c_extend(uint32_t crc, std::string_view data);

// The table version alone, for tests that compare it with the hardware path.
uint32_t crc32c_extend_portable(uint32_t crc, std::string_view data);

inline uint32_t crc32c(std::string_view data) {
  return crc32c_extend(0, data);
}

}  // namespace conclave::storage
