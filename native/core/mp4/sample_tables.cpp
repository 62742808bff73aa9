#include "mp4/sample_tables.h"

#include "util/bytes.h"

namespace ringclip::mp4 {
namespace {

// Run-length tables start with an entry count we only know after the runs: write a
// placeholder and patch it.
class CountedEntries {
 public:
  explicit CountedEntries(BoxWriter& w) : w_(w), at_(w.position()) { w.u32(0); }
  void add() { ++count_; }
  ~CountedEntries() { w_.patch_u32(at_, count_); }

 private:
  BoxWriter& w_;
  size_t at_;
  uint32_t count_ = 0;
};

void write_stts(BoxWriter& w, const Track& track) {
  size_t stts = w.open_full("stts", 0, 0);
  {
    CountedEntries entries(w);
    const auto& samples = track.samples;
    for (size_t i = 0; i < samples.size();) {
      size_t run = i + 1;
      while (run < samples.size() && samples[run].duration == samples[i].duration) ++run;
      w.u32(uint32_t(run - i));
      w.u32(samples[i].duration);
      entries.add();
      i = run;
    }
  }
  w.close(stts);
}

// Only when some sample is shown at another time than it is decoded (B-frames). Version 1
// (signed offsets) only when needed: some older parsers read version 0 alone.
void write_ctts_if_needed(BoxWriter& w, const Track& track) {
  bool any_offset = false, any_negative = false;
  for (const Sample& s : track.samples) {
    if (s.pts != s.dts) any_offset = true;
    if (s.pts < s.dts) any_negative = true;
  }
  if (!any_offset) return;
  size_t ctts = w.open_full("ctts", any_negative ? 1 : 0, 0);
  {
    CountedEntries entries(w);
    const auto& samples = track.samples;
    for (size_t i = 0; i < samples.size();) {
      const int64_t offset = samples[i].pts - samples[i].dts;
      size_t run = i + 1;
      while (run < samples.size() && samples[run].pts - samples[run].dts == offset) ++run;
      w.u32(uint32_t(run - i));
      w.u32(uint32_t(int32_t(offset)));
      entries.add();
      i = run;
    }
  }
  w.close(ctts);
}

// Absent stss means "every sample is a sync sample", so it is written only when some
// sample is not.
void write_stss_if_needed(BoxWriter& w, const Track& track) {
  bool all_sync = true;
  for (const Sample& s : track.samples) all_sync = all_sync && s.sync;
  if (all_sync) return;
  size_t stss = w.open_full("stss", 0, 0);
  {
    CountedEntries entries(w);
    for (size_t i = 0; i < track.samples.size(); ++i) {
      if (!track.samples[i].sync) continue;
      w.u32(uint32_t(i + 1));
      entries.add();
    }
  }
  w.close(stss);
}

void write_stsc(BoxWriter& w, const Track& track, uint32_t track_index, const MdatLayout& layout) {
  size_t stsc = w.open_full("stsc", 0, 0);
  {
    CountedEntries entries(w);
    uint32_t chunk_number = 0, previous_count = 0, previous_description = UINT32_MAX;
    for (const Chunk& c : layout.chunks) {
      if (c.track != track_index) continue;
      ++chunk_number;
      // Chunks never mix sample descriptions (layout_chunks splits them), so the first
      // sample's entry is the chunk's.
      const uint32_t description = track.samples[c.first_sample].description + 1;
      if (c.sample_count == previous_count && description == previous_description) continue;
      w.u32(chunk_number);
      w.u32(c.sample_count);
      w.u32(description);  // sample_description_index
      entries.add();
      previous_count = c.sample_count;
      previous_description = description;
    }
  }
  w.close(stsc);
}

void write_stsz(BoxWriter& w, const Track& track) {
  size_t stsz = w.open_full("stsz", 0, 0);
  const auto& samples = track.samples;
  bool uniform = !samples.empty();
  for (const Sample& s : samples) uniform = uniform && s.data.size == samples.front().data.size;
  if (uniform) {
    w.u32(uint32_t(samples.front().data.size));
    w.u32(uint32_t(samples.size()));
  } else {
    w.u32(0);  // sample_size 0: a size per sample follows
    w.u32(uint32_t(samples.size()));
    for (const Sample& s : samples) w.u32(uint32_t(s.data.size));
  }
  w.close(stsz);
}

ChunkOffsetTable write_chunk_offsets(BoxWriter& w, uint32_t track_index, const MdatLayout& layout, bool co64) {
  size_t box = co64 ? w.open_full("co64", 0, 0) : w.open_full("stco", 0, 0);
  ChunkOffsetTable table;
  table.wide = co64;
  size_t count_at = w.position();
  w.u32(0);
  table.position = w.position();
  for (const Chunk& c : layout.chunks) {
    if (c.track != track_index) continue;
    if (co64) {
      w.u64(c.offset);
    } else {
      w.u32(uint32_t(c.offset));  // the caller chose stco because every final offset fits
    }
    ++table.count;
  }
  w.patch_u32(count_at, table.count);
  w.close(box);
  return table;
}

}  // namespace

ChunkOffsetTable write_sample_tables(BoxWriter& w, const Track& track, uint32_t track_index, const MdatLayout& layout,
                                     bool co64) {
  write_stts(w, track);
  write_ctts_if_needed(w, track);
  write_stss_if_needed(w, track);
  write_stsc(w, track, track_index, layout);
  write_stsz(w, track);
  return write_chunk_offsets(w, track_index, layout, co64);
}

void rebase_chunk_offsets(BoxWriter& w, const ChunkOffsetTable& table, uint64_t base) {
  const uint8_t* p = w.buffer().data() + table.position;
  for (uint32_t i = 0; i < table.count; ++i) {
    if (table.wide) {
      size_t at = table.position + size_t(i) * 8;
      w.patch_u64(at, get_be64(p + size_t(i) * 8) + base);
    } else {
      size_t at = table.position + size_t(i) * 4;
      w.patch_u32(at, uint32_t(get_be32(p + size_t(i) * 4) + base));
    }
  }
}

void write_empty_sample_tables(BoxWriter& w) {
  size_t stts = w.open_full("stts", 0, 0);
  w.u32(0);
  w.close(stts);
  size_t stsc = w.open_full("stsc", 0, 0);
  w.u32(0);
  w.close(stsc);
  size_t stsz = w.open_full("stsz", 0, 0);
  w.u32(0);
  w.u32(0);
  w.close(stsz);
  size_t stco = w.open_full("stco", 0, 0);
  w.u32(0);
  w.close(stco);
}

}  // namespace ringclip::mp4
