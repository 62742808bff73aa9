#include "mp4/chunk_layout.h"

#include <algorithm>

#include "mp4/movie_time.h"

namespace ringclip::mp4 {

MdatLayout layout_chunks(const Movie& movie, double chunk_seconds) {
  MdatLayout layout;
  size_t estimate = 0;
  for (const Track& t : movie.tracks) {
    uint64_t seconds = t.timescale ? media_duration(t) / t.timescale : 0;
    // A chunk holds at least one sample: sparse samples over a long time (durations of
    // hours) must not reserve a chunk per chunk_seconds.
    const double by_time = double(seconds) / chunk_seconds + 2;
    estimate += by_time < double(t.samples.size()) ? size_t(by_time) : t.samples.size();
  }
  layout.chunks.reserve(estimate);

  for (uint32_t ti = 0; ti < movie.tracks.size(); ++ti) {
    const Track& track = movie.tracks[ti];
    const double start = track_start_seconds(track, movie.timescale);
    const int64_t span = std::max<int64_t>(1, int64_t(chunk_seconds * track.timescale));
    double previous_start = -1e300;
    size_t i = 0;
    while (i < track.samples.size()) {
      Chunk chunk;
      chunk.track = ti;
      chunk.first_sample = uint32_t(i);
      const int64_t chunk_dts = track.samples[i].dts;
      // Never earlier than the previous chunk of the track: the sample tables need each
      // track's chunks in sample order, even if a caller's dts went backwards.
      chunk.start_seconds = std::max(previous_start, start + double(chunk_dts) / track.timescale);
      previous_start = chunk.start_seconds;
      do {
        chunk.bytes += track.samples[i].data.size;
        ++i;
      } while (i < track.samples.size() && track.samples[i].dts - chunk_dts < span &&
               track.samples[i].description ==
                   track.samples[chunk.first_sample].description);  // stsc: one entry per chunk
      chunk.sample_count = uint32_t(i - chunk.first_sample);
      layout.chunks.push_back(chunk);
    }
  }

  // Stable: within a track chunks are already in time order, and on ties the first track
  // (the primary camera) goes first.
  std::stable_sort(layout.chunks.begin(), layout.chunks.end(),
                   [](const Chunk& a, const Chunk& b) { return a.start_seconds < b.start_seconds; });
  uint64_t offset = 0;
  for (Chunk& c : layout.chunks) {
    c.offset = offset;
    offset += c.bytes;
  }
  layout.payload_size = offset;
  return layout;
}

}  // namespace ringclip::mp4
