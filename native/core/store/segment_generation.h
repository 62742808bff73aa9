#pragma once
// Which generation of a segment the shared mapping holds. A store opened read-only (another
// process, `ringclip clip` while a device records) holds no pins the writer knows about: the
// writer may reclaim a segment — a new segment header with a new segment_seq, then new
// records over the old ones — while the reader copies bytes the reader's index placed there.
// Readers therefore check the generation around every copy, as a seqlock reader does: the
// segment's on-disk generation must be the one the index was built from both before and
// after the copy (docs/RELIABILITY.md, "Readers in other processes").
#include <array>
#include <cstdint>
#include <vector>

#include "store/segment_store.h"

namespace ringclip::store {

// One aligned 8-byte load of a field of the mapping another process may be storing to this
// instant (a value torn between two writes could match neither, or worse). Segments start at
// multiples of 4 KiB and records at multiples of 8 bytes, so their 8-byte fields are aligned;
// the store format is little-endian, as is every CPU we build for (util/bytes.h).
uint64_t load_mapped_u64(const uint8_t* at);

// The segment_seq in the header at `segment` (its first byte in the mapping) as the mapping
// holds it now: 0 for a segment never used or emptied. One 8-byte load with acquire
// ordering, after an acquire fence: loads of segment bytes before the call are complete
// before it reads, and loads after it are not performed before it.
uint64_t load_segment_generation(const uint8_t* segment);

// The generation of each segment that a read-only open indexed, taken right after the open
// and before any byte is handed out; the index of a read-only store never changes after.
class GenerationSnapshot {
 public:
  explicit GenerationSnapshot(const SegmentStore& store);

  // Whether `segment` still holds the generation its index entries describe. Called after a
  // copy, true means no byte the copy read came from a later generation: the writer makes
  // a new segment header visible before any record of that generation (a store fence after
  // the header, since records are written with non-temporal stores), and segment_seq only
  // grows. Called before a copy, false saves copying bytes that will be refused.
  bool holds(const SegmentStore& store, uint32_t segment) const;

 private:
  // A header that did not decode when the snapshot was taken (bit rot: recovery rebuilt the
  // segment's index from its first record and a read-only open does not repair the header,
  // or a header being written that instant) has no segment_seq to trust: the whole 64 bytes
  // as they were stand for the generation. Any later header the writer completes decodes,
  // so it differs from them. (An all-zero header means the segment was emptied: refused.)
  struct Expected {
    uint64_t seq = 0;
    bool by_header_bytes = false;
    std::array<uint64_t, kSegmentHeaderSize / 8> header{};
  };
  std::vector<Expected> expected_;
};

}  // namespace ringclip::store
