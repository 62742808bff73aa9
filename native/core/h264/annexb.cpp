#include "h264/annexb.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ringclip::h264 {

namespace {

// Position of the next 00 00 01 in [from, end), or end. memchr jumps between zero bytes;
// the bytes after a zero decide how far the next search may skip. Used for short tails and
// on CPUs without the vector paths below.
const uint8_t* find_start_code_scalar(const uint8_t* from, const uint8_t* end) {
  while (end - from >= 3) {
    auto* z = static_cast<const uint8_t*>(std::memchr(from, 0, size_t(end - from - 2)));
    if (!z) return end;
    if (z[1] != 0) {
      from = z + 2;  // z[1] is not zero, so neither z nor z+1 starts 00 00 01
    } else if (z[2] == 1) {
      return z;
    } else {
      from = z[2] == 0 ? z + 1 : z + 3;  // 00 00 00 may still become 00 00 00 01
    }
  }
  return end;
}

#if defined(__x86_64__)
// Slice data is dense with single zero bytes (about one in 256 in CABAC output), so memchr
// stops and restarts every few hundred bytes. Comparing three shifted loads finds the whole
// pattern 00 00 01 at once: the loop only stops at real start codes, which are rare.
const uint8_t* find_start_code_sse2(const uint8_t* p, const uint8_t* end) {
  const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi8(1);
  while (end - p >= 18) {  // lanes 0..15 read p[0..17]
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    __m128i hit =
        _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, zero), _mm_cmpeq_epi8(b, zero)), _mm_cmpeq_epi8(c, one));
    unsigned mask = unsigned(_mm_movemask_epi8(hit));
    if (mask) return p + __builtin_ctz(mask);
    p += 16;
  }
  return find_start_code_scalar(p, end);
}

__attribute__((target("avx2"))) const uint8_t* find_start_code_avx2(const uint8_t* p, const uint8_t* end) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi8(1);
  while (end - p >= 34) {  // lanes 0..31 read p[0..33]
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2));
    __m256i hit = _mm256_and_si256(_mm256_and_si256(_mm256_cmpeq_epi8(a, zero), _mm256_cmpeq_epi8(b, zero)),
                                   _mm256_cmpeq_epi8(c, one));
    unsigned mask = unsigned(_mm256_movemask_epi8(hit));
    if (mask) return p + __builtin_ctz(mask);
    p += 32;
  }
  return find_start_code_sse2(p, end);
}

using FindStartCode = const uint8_t* (*)(const uint8_t*, const uint8_t*);
FindStartCode choose_find_start_code() {
  __builtin_cpu_init();  // this runs from a static initializer, possibly before libgcc's own
  return __builtin_cpu_supports("avx2") ? find_start_code_avx2 : find_start_code_sse2;
}
const FindStartCode find_start_code = choose_find_start_code();
#else
const uint8_t* find_start_code(const uint8_t* from, const uint8_t* end) { return find_start_code_scalar(from, end); }
#endif

size_t count_trailing_zeros(const uint8_t* begin, const uint8_t* end) {
  const uint8_t* p = end;
  while (p > begin && p[-1] == 0) --p;
  return size_t(end - p);
}

}  // namespace

size_t for_each_nal(const uint8_t* data, size_t size, const std::function<void(const NalView&)>& on_nal) {
  const uint8_t* end = data + size;
  const uint8_t* sc = find_start_code(data, end);
  size_t skipped = size_t(sc - data) - count_trailing_zeros(data, sc);
  if (sc == end) return size;  // no start code at all: everything is garbage
  while (sc != end) {
    const uint8_t* nal = sc + 3;
    const uint8_t* next = find_start_code(nal, end);
    size_t nal_size = size_t(next - nal) - count_trailing_zeros(nal, next);
    if (nal_size > 0) on_nal(NalView{nal, nal_size});
    sc = next;
  }
  return skipped;
}

