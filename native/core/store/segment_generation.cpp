#include "store/segment_generation.h"

#include <atomic>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "store/format.h"
#include "store/index_access.h"

namespace ringclip::store {
namespace {

constexpr size_t kSegmentSeqOffset = 8;  // docs/FORMAT.md, "Segments"

// Keeps the copy a check follows from completing after the check's loads: a seqlock reader
// must read the generation after the bytes it validates. On x86 an acquire fence emits
// nothing, and the loads of a string copy (memcpy's rep movsb) are not ordered like other
// loads: lfence waits for them.
void order_after_copy() {
  std::atomic_thread_fence(std::memory_order_acquire);
#if defined(__x86_64__)
  _mm_lfence();
#endif
}

std::array<uint64_t, kSegmentHeaderSize / 8> load_header(const uint8_t* segment) {
  order_after_copy();
  std::array<uint64_t, kSegmentHeaderSize / 8> words;
  for (size_t i = 0; i < words.size(); ++i) words[i] = load_mapped_u64(segment + 8 * i);
  return words;
}

}  // namespace

uint64_t load_mapped_u64(const uint8_t* at) {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(const_cast<uint8_t*>(at)))
      .load(std::memory_order_acquire);
}

uint64_t load_segment_generation(const uint8_t* segment) {
  order_after_copy();
  return load_mapped_u64(segment + kSegmentSeqOffset);
}

GenerationSnapshot::GenerationSnapshot(const SegmentStore& store) : expected_(IndexAccess::segments(store).size()) {
  for (uint32_t i = 0; i < expected_.size(); ++i) {
    const uint64_t indexed = IndexAccess::segments(store)[i].seq;
    if (indexed == 0) continue;  // nothing indexed there: nothing will be read
    Expected& e = expected_[i];
    e.seq = indexed;
    // Copy the header first, then decode the copy: the mapping may change between two reads.
    const std::array<uint64_t, kSegmentHeaderSize / 8> words = load_header(store.segment_data(i));
    SegmentHeader sh;
    const bool decodes =
        decode_segment_header(reinterpret_cast<const uint8_t*>(words.data()), sh) && sh.segment_index == i;
    // A header that decodes with another segment_seq was written after the open read it, and
    // an all-zero one was emptied since (recovery salvages no segment whose header is all
    // zeros): `seq`, the indexed generation, never matches again, so every read is refused.
    bool zero = true;
    for (uint64_t w : words) zero = zero && w == 0;
    if (!decodes && !zero) {
      e.by_header_bytes = true;
      e.header = words;
    }
  }
}

bool GenerationSnapshot::holds(const SegmentStore& store, uint32_t segment) const {
  if (segment >= expected_.size() || expected_[segment].seq == 0) return false;
  const Expected& e = expected_[segment];
  if (e.by_header_bytes) return load_header(store.segment_data(segment)) == e.header;
  return load_segment_generation(store.segment_data(segment)) == e.seq;
}

}  // namespace ringclip::store
