#include "store/crc32c.h"

#include <array>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace ringclip::store {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;  // reflected Castagnoli

using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}

uint32_t crc_software(uint32_t crc, const uint8_t* p, size_t n) {
  static const Tables t = make_tables();
  crc = ~crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles and a throughput of 1 per cycle, so one
// chain runs at a third of the speed the CPU can give. Large buffers are cut into three
// blocks whose CRCs run as independent chains and are then combined: the CRC of A||B is
// the CRC of A advanced through len(B) zero bytes, XOR the CRC of B from zero. Advancing
// through a fixed number of zero bytes is a linear map on the 32-bit state, applied with
// four 256-entry tables per block size.
__attribute__((target("sse4.2"))) uint32_t crc_chain(uint32_t c, const uint8_t* p, size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t a;
    std::memcpy(&a, p, 8);
    c64 = _mm_crc32_u64(c64, a);
    p += 8;
    n -= 8;
  }
  c = uint32_t(c64);
  while (n--) c = _mm_crc32_u8(c, *p++);
  return c;
}

struct ShiftTable {
  uint32_t t[4][256];
  uint32_t apply(uint32_t x) const {
    return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
  }
};

ShiftTable make_shift_table(size_t zero_bytes) {
  static const std::vector<uint8_t> zeros(8192, 0);
  uint32_t basis[32];
  for (int i = 0; i < 32; ++i) {
    uint32_t c = 1u << i;
    for (size_t left = zero_bytes; left > 0;) {
      size_t n = left < zeros.size() ? left : zeros.size();
      c = crc_chain(c, zeros.data(), n);
      left -= n;
    }
    basis[i] = c;
  }
  ShiftTable st{};
  for (int k = 0; k < 4; ++k)
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t v = 0;
      for (int j = 0; j < 8; ++j)
        if (b & (1u << j)) v ^= basis[8 * k + j];
      st.t[k][b] = v;
    }
  return st;
}

constexpr size_t kLongBlock = 8192, kShortBlock = 256;

__attribute__((target("sse4.2"))) uint32_t crc_three_way(uint32_t c, const uint8_t*& p, size_t& n, size_t block,
                                                         const ShiftTable& shift) {
  while (n >= 3 * block) {
    uint64_t c0 = c, c1 = 0, c2 = 0;
    const uint8_t* end = p + block;
    while (p < end) {
      uint64_t a, b, d;
      std::memcpy(&a, p, 8);
      std::memcpy(&b, p + block, 8);
      std::memcpy(&d, p + 2 * block, 8);
      c0 = _mm_crc32_u64(c0, a);
      c1 = _mm_crc32_u64(c1, b);
      c2 = _mm_crc32_u64(c2, d);
      p += 8;
    }
    c = shift.apply(shift.apply(uint32_t(c0)) ^ uint32_t(c1)) ^ uint32_t(c2);
    p += 2 * block;
    n -= 3 * block;
  }
  return c;
}

uint32_t crc_hardware(uint32_t crc, const uint8_t* p, size_t n) {
  static const ShiftTable long_shift = make_shift_table(kLongBlock);
  static const ShiftTable short_shift = make_shift_table(kShortBlock);
  uint32_t c = ~crc;
  c = crc_three_way(c, p, n, kLongBlock, long_shift);
  c = crc_three_way(c, p, n, kShortBlock, short_shift);
  return ~crc_chain(c, p, n);
}

bool cpu_has_sse42() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_SSE4_2) != 0;
}
#endif

using CrcFunction = uint32_t (*)(uint32_t, const uint8_t*, size_t);

CrcFunction choose() {
#if defined(__x86_64__)
  if (cpu_has_sse42()) return crc_hardware;
#endif
  return crc_software;
}

const CrcFunction g_crc = choose();

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size) { return g_crc(crc, data, size); }

bool crc32c_is_hardware() { return g_crc != crc_software; }

}  // namespace ringclip::store