void AnnexBScanner::on_start_code(const Callback& on_nal) {
  size_t trailing = count_trailing_zeros(pending_.data(), pending_.data() + pending_.size());
  size_t size = pending_.size() - trailing;
  if (in_nal_) {
    if (size > 0) on_nal(NalView{pending_.data(), size});
  } else if (size > 0) {
    skipped_ += unresolved_zeros_ + size;  // garbage before the first start code
  }
  unresolved_zeros_ = 0;
  pending_.clear();
  in_nal_ = true;
  zeros_ = 0;
}

void AnnexBScanner::feed(const uint8_t* data, size_t size, const Callback& on_nal) {
  if (size == 0) return;
  const uint8_t* end = data + size;
  const uint8_t* run = data;  // start of the bytes not yet appended to pending_

  // A start code split across feeds: some of its zeros came before this chunk. Up to two
  // leading zeros of the chunk may complete it; with more, the in-chunk search finds it.
  if (zeros_ > 0) {
    size_t k = 0;
    while (k < 2 && k < size && data[k] == 0) ++k;
    if (k < 2 && k < size && data[k] == 1 && zeros_ + k >= 2) {
      pending_.insert(pending_.end(), data, data + k);
      on_start_code(on_nal);
      run = data + k + 1;
    }
  }
  // Inside the chunk; a start code that begins in the last two bytes is left for the
  // next feed (its zeros go to pending_ and are counted in zeros_).
  for (;;) {
    const uint8_t* sc = find_start_code(run, end);
    if (sc == end) break;
    if (pending_.empty()) {
      // The whole NAL unit lies in this chunk: report a view of it, no copy.
      size_t nal_size = size_t(sc - run) - count_trailing_zeros(run, sc);
      if (in_nal_) {
        if (nal_size > 0) on_nal(NalView{run, nal_size});
      } else if (nal_size > 0) {
        skipped_ += unresolved_zeros_ + nal_size;
      }
      unresolved_zeros_ = 0;
      in_nal_ = true;
      zeros_ = 0;
    } else {
      pending_.insert(pending_.end(), run, sc);
      on_start_code(on_nal);
    }
    run = sc + 3;
  }
  // An all-zero chunk extends the zeros carried from before (1-byte feeds of 00 00 01).
  // Only "at least two" matters, so the count saturates.
  size_t tail_zeros = count_trailing_zeros(run, end);
  uint64_t zeros = tail_zeros == size_t(end - run) && run == data ? uint64_t(zeros_) + tail_zeros : tail_zeros;
  zeros_ = uint32_t(std::min<uint64_t>(zeros, 3));
  if (in_nal_) {
    pending_.insert(pending_.end(), run, end);
  } else {
    // Garbage before the first start code is counted, not kept (it may be a whole file).
    // pending_ holds only zeros here, carried so that a split start code is still seen.
    size_t garbage = size_t(end - run) - tail_zeros;
    uint64_t zeros_before = unresolved_zeros_ + pending_.size();
    if (garbage > 0) {
      skipped_ += zeros_before + garbage;
      zeros_before = 0;
    }
    uint64_t total_zeros = zeros_before + tail_zeros;
    size_t keep = size_t(std::min<uint64_t>(total_zeros, 2));
    pending_.assign(keep, 0);
    unresolved_zeros_ = total_zeros - keep;
  }
}

void AnnexBScanner::finish(const Callback& on_nal) {
  if (in_nal_) {
    size_t size = pending_.size() - count_trailing_zeros(pending_.data(), pending_.data() + pending_.size());
    if (size > 0) on_nal(NalView{pending_.data(), size});
  } else {
    skipped_ += unresolved_zeros_ + pending_.size();  // zeros with no start code after them
  }
  pending_.clear();
  in_nal_ = false;
  zeros_ = 0;
  unresolved_zeros_ = 0;
}

}  // namespace ringclip::h264
