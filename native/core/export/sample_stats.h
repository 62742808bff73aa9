#pragma once
// What info() reports of a track's samples (a clip's, an MP4 source's), counted in one
// place rather than by each caller.
#include <cstdint>

#include "export/clip_cutter.h"
#include "mp4/movie.h"

namespace ringclip::exporting {

struct SampleStats {
  uint64_t samples = 0;
  uint64_t bytes = 0;
  uint64_t sync_samples = 0;  // random access points
  // pts (µs) of the first and last samples the source presents; INT64_MAX and INT64_MIN
  // when it presents none. Source tracks only.
  int64_t first_pts_us = INT64_MAX, last_pts_us = INT64_MIN;
};

// A clip's track: its samples, their bytes and its sync samples.
SampleStats sample_stats(const mp4::Track& track);
// A source track: every sample counted; first and last among those its edit list presents.
SampleStats sample_stats(const SourceTrack& track);

}  // namespace ringclip::exporting
