// Index blocks (docs/FORMAT.md, "Index block"): the footer at a sealed segment's end and
// the entries before it, decoded only when whole and of sizes that fit the segment.
#include <cstring>
#include <vector>

#include "check.h"
#include "store/index_block.h"

using namespace ringclip::store;

namespace {

constexpr uint32_t kSize = 1u << 20;

std::vector<uint8_t> sealed_segment(uint32_t records, uint32_t parameter_bytes) {
  std::vector<uint8_t> seg(kSize, 0);
  std::vector<IndexBlockEntry> entries;
  uint32_t offset = kSegmentHeaderSize;
  for (uint32_t k = 0; k < records; ++k) {
    IndexBlockEntry e;
    e.dts_us = e.pts_us = 1000 * k;
    e.offset = offset;
    e.payload_size = k == 0 ? parameter_bytes : 100;
    e.type = k == 0 ? RecordType::ParameterSets : RecordType::AccessUnit;
    entries.push_back(e);
    offset += record_span(e.payload_size);
  }
  std::vector<uint8_t> parameters(parameter_bytes, 0x67);
  IndexFooter f;
  f.segment_seq = 9;
  f.first_record_seq = 100;
  f.records_end = offset;
  f.parameter_bytes = parameter_bytes;
  f.drive_id = 2;
  encode_index_block(seg.data(), kSize, f, entries, parameters.data());
  return seg;
}

}  // namespace

TEST(index_block_round_trips) {
  auto seg = sealed_segment(5, 13);
  IndexFooter f;
  CHECK(decode_index_footer(seg.data(), kSize, f));
  CHECK_EQ(f.record_count, 5u);
  CHECK_EQ(f.segment_seq, 9u);
  CHECK_EQ(f.block_size, index_block_span(5, 13) - kIndexFooterSize);
  CHECK_EQ(peek_index_block_size(seg.data(), kSize), f.block_size);
  const uint8_t* block = seg.data() + index_block_offset(kSize, f);
  IndexBlockEntry e = decode_index_entry(block + 2 * kIndexEntrySize);
  CHECK_EQ(e.pts_us, 2000);
  CHECK(e.type == RecordType::AccessUnit);
  CHECK_EQ(block[5 * kIndexEntrySize], 0x67);  // the parameter sets follow the entries
}

TEST(index_block_torn_or_misfit_is_refused) {
  auto seg = sealed_segment(5, 13);
  IndexFooter f;
  auto torn = seg;
  torn[kSize - kIndexFooterSize - 40] ^= 1;  // an entry byte: the CRC covers the block
  CHECK(!decode_index_footer(torn.data(), kSize, f));
  auto big = seg;  // a block size claiming more than the segment holds
  uint32_t huge = kSize;
  std::memcpy(big.data() + kSize - kIndexFooterSize + 36, &huge, 4);
  CHECK(!decode_index_footer(big.data(), kSize, f));
  CHECK_EQ(peek_index_block_size(big.data(), kSize), 0u);
  std::vector<uint8_t> zeros(kSize, 0);
  CHECK(!decode_index_footer(zeros.data(), kSize, f));
}
