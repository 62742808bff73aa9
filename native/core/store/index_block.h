#pragma once
// The persisted index of a sealed segment (docs/FORMAT.md, "Index block"). When the writer
// leaves a segment it writes, at the segment's end, one entry per record (in record order)
// and the payloads of its parameter-set records, closed by a 64-byte footer at the very
// end of the segment. Open then reads a segment's first page and its block instead of
// every record header: cost follows the number of frames, not the bytes stored.
#include <cstdint>
#include <vector>

#include "store/format.h"

namespace ringclip::store {

constexpr uint32_t kIndexFooterMagic = 0x58494352;  // "RCIX"
constexpr uint32_t kIndexFooterSize = 64;
constexpr uint32_t kIndexEntrySize = 32;

// One record as the block lists it; its sequence number is the footer's
// first_record_seq plus its position.
struct IndexBlockEntry {
  int64_t dts_us = 0;
  int64_t pts_us = 0;
  uint32_t offset = 0;  // of the record within its segment
  uint32_t payload_size = 0;
  uint32_t config_id = 0;
  uint8_t stream = 0;
  RecordType type = RecordType::AccessUnit;
  uint8_t random_access = 0;
};

struct IndexFooter {
  uint64_t segment_seq = 0;       // the generation it indexes: must equal the segment header's
  uint64_t first_record_seq = 0;  // likewise
  uint32_t record_count = 0;
  uint32_t records_end = 0;      // where the segment's records end (its `used` bytes)
  uint32_t parameter_bytes = 0;  // payload bytes of its parameter-set records, after the entries
  uint32_t block_size = 0;       // entries + parameter payloads + padding, before the footer
  uint32_t drive_id = 0;
};

// Bytes a block takes at the end of a segment, footer included.
inline uint32_t index_block_span(uint32_t records, uint32_t parameter_bytes) {
  return ((records * kIndexEntrySize + parameter_bytes + 7u) & ~7u) + kIndexFooterSize;
}

// Writes the block and its footer into the last index_block_span() bytes of the segment
// at `segment` (segment_size bytes). `parameters` holds the parameter-set payloads in
// record order. The caller has kept records_end + span <= segment_size.
void encode_index_block(uint8_t* segment, uint32_t segment_size, const IndexFooter& footer,
                        const std::vector<IndexBlockEntry>& entries, const uint8_t* parameters);

// Checks the footer at the segment's end (magic, sizes that fit the segment, CRC of the
// block and footer) and decodes it; false when there is no whole block of any generation.
bool decode_index_footer(const uint8_t* segment, uint32_t segment_size, IndexFooter& out);
// Where the block decoded by decode_index_footer starts, from the segment start.
inline uint32_t index_block_offset(uint32_t segment_size, const IndexFooter& f) {
  return segment_size - kIndexFooterSize - f.block_size;
}
IndexBlockEntry decode_index_entry(const uint8_t* at);
// The block size a footer claims, unchecked (0 without the magic): open reads that many
// bytes ahead before it checks the block.
uint32_t peek_index_block_size(const uint8_t* segment, uint32_t segment_size);

}  // namespace ringclip::store
