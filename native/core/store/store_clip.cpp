#include "store/store_clip.h"

#include "util/error.h"

namespace ringclip::store {
namespace {

// The stream's frames in decode order over the live segments, with gaps marked (a segment
// that does not continue the previous one's record sequence, or damage skipped inside one).
exporting::SourceTrack source_track(const SegmentStore& store, uint32_t stream, int64_t to_us) {
  exporting::SourceTrack track;
  track.name = store.streams().at(stream).name;
  uint64_t expected_seq = 0;
  bool first = true;
  std::vector<uint32_t> config_ids;
  for (uint32_t index : store.live_segments_in_order()) {
    const Segment& seg = store.segments()[index];
    bool gap = first || seg.first_record_seq != expected_seq;
    first = false;
    expected_seq = seg.next_record_seq;
    size_t hole = 0;
    for (const IndexEntry& e : seg.frames[stream]) {
      bool after_hole = false;
      while (hole < seg.holes.size() && seg.holes[hole] < e.offset) {
        after_hole = true;
        ++hole;
      }
      exporting::SourceSample s;
      s.dts_us = e.dts_us;
      s.pts_us = e.pts_us;
      s.random_access = e.random_access;
      s.after_gap = gap || after_hole;
      s.config = e.config_id;
      s.data = ByteSpan{store.payload(index, e), e.payload_size};
      s.origin = index;
      track.samples.push_back(s);
      if (config_ids.empty() || config_ids.back() != e.config_id) config_ids.push_back(e.config_id);
      gap = false;
    }
    if (!seg.frames[stream].empty() && seg.frames[stream].front().dts_us > to_us) break;
  }
  for (uint32_t id : config_ids) {
    const StreamConfig* c = store.config(stream, id);
    if (!c) continue;
    bool known = false;
    for (auto& x : track.configs) known = known || x.id == id;
    if (known) continue;
    track.configs.push_back({c->id, c->sps, c->pps, c->width, c->height, c->sar_width, c->sar_height});
  }
  return track;
}

}  // namespace

StoreClip::StoreClip(std::shared_ptr<SegmentStore> owner, const ClipRequest& req) : store_(std::move(owner)) {
  SegmentStore& store = *store_;
  std::lock_guard<std::mutex> lock(store.mutex());
  if (store.closed()) throw Error(ErrorCode::Closed, "the store is closed");
  std::vector<exporting::SourceTrack> tracks;
  for (uint32_t stream : req.streams) tracks.push_back(source_track(store, stream, req.to_us));
  cut_ = exporting::cut_clip(tracks, {req.from_us, req.to_us, req.exact, req.allow_partial});
  for (uint32_t seg : cut_.origins) store.pin_locked(seg);
  pinned_ = cut_.origins;
}

StoreClip::~StoreClip() { release(); }

void StoreClip::release() {
  if (!store_) return;
  for (uint32_t seg : pinned_) store_->unpin(seg);
  pinned_.clear();
  store_.reset();
}

}  // namespace ringclip::store
