#pragma once
// SEI messages (H.264 7.3.2.3, D.1): only the recovery point matters to ringclip.
#include <cstdint>
#include <optional>

#include "h264/nal.h"

namespace ringclip::h264 {

struct RecoveryPoint {
  uint32_t recovery_frame_cnt = 0;
  bool exact_match = false;
  bool broken_link = false;
};

// Walks the SEI messages of one SEI NAL unit; returns the recovery point when present.
// Malformed SEI returns nullopt (an SEI is never a reason to reject a picture).
std::optional<RecoveryPoint> find_recovery_point(const NalView& sei);

}  // namespace ringclip::h264
