#pragma once
// What the parts of read_movie share while parsing: per-track state (the Track being
// filled, where its sample tables are, fragment defaults) and the sample budget that
// stops hostile counts from turning into huge allocations.
#include <cstdint>
#include <vector>

#include "mp4/box_reader.h"
#include "mp4/movie.h"

namespace ringclip::mp4 {

struct SampleTableBoxes {  // payloads of stbl children; data == nullptr when absent
  ByteSpan stts, ctts, stss, stsc, stsz, chunk_offsets;
  bool co64 = false;
};

struct TrexDefaults {
  uint32_t sample_description_index = 1;
  uint32_t duration = 0, size = 0, flags = 0;
};

struct TrackState {
  Track track;
  bool supported = false;                  // H.264 (avc1/avc3 with avcC), AAC (mp4a/esds) or camm: the tracks we return
  uint32_t handler = 0, sample_entry = 0;  // what a track left out was (reported, not returned)
  SampleTableBoxes tables;
  TrexDefaults trex;
  uint64_t next_dts = 0;  // where a fragment without tfdt continues
};

class ReadContext {
 public:
  explicit ReadContext(ByteSpan bytes) : file(bytes), sample_budget_(bytes.size / 4 + 16) {}
  ByteSpan file;

  // Every sample needs at least a 4-byte NAL length in the file, so a file cannot hold
  // more than size/4 samples. Called before reserving room for `count` more.
  void take_samples(uint64_t count) {
    if (count > sample_budget_) throw_invalid("more samples than the file can hold");
    sample_budget_ -= count;
  }
  // The sample bytes at [offset, offset + size) of the file, or "truncated".
  ByteSpan sample_bytes(uint64_t offset, uint64_t size, uint32_t track_id) const;

 private:
  uint64_t sample_budget_;
};

struct MovieHeader {
  uint32_t timescale = 1000;
  int64_t creation_time_us = 0;
};

// moov: mvhd, every trak (with its sample table boxes located but not expanded), mvex.
void read_moov(ReadContext& context, const Box& moov, MovieHeader& header, std::vector<TrackState>& tracks);
// Expands the located stbl tables into samples (progressive files; empty in init segments).
void read_sample_tables(ReadContext& context, TrackState& track);
// One moof: appends the samples of its trafs to the tracks they belong to.
void read_fragment(ReadContext& context, const Box& moof, std::vector<TrackState>& tracks);

}  // namespace ringclip::mp4
