#include "store/store_info.h"

#include <algorithm>
#include <map>

#include "store/index_access.h"

namespace ringclip::store {

StoreInfo describe(const SegmentStore& store) {
  std::lock_guard<std::mutex> lock(IndexAccess::mutex(store));
  store.check_open();
  StoreInfo info;
  const Header& h = store.header();
  info.capacity = h.file_size;
  info.segment_size = h.segment_size;
  info.segments = h.segment_count;
  info.protect_cap_bytes = h.protect_cap_bytes;
  info.protections = uint32_t(h.protections.size());
  info.current_drive = store.writable() ? store.drive_id() : 0;
  std::map<uint32_t, DriveInfo> drives;
  for (uint32_t s = 0; s < store.streams().size(); ++s) {
    const StreamState& st = store.streams()[s];
    StreamInfo si;
    si.name = st.name;
    si.kind = st.kind;
    const bool video = st.kind == StreamKind::Video;
    si.overwritten_frames = st.overwritten_frames;
    si.dropped_frames = st.dropped_frames;
    si.rejected_units = st.rejected_units;
    uint32_t last_config = 0;
    for (uint32_t index : store.live_segments_in_order()) {
      const Segment& seg = IndexAccess::segments(store)[index];
      for (const IndexEntry& e : seg.frames[s]) {
        si.frames++;
        si.bytes += e.payload_size;
        if (e.random_access) si.keyframes++;
        if (e.random_access == uint8_t(h264::RandomAccess::Idr) && video) si.idr_frames++;
        if (e.random_access == uint8_t(h264::RandomAccess::Recovery)) si.recovery_points++;
        if (si.first_us == INT64_MIN || e.pts_us < si.first_us) si.first_us = e.pts_us;
        if (si.last_us == INT64_MIN || e.pts_us > si.last_us) si.last_us = e.pts_us;
        last_config = e.config_id;
      }
      for (const DriveSpan& d : seg.drives) {
        if (d.stream != s) continue;
        DriveInfo& di = drives[d.drive_id];
        di.id = d.drive_id;
        di.first_us = std::min(di.first_us, d.first_pts_us);
        di.last_us = std::max(di.last_us, d.last_pts_us);
        di.frames += d.frames;
        if (std::find(di.streams.begin(), di.streams.end(), st.name) == di.streams.end()) di.streams.push_back(st.name);
      }
    }
    if (const StreamConfig* c = store.config(s, last_config)) {
      si.codec = c->codec();
      si.width = c->width;
      si.height = c->height;
      si.profile_idc = c->profile_idc;
      si.level_idc = c->level_idc;
      si.sample_rate = c->sample_rate;
      si.channels = c->channels;
    }
    info.overwritten_frames += si.overwritten_frames;
    info.dropped_frames += si.dropped_frames;
    info.streams.push_back(std::move(si));
  }
  for (auto& [id, d] : drives) info.drives.push_back(d);
  for (uint32_t i = 0; i < IndexAccess::segments(store).size(); ++i) {
    const Segment& seg = IndexAccess::segments(store)[i];
    if (!seg.live()) continue;
    info.live_segments++;
    info.used += seg.used;
    if (seg.pins) info.pinned_segments++;
  }
  info.protected_bytes = store.protected_bytes();
  return info;
}

std::vector<FrameRef> find_frames(const SegmentStore& store, uint32_t stream, int64_t from_us, int64_t to_us) {
  std::lock_guard<std::mutex> lock(IndexAccess::mutex(store));
  store.check_open();
  std::vector<FrameRef> out;
  for (uint32_t index : store.live_segments_in_order()) {
    const Segment& seg = IndexAccess::segments(store)[index];
    const auto& frames = seg.frames[stream];
    if (frames.empty() || seg.max_pts_us < from_us || seg.min_pts_us >= to_us) continue;
    for (const IndexEntry& e : frames)
      if (e.pts_us >= from_us && e.pts_us < to_us) out.push_back({index, seg.seq, &e});
  }
  return out;
}

std::vector<FrameRef> frames_after(const SegmentStore& store, uint32_t stream, int64_t after_dts_us, uint32_t max) {
  std::lock_guard<std::mutex> lock(IndexAccess::mutex(store));
  store.check_open();
  std::vector<FrameRef> out;
  for (uint32_t index : store.live_segments_in_order()) {
    const Segment& seg = IndexAccess::segments(store)[index];
    const auto& frames = seg.frames[stream];
    if (frames.empty() || frames.back().dts_us <= after_dts_us) continue;
    auto it = std::upper_bound(frames.begin(), frames.end(), after_dts_us,
                               [](int64_t t, const IndexEntry& e) { return t < e.dts_us; });
    for (; it != frames.end() && out.size() < max; ++it) out.push_back({index, seg.seq, &*it});
    if (out.size() >= max) break;
  }
  return out;
}

}  // namespace ringclip::store
