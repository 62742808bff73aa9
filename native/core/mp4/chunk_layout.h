#pragma once
// How a progressive file's mdat is laid out: each track's samples are cut into chunks of
// about half a second, and the chunks of all tracks are ordered by time. A player that
// streams the file front to back then receives both cameras evenly instead of one whole
// track before the other, and needs only one seek position per track.
#include <cstdint>
#include <vector>

#include "mp4/movie.h"

namespace ringclip::mp4 {

struct Chunk {
  uint32_t track = 0;         // index into movie.tracks
  uint32_t first_sample = 0;  // index into the track's samples
  uint32_t sample_count = 0;
  uint64_t offset = 0;  // from the start of the mdat payload
  uint64_t bytes = 0;
  double start_seconds = 0;  // on the movie timeline; only used for ordering
};

struct MdatLayout {
  std::vector<Chunk> chunks;  // in file order
  uint64_t payload_size = 0;
};

constexpr double kChunkSeconds = 0.5;

MdatLayout layout_chunks(const Movie& movie, double chunk_seconds = kChunkSeconds);

}  // namespace ringclip::mp4
