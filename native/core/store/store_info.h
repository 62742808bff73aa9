#pragma once
// A snapshot of what a store holds, for info() and the CLI. Computed from the index.
#include <cstdint>
#include <string>
#include <vector>

#include "store/segment_store.h"

namespace ringclip::store {

struct StreamInfo {
  std::string name;
  StreamKind kind = StreamKind::Video;
  std::string codec;                       // "avc1.64001f", "mp4a.40.2", "camm"; empty before the first frame
  uint32_t sample_rate = 0, channels = 0;  // audio
  uint32_t width = 0, height = 0;
  uint8_t profile_idc = 0, level_idc = 0;
  uint64_t frames = 0, keyframes = 0, idr_frames = 0, recovery_points = 0;
  int64_t first_us = INT64_MIN, last_us = INT64_MIN;  // pts of the first and last retained frames
  uint64_t bytes = 0;
  uint64_t overwritten_frames = 0, dropped_frames = 0, rejected_units = 0;
};

struct DriveInfo {
  uint32_t id = 0;
  int64_t first_us = INT64_MAX, last_us = INT64_MIN;
  uint64_t frames = 0;
  std::vector<std::string> streams;
};

struct StoreInfo {
  uint64_t capacity = 0, used = 0, segment_size = 0;
  uint32_t segments = 0, live_segments = 0, pinned_segments = 0;
  uint64_t protected_bytes = 0, protect_cap_bytes = 0;
  uint32_t protections = 0;
  uint32_t current_drive = 0;
  uint64_t overwritten_frames = 0, dropped_frames = 0;
  std::vector<StreamInfo> streams;
  std::vector<DriveInfo> drives;
};

// Each of these takes the store's mutex itself and throws Error(Closed) once the store is closed.
StoreInfo describe(const SegmentStore& store);

// The frames of one stream whose pts lies in [from_us, to_us), in decode order. `entry`
// points into the index: read it on the writing thread, before the next write.
struct FrameRef {
  uint32_t segment;
  uint64_t segment_seq;
  const IndexEntry* entry;
};
std::vector<FrameRef> find_frames(const SegmentStore& store, uint32_t stream, int64_t from_us, int64_t to_us);
// Up to `max` frames of one stream with dts after `after_dts_us`, in decode order (followers).
std::vector<FrameRef> frames_after(const SegmentStore& store, uint32_t stream, int64_t after_dts_us, uint32_t max);

}  // namespace ringclip::store
