#pragma once
// MP4 writers. Progressive: ftyp, moov before mdat (fast start), one mdat whose bytes are
// spans of the stored samples. Fragmented: an init segment (ftyp + moov with mvex) and
// media segments (moof + mdat), each fragment of each track starting at a sync sample.
// Layout and reasons: docs/MP4.md.
#include <cstdint>
#include <string>
#include <vector>

#include "mp4/movie.h"
#include "mp4/virtual_file.h"

namespace ringclip::mp4 {

// Bumped whenever the bytes we write for the same samples change (ETags include it).
// 2: a top-level prft (capture time to the µs). 3: audio (mp4a) and metadata (camm) tracks.
// 4: every track presents its first sample at time 0 (no leading empty edit when the
// cameras overlap: the clip starts where all of them have a frame).
constexpr uint32_t kWriterVersion = 4;

struct ProgressiveOptions {
  bool force_co64 = false;  // tests: exercise the 64-bit chunk offsets without 4 GiB of data
};
VirtualFile build_progressive(const Movie& movie, const ProgressiveOptions& options = {});

struct FragmentedOptions {
  bool known_duration = true;  // write mehd with the movie's duration
  // build_fragmented: a sidx per track after the moov, indexing its fragments (players such
  // as ExoPlayer seek a fragmented file only through one). Left out when a sample entry
  // changes inside a GOP (a fragment then holds several trafs of one track, which ffmpeg
  // would all start at the subsegment's time).
  bool segment_index = true;
};
// The init segment alone (ftyp + moov with mvex/trex[/mehd]).
std::vector<uint8_t> build_init_segment(const Movie& movie, const FragmentedOptions& options = {});
// One media segment (moof + mdat) holding samples [first, last) of each track, in track
// order. `sequence_number` is mfhd's. Sample ranges are given per track (same order as
// movie.tracks); a track with an empty range is left out of the fragment.
struct FragmentRange {
  size_t first = 0;
  size_t last = 0;
};
void append_fragment(VirtualFile& out, const Movie& movie, const std::vector<FragmentRange>& ranges,
                     uint32_t sequence_number);
// A track of a fragment, and how far its decode times move on the fragment's timeline (in
// the track's timescale): HLS lays a clip's tracks out on one timeline without edit lists
// by shifting them, which touches tfdt alone, not a copy of every sample.
struct FragmentTrack {
  const Track* track = nullptr;
  int64_t dts_shift = 0;
};
void append_fragment(VirtualFile& out, const std::vector<FragmentTrack>& tracks,
                     const std::vector<FragmentRange>& ranges, uint32_t sequence_number);
// The bytes append_fragment() writes for these ranges, without writing them: the moof and
// mdat header (`header`) and the samples (`payload`). A playlist of fragments lists their
// offsets from this; whoever builds the file later checks it lands exactly there
// (mp4/hls_layout.cpp), so the live and recording paths do not size each fragment twice.
struct FragmentSize {
  uint64_t header = 0;
  uint64_t payload = 0;
};
FragmentSize fragment_size(const std::vector<FragmentTrack>& tracks, const std::vector<FragmentRange>& ranges);
// The whole fragmented file: init segment, then one fragment per GOP of each track.
VirtualFile build_fragmented(const Movie& movie, const FragmentedOptions& options = {});

}  // namespace ringclip::mp4
