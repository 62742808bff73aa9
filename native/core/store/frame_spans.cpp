#include "store/frame_spans.h"

#include <algorithm>

namespace ringclip::store {

std::vector<FrameSpan> frame_spans(const SegmentStore& store, uint32_t stream, int64_t from_us, int64_t to_us,
                                   int64_t max_gap_us) {
  std::vector<FrameSpan> spans;
  if (stream >= store.streams().size()) return spans;
  struct Run {
    FrameSpan span;
    int64_t min_pts = INT64_MAX, max_pts = INT64_MIN;
    int64_t last_dts = INT64_MIN;
    int64_t step = INT64_MAX;  // the smallest dts step: one frame
    int64_t last_step = 0;     // the step before this frame's
  } run;
  bool open = false;
  auto close_run = [&] {
    if (!open) return;
    int64_t frame = run.step == INT64_MAX ? 0 : run.step;
    run.span.from_us = run.min_pts;
    run.span.to_us = run.max_pts + frame;
    spans.push_back(run.span);
    open = false;
  };
  const std::vector<Segment>& segments = store.segments();
  for (uint32_t index : store.live_segments_in_order()) {
    const Segment& seg = segments[index];
    // Damaged records were skipped here: decoding (and the footage) breaks.
    if (!seg.holes.empty()) close_run();
    for (const IndexEntry& e : seg.frames[stream]) {
      if (e.pts_us < from_us || e.pts_us >= to_us) continue;
      // A gap is a step beyond max_gap that is also more than twice the step before it: a
      // timelapse (one frame a second while parked) is contiguous footage at its own rate.
      if (open) {
        int64_t step = e.dts_us - run.last_dts;
        if (step > max_gap_us && (run.last_step == 0 || step > 2 * run.last_step)) close_run();
        else run.last_step = step;
      }
      if (!open) {
        run = Run{};
        open = true;
      } else if (e.dts_us > run.last_dts) {
        run.step = std::min(run.step, e.dts_us - run.last_dts);
      }
      run.min_pts = std::min(run.min_pts, e.pts_us);
      run.max_pts = std::max(run.max_pts, e.pts_us);
      run.last_dts = e.dts_us;
      run.span.frames++;
    }
  }
  close_run();
  return spans;
}

}  // namespace ringclip::store
