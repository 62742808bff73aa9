#include "store/record_copy.h"

#include <algorithm>
#include <cstring>

#include "store/crc32c.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ringclip::store {
namespace {

// Three 8 KiB chains: the block size the hardware CRC interleaves (crc32c.cpp), and small
// enough to stay in L1 between the checksum and the copy.
constexpr size_t kBlock = 3 * 8192;
// Below this a copy stays in cache anyway and plain stores are cheaper.
constexpr size_t kStreamThreshold = 4096;

#if defined(__x86_64__)
void stream_copy_sse2(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t head = std::min(n, (16 - (reinterpret_cast<uintptr_t>(dst) & 15)) & size_t(15));
  std::memcpy(dst, src, head);
  dst += head, src += head, n -= head;
  for (; n >= 64; dst += 64, src += 64, n -= 64) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16));
    __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 32));
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst), a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + 16), b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + 32), c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + 48), d);
  }
  std::memcpy(dst, src, n);
}

__attribute__((target("avx2"))) void stream_copy_avx2(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t head = std::min(n, (32 - (reinterpret_cast<uintptr_t>(dst) & 31)) & size_t(31));
  std::memcpy(dst, src, head);
  dst += head, src += head, n -= head;
  for (; n >= 128; dst += 128, src += 128, n -= 128) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 32));
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64));
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 96));
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst), a);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 32), b);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 64), c);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 96), d);
  }
  std::memcpy(dst, src, n);
}

using StreamCopy = void (*)(uint8_t*, const uint8_t*, size_t);
StreamCopy choose_stream_copy() {
  __builtin_cpu_init();  // runs from a static initializer
  return __builtin_cpu_supports("avx2") ? stream_copy_avx2 : stream_copy_sse2;
}
const StreamCopy stream_copy = choose_stream_copy();
#else
void stream_copy(uint8_t* dst, const uint8_t* src, size_t n) { std::memcpy(dst, src, n); }
#endif

}  // namespace

uint32_t copy_with_crc32c(uint8_t* dst, const uint8_t* src, size_t n, uint32_t crc) {
  if (n == 0) return crc;  // an empty sample entry body (camm) has no bytes, and may have no address
  if (n < kStreamThreshold) {
    std::memcpy(dst, src, n);
    return crc32c_extend(crc, src, n);
  }
  for (size_t done = 0; done < n;) {
    size_t len = n - done < kBlock ? n - done : kBlock;
    crc = crc32c_extend(crc, src + done, len);
    stream_copy(dst + done, src + done, len);
    done += len;
  }
  return crc;
}

void finish_copies() {
#if defined(__x86_64__)
  _mm_sfence();
#endif
}

}  // namespace ringclip::store
