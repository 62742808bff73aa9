#pragma once
// CRC32C (Castagnoli), the checksum of every record and header. Uses the SSE4.2 crc32
// instruction when the CPU has it (chosen once at run time), a slicing-by-8 table otherwise.
#include <cstddef>
#include <cstdint>

namespace ringclip::store {

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size);
inline uint32_t crc32c(const uint8_t* data, size_t size) { return crc32c_extend(0, data, size); }
bool crc32c_is_hardware();

}  // namespace ringclip::store
