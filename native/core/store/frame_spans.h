#pragma once
// What a stream covers: its retained frames as runs of contiguous footage. A consumer that
// asks "which parts of this drive do I have" (the phone's timeline, gap fill) reads it from
// the index instead of keeping a second copy of its own.
#include <cstdint>
#include <vector>

#include "store/segment_store.h"

namespace ringclip::store {

struct FrameSpan {
  int64_t from_us = 0;  // pts of the first presented frame
  int64_t to_us = 0;    // end of the last presented frame (its pts + one frame duration)
  uint64_t frames = 0;
};

// Runs of the frames of `stream` whose pts lies in [from_us, to_us), oldest first. A run
// breaks where consecutive frames (decode order) are more than `max_gap_us` apart, more than
// twice the step before, and not followed by steps of that size (a timelapse at its own slow
// rate is a change of rate, not a hole), and where recovery skipped damaged records. A run
// ends one frame after its last presented frame: the run's smallest decode-time step
// (robust to a late frame). Takes the store's mutex itself; Error(Closed) once closed.
std::vector<FrameSpan> frame_spans(const SegmentStore& store, uint32_t stream, int64_t from_us, int64_t to_us,
                                   int64_t max_gap_us);

}  // namespace ringclip::store
