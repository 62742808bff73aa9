#include <algorithm>
#include <random>
#include <string>

#include "check.h"
#include "store/crc32c.h"
#include "store/record_copy.h"

using ringclip::store::crc32c;
using ringclip::store::crc32c_extend;

// The reference: a bit-at-a-time CRC32C (reflected Castagnoli, init and xorout ~0).
static uint32_t reference(const uint8_t* p, size_t n) {
  uint32_t c = ~0u;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
  }
  return ~c;
}

TEST(crc32c_known_vector) {
  const std::string s = "123456789";
  CHECK_EQ(crc32c(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xe3069283u);
}

TEST(crc32c_matches_reference_at_every_length_and_split) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(3 * 8192 * 2 + 777);
  for (auto& b : buf) b = uint8_t(rng());
  // Lengths around the three-way block boundaries, and unaligned starts.
  for (size_t len : {0ul, 1ul, 7ul, 8ul, 9ul, 255ul, 767ul, 768ul, 769ul, 1000ul, 24575ul, 24576ul, 24577ul, 50000ul,
                     buf.size() - 3}) {
    for (size_t off : {0ul, 1ul, 3ul}) {
      if (off + len > buf.size()) continue;
      uint32_t want = reference(buf.data() + off, len);
      CHECK_EQ(crc32c(buf.data() + off, len), want);
      size_t cut = len / 3;
      CHECK_EQ(crc32c_extend(crc32c(buf.data() + off, cut), buf.data() + off + cut, len - cut), want);
    }
  }
}

// The store's write path checksums while it copies (and copies large runs with non-temporal
// stores): the bytes and the CRC must equal memcpy + crc32c for every length and alignment.
TEST(copy_with_crc32c_equals_memcpy_then_crc) {
  std::mt19937 rng(11);
  std::vector<uint8_t> src(200000 + 64), dst(200000 + 64);
  for (auto& b : src) b = uint8_t(rng());
  for (size_t len : {0ul, 1ul, 31ul, 4095ul, 4096ul, 4097ul, 24575ul, 24576ul, 24577ul, 70001ul, 200000ul}) {
    for (size_t s_off : {0ul, 5ul}) {
      for (size_t d_off : {0ul, 3ul, 17ul}) {
        std::fill(dst.begin(), dst.end(), 0xEE);
        uint32_t seed = uint32_t(rng());
        uint32_t got = ringclip::store::copy_with_crc32c(dst.data() + d_off, src.data() + s_off, len, seed);
        ringclip::store::finish_copies();
        CHECK_EQ(got, crc32c_extend(seed, src.data() + s_off, len));
        CHECK(std::equal(src.begin() + long(s_off), src.begin() + long(s_off + len), dst.begin() + long(d_off)));
        CHECK_EQ(int(dst[d_off + len]), 0xEE);  // nothing written past the end
        if (d_off > 0) CHECK_EQ(int(dst[d_off - 1]), 0xEE);
      }
    }
  }
}
