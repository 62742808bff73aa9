#pragma once
// A key-frame timelapse: a drive (or any range) as a movie made only of stored IDR pictures,
// retimed (one picture per `every` of footage, each shown for `frame`: one per second at
// 30 fps is 30x). Nothing is decoded or encoded: an IDR picture decodes alone, so each is
// a sync sample pointing at the bytes the store already holds.
#include <vector>

#include "export/clip_cutter.h"

namespace ringclip::exporting {

// Video tracks only; per track, the first IDR at or after each multiple of `every` from
// `from` (so gaps in the footage leave gaps in time, not in the picture sequence). Throws
// Error(InvalidArgument) for audio or metadata tracks and bad intervals, Error(Range) when a
// track has no IDR picture in the range (naming recovery points, when that is what its
// random access points are: open GOP or intra refresh need the pictures before them).
CutResult cut_timelapse(const std::vector<SourceTrack>& tracks, const CutRequest& request);

}  // namespace ringclip::exporting
