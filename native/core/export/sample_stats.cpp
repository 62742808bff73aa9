#include "export/sample_stats.h"

#include <algorithm>

namespace ringclip::exporting {

SampleStats sample_stats(const mp4::Track& track) {
  SampleStats out;
  out.samples = track.samples.size();
  for (const mp4::Sample& s : track.samples) {
    out.bytes += s.data.size;
    out.sync_samples += s.sync ? 1 : 0;
  }
  return out;
}

SampleStats sample_stats(const SourceTrack& track) {
  SampleStats out;
  out.samples = track.samples.size();
  for (const SourceSample& s : track.samples) {
    out.bytes += s.data.size;
    out.sync_samples += s.random_access ? 1 : 0;
    if (s.pts_us < track.presented_from_us || s.pts_us >= track.presented_to_us) continue;  // hidden by the edit list
    out.first_pts_us = std::min(out.first_pts_us, s.pts_us);
    out.last_pts_us = std::max(out.last_pts_us, s.pts_us);
  }
  return out;
}

}  // namespace ringclip::exporting
