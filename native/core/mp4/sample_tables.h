#pragma once
// The sample tables of a progressive file's stbl (after stsd): stts, ctts, stss, stsc,
// stsz and stco/co64, written from the samples and the mdat chunk layout.
#include <cstdint>

#include "mp4/box_writer.h"
#include "mp4/chunk_layout.h"
#include "mp4/movie.h"

namespace ringclip::mp4 {

// Where a track's chunk offsets sit in the output buffer. They are written relative to
// the mdat payload and rebased once the moov (and therefore the mdat) position is known.
struct ChunkOffsetTable {
  size_t position = 0;  // of the first entry
  uint32_t count = 0;
  bool wide = false;  // co64
};

ChunkOffsetTable write_sample_tables(BoxWriter& w, const Track& track, uint32_t track_index, const MdatLayout& layout,
                                     bool co64);
// Adds `base` to every entry of `table`.
void rebase_chunk_offsets(BoxWriter& w, const ChunkOffsetTable& table, uint64_t base);

// Empty stts/stsc/stsz/stco, as init segments of fragmented files carry them.
void write_empty_sample_tables(BoxWriter& w);

}  // namespace ringclip::mp4
