#include "store/frame_spans.h"

#include <algorithm>

#include "store/index_access.h"

namespace ringclip::store {

std::vector<FrameSpan> frame_spans(const SegmentStore& store, uint32_t stream, int64_t from_us, int64_t to_us,
                                   int64_t max_gap_us) {
  std::lock_guard<std::mutex> lock(IndexAccess::mutex(store));
  store.check_open();
  std::vector<FrameSpan> spans;
  if (stream >= store.streams().size()) return spans;
  // The frames in range, oldest first; `breaks_before` marks a frame after skipped damage.
  struct Ref {
    const IndexEntry* e;
    bool breaks_before;
  };
  std::vector<Ref> frames;
  bool damage = false;
  const std::vector<Segment>& segments = IndexAccess::segments(store);
  for (uint32_t index : store.live_segments_in_order()) {
    const Segment& seg = segments[index];
    // Segments wholly outside the range are not walked: a caller asking for what came since
    // its last look (the phone, after each live chunk) reads only the newest segment.
    if (seg.max_pts_us < from_us || seg.min_pts_us >= to_us) continue;
    damage = damage || !seg.holes.empty();  // damaged records were skipped: the footage breaks
    for (const IndexEntry& e : seg.frames[stream]) {
      if (e.pts_us < from_us || e.pts_us >= to_us) continue;
      frames.push_back({&e, damage});
      damage = false;
    }
  }
  auto step = [&](size_t i) { return frames[i].e->dts_us - frames[i - 1].e->dts_us; };
  // A gap: a step beyond max_gap that is more than twice the step before it and not followed
  // by steps of its own size — a camera that slows down (a parked dashcam's timelapse, one
  // frame a second) changes its rate, it does not leave a hole.
  auto is_gap = [&](size_t i) {
    int64_t s = step(i);
    if (s <= max_gap_us) return false;
    if (i >= 2 && s <= 2 * step(i - 1)) return false;
    if (i + 1 < frames.size() && step(i + 1) * 2 >= s) return false;
    return true;
  };
  FrameSpan run;
  int64_t min_pts = INT64_MAX, max_pts = INT64_MIN, smallest = INT64_MAX, rate = 0;
  auto close_run = [&] {
    if (run.frames == 0) return;
    run.from_us = min_pts;
    run.to_us = max_pts + (smallest == INT64_MAX ? rate : smallest);  // one frame after the last
    spans.push_back(run);
    run = FrameSpan{};
    min_pts = INT64_MAX;
    max_pts = INT64_MIN;
    smallest = INT64_MAX;
  };
  for (size_t i = 0; i < frames.size(); ++i) {
    const IndexEntry& e = *frames[i].e;
    if (i > 0) {
      if (frames[i].breaks_before || is_gap(i)) {
        close_run();
      } else if (step(i) > 0) {
        smallest = std::min(smallest, step(i));
        rate = step(i);
      }
    }
    min_pts = std::min(min_pts, e.pts_us);
    max_pts = std::max(max_pts, e.pts_us);
    run.frames++;
  }
  close_run();
  return spans;
}

}  // namespace ringclip::store
