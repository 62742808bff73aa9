#include "store/index_block.h"

#include <cstring>

#include "store/crc32c.h"
#include "util/bytes.h"

namespace ringclip::store {
namespace {

// Footer field offsets (the footer is the segment's last 64 bytes).
constexpr uint32_t kFMagic = 0, kFCrc = 4, kFSegmentSeq = 8, kFFirstRecord = 16, kFRecordCount = 24, kFRecordsEnd = 28,
                   kFParameterBytes = 32, kFBlockSize = 36, kFVersion = 40, kFDrive = 44;

// The CRC covers the block and the footer after its CRC field: a block torn by a power
// loss, or half overwritten by a later generation, fails it.
uint32_t block_crc(const uint8_t* segment, uint32_t segment_size, uint32_t block_size) {
  const uint8_t* footer = segment + segment_size - kIndexFooterSize;
  uint32_t crc = crc32c(footer - block_size, block_size);
  return crc32c_extend(crc, footer + kFSegmentSeq, kIndexFooterSize - kFSegmentSeq);
}

}  // namespace

void encode_index_block(uint8_t* segment, uint32_t segment_size, const IndexFooter& f,
                        const std::vector<IndexBlockEntry>& entries, const uint8_t* parameters) {
  uint32_t block_size = index_block_span(uint32_t(entries.size()), f.parameter_bytes) - kIndexFooterSize;
  uint8_t* block = segment + segment_size - kIndexFooterSize - block_size;
  uint8_t* p = block;
  for (const IndexBlockEntry& e : entries) {
    store_le<int64_t>(p, e.dts_us);
    store_le<int64_t>(p + 8, e.pts_us);
    store_le<uint32_t>(p + 16, e.offset);
    store_le<uint32_t>(p + 20, e.payload_size);
    store_le<uint32_t>(p + 24, e.config_id);
    p[28] = e.stream;
    p[29] = uint8_t(e.type);
    p[30] = e.random_access;
    p[31] = 0;
    p += kIndexEntrySize;
  }
  if (f.parameter_bytes) std::memcpy(p, parameters, f.parameter_bytes);
  p += f.parameter_bytes;
  std::memset(p, 0, size_t(block + block_size - p));
  uint8_t* footer = segment + segment_size - kIndexFooterSize;
  std::memset(footer, 0, kIndexFooterSize);
  store_le<uint32_t>(footer + kFMagic, kIndexFooterMagic);
  store_le<uint64_t>(footer + kFSegmentSeq, f.segment_seq);
  store_le<uint64_t>(footer + kFFirstRecord, f.first_record_seq);
  store_le<uint32_t>(footer + kFRecordCount, uint32_t(entries.size()));
  store_le<uint32_t>(footer + kFRecordsEnd, f.records_end);
  store_le<uint32_t>(footer + kFParameterBytes, f.parameter_bytes);
  store_le<uint32_t>(footer + kFBlockSize, block_size);
  store_le<uint32_t>(footer + kFVersion, kFormatVersion);
  store_le<uint32_t>(footer + kFDrive, f.drive_id);
  store_le<uint32_t>(footer + kFCrc, block_crc(segment, segment_size, block_size));
}

bool decode_index_footer(const uint8_t* segment, uint32_t segment_size, IndexFooter& out) {
  const uint8_t* footer = segment + segment_size - kIndexFooterSize;
  if (load_le<uint32_t>(footer + kFMagic) != kIndexFooterMagic) return false;
  const uint32_t version = load_le<uint32_t>(footer + kFVersion);
  if (version < kOldestIndexBlockVersion || version > kFormatVersion) return false;
  IndexFooter f;
  f.segment_seq = load_le<uint64_t>(footer + kFSegmentSeq);
  f.first_record_seq = load_le<uint64_t>(footer + kFFirstRecord);
  f.record_count = load_le<uint32_t>(footer + kFRecordCount);
  f.records_end = load_le<uint32_t>(footer + kFRecordsEnd);
  f.parameter_bytes = load_le<uint32_t>(footer + kFParameterBytes);
  f.block_size = load_le<uint32_t>(footer + kFBlockSize);
  f.drive_id = load_le<uint32_t>(footer + kFDrive);
  // Sizes first (64-bit sums: no field can wrap the checks), then the CRC over what they name.
  uint64_t need = uint64_t(f.record_count) * kIndexEntrySize + f.parameter_bytes;
  if (f.record_count == 0 || f.block_size % 8 != 0 || need > f.block_size || f.block_size - need >= 8) return false;
  if (uint64_t(f.records_end) + f.block_size + kIndexFooterSize > segment_size || f.records_end < kSegmentHeaderSize)
    return false;
  if (load_le<uint32_t>(footer + kFCrc) != block_crc(segment, segment_size, f.block_size)) return false;
  out = f;
  return true;
}

uint32_t peek_index_block_size(const uint8_t* segment, uint32_t segment_size) {
  const uint8_t* footer = segment + segment_size - kIndexFooterSize;
  if (load_le<uint32_t>(footer + kFMagic) != kIndexFooterMagic) return 0;
  uint32_t size = load_le<uint32_t>(footer + kFBlockSize);
  return size <= segment_size - kIndexFooterSize - kSegmentHeaderSize ? size : 0;
}

IndexBlockEntry decode_index_entry(const uint8_t* p) {
  IndexBlockEntry e;
  e.dts_us = load_le<int64_t>(p);
  e.pts_us = load_le<int64_t>(p + 8);
  e.offset = load_le<uint32_t>(p + 16);
  e.payload_size = load_le<uint32_t>(p + 20);
  e.config_id = load_le<uint32_t>(p + 24);
  e.stream = p[28];
  e.type = RecordType(p[29]);
  e.random_access = p[30];
  return e;
}

}  // namespace ringclip::store
