#pragma once
// Small helpers for big-endian fields (H.264 length prefixes, MP4 boxes) and
// little-endian fields (the store's own format, which is little-endian on disk).
#include <cstdint>
#include <cstring>

namespace ringclip {

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

inline void put_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
inline uint32_t get_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint16_t get_be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
inline uint64_t get_be64(const uint8_t* p) { return (uint64_t(get_be32(p)) << 32) | get_be32(p + 4); }

template <typename T>
inline T load_le(const uint8_t* p) {  // the store format is little-endian; so is every CPU we build for
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void store_le(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace ringclip
