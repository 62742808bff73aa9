#include "store/store_clip.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "store/index_access.h"
#include "util/error.h"
#include "util/scratch.h"
#include "util/time_range.h"

namespace ringclip::store {
namespace {

// Where the cutter's search for its start ends: the position in `order` of the segment
// holding the stream's last key frame at or before `from` (scanning, as the cutter does, up
// to the first frame decoded at or after `to`); 0 when there is none. Segments before it
// cannot hold any frame of a clean cut. Reading only index entries, this costs ~1 ns per
// frame, where handing every retained frame to the cutter costs ~60 (a 20 s clip at the
// end of a 25 min dual ring: 6 ms to cut, twice the time of writing it).
size_t first_needed_segment(const SegmentStore& store, const std::vector<uint32_t>& order, uint32_t stream,
                            int64_t from_us, int64_t to_us) {
  size_t first = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const Segment& seg = IndexAccess::segments(store)[order[k]];
    const std::vector<IndexEntry>& frames = seg.frames[stream];
    // A segment presenting nothing at or before `from` cannot hold the key frame: only
    // where `to` falls matters there, and decode times increase, so its last entry says.
    // (An hour-long clip from its first frame scanned all 108,000 entries, now one segment's.)
    if (seg.min_pts_us > from_us) {
      if (!frames.empty() && frames.back().dts_us >= to_us) return first;
      continue;
    }
    for (const IndexEntry& e : frames) {
      if (e.dts_us >= to_us) return first;
      if (e.random_access && e.pts_us <= from_us) first = k;
    }
  }
  return first;
}

// The stream's frames in decode order over the live segments from order[first_segment],
// with gaps marked (a segment that does not continue the previous one's record sequence,
// or damage skipped inside one; the first segment read always starts after a gap).
exporting::SourceTrack source_track(const SegmentStore& store, const std::vector<uint32_t>& order, size_t first_segment,
                                    uint32_t stream, int64_t to_us) {
  exporting::SourceTrack track;
  track.samples = Scratch<exporting::SourceSample>::take();
  track.name = store.streams().at(stream).name;
  track.kind = mp4::TrackKind(store.streams().at(stream).kind);
  uint64_t expected_seq = 0;
  bool first = true;
  std::vector<uint32_t> config_ids;
  // Sized once: an hour of a camera is ~108,000 frames, and growing by doubling would move
  // them (and fault in fresh pages) a dozen times.
  size_t frames = 0;
  for (size_t k = first_segment; k < order.size(); ++k) {
    const Segment& seg = IndexAccess::segments(store)[order[k]];
    frames += seg.frames[stream].size();
    if (!seg.frames[stream].empty() && seg.frames[stream].front().dts_us > to_us) break;
  }
  track.samples.reserve(frames);
  for (size_t k = first_segment; k < order.size(); ++k) {
    const uint32_t index = order[k];
    const Segment& seg = IndexAccess::segments(store)[index];
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
    exporting::SourceConfig sc;
    sc.id = c->id;
    sc.sps = c->sps;
    sc.pps = c->pps;
    sc.width = c->width;
    sc.height = c->height;
    sc.sar_width = c->sar_width;
    sc.sar_height = c->sar_height;
    sc.config = c->config;
    sc.format = c->format;
    sc.sample_rate = c->sample_rate;
    sc.channels = c->channels;
    sc.frame_samples = c->frame_samples;
    track.configs.push_back(std::move(sc));
  }
  return track;
}

// The cut when it is whole (no error, no track partial); nothing otherwise.
std::optional<exporting::CutResult> clean_cut(const std::vector<exporting::SourceTrack>& tracks,
                                              const exporting::CutRequest& request) {
  try {
    exporting::CutResult result = exporting::cut_clip(tracks, request);
    if (!result.partial()) return result;
  } catch (const Error&) {
  }
  return std::nullopt;
}

// Identifies the stored bytes a clip shows (its ETags are made of it: export/etag.h): which
// store (its creation time), which segments (their sequence numbers, which change when a
// segment is rewritten) and where in them each sample lies. Under the store's mutex.
uint64_t clip_identity(const SegmentStore& store, const exporting::CutResult& cut) {
  constexpr uint64_t kPrime = 1099511628211ull;  // FNV-1a's 64-bit prime
  uint64_t identity = uint64_t(store.header().created_us);
  for (uint32_t seg : cut.origins) identity = identity * kPrime ^ IndexAccess::segments(store)[seg].seq;
  const uintptr_t base = reinterpret_cast<uintptr_t>(store.segment_data(0));
  // Four interleaved chains, folded at the end: one chain waits a multiplication per sample
  // (108,000 for an hour), four overlap.
  for (const mp4::Track& t : cut.movie.tracks) {
    uint64_t lane[4] = {identity, identity ^ 1, identity ^ 2, identity ^ 3};
    const size_t n = t.samples.size();
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (size_t k = 0; k < 4; ++k)
        lane[k] = lane[k] * kPrime ^ uint64_t(reinterpret_cast<uintptr_t>(t.samples[i + k].data.data) - base);
    for (; i < n; ++i)
      lane[0] = lane[0] * kPrime ^ uint64_t(reinterpret_cast<uintptr_t>(t.samples[i].data.data) - base);
    identity = ((lane[0] * kPrime ^ lane[1]) * kPrime ^ lane[2]) * kPrime ^ lane[3];
    identity = identity * kPrime ^ n;
  }
  return identity;
}

}  // namespace

StoreClip::StoreClip(std::shared_ptr<SegmentStore> owner, const ClipRequest& req) : store_(std::move(owner)) {
  check_time("a clip's 'from'", req.from_us);
  check_time("a clip's 'to'", req.to_us);
  SegmentStore& store = *store_;
  std::lock_guard<std::mutex> lock(IndexAccess::mutex(store));
  if (store.closed()) throw Error(ErrorCode::Closed, "the store is closed");
  const std::vector<uint32_t> order = store.live_segments_in_order();
  const exporting::CutRequest cut{
      req.from_us, req.to_us, req.exact, req.allow_partial, req.timelapse_every_us, req.timelapse_frame_us};
  std::vector<exporting::SourceTrack> tracks;
  bool skipped = false;
  // Audio and metadata follow the span of the video, which starts at a key frame before
  // `from`: they start reading a segment before the earliest video stream's first (AAC also
  // keeps a frame of pre-roll). Without video, they are searched like video (every sample
  // is a random access point).
  auto is_video = [&](uint32_t stream) { return store.streams().at(stream).kind == StreamKind::Video; };
  std::vector<size_t> firsts(req.streams.size(), 0);
  size_t earliest_video = SIZE_MAX;
  for (size_t i = 0; i < req.streams.size() && !req.read_all_segments; ++i) {
    if (!is_video(req.streams[i])) continue;
    firsts[i] = first_needed_segment(store, order, req.streams[i], req.from_us, req.to_us);
    earliest_video = std::min(earliest_video, firsts[i]);
  }
  for (size_t i = 0; i < req.streams.size(); ++i) {
    size_t first = firsts[i];
    if (!is_video(req.streams[i]) && !req.read_all_segments) {
      // Searched only when no video sets the span: a scan of every audio frame otherwise wasted.
      first = earliest_video != SIZE_MAX ? earliest_video
                                         : first_needed_segment(store, order, req.streams[i], req.from_us, req.to_us);
      first = first > 0 ? first - 1 : 0;
    }
    skipped = skipped || first > 0;
    tracks.push_back(source_track(store, order, first, req.streams[i], req.to_us));
  }
  // A clean cut from the needed segments is the cut from all of them: the cutter starts at
  // that last key frame either way. Anything else (a gap after it, a partial or failed cut)
  // is decided, and reported, on everything the store retains.
  std::optional<exporting::CutResult> clean;
  if (skipped) clean = clean_cut(tracks, cut);
  if (clean) {
    cut_ = std::move(*clean);
    skipped_segments_ = true;
  } else {
    if (skipped) {
      for (exporting::SourceTrack& t : tracks) Scratch<exporting::SourceSample>::give(std::move(t.samples));
      tracks.clear();
      for (uint32_t stream : req.streams) tracks.push_back(source_track(store, order, 0, stream, req.to_us));
    }
    cut_ = exporting::cut_clip(tracks, cut);
  }
  for (exporting::SourceTrack& t : tracks) Scratch<exporting::SourceSample>::give(std::move(t.samples));
  for (uint32_t seg : cut_.origins) IndexAccess::pin_locked(store, seg);
  pinned_ = cut_.origins;
}

uint64_t StoreClip::identity() const {
  std::call_once(identity_once_, [&] {
    // The segments are pinned (their sequence numbers cannot change) while the clip holds
    // them; the index they are read from is the store's, under its mutex.
    if (!store_) throw Error(ErrorCode::Closed, "the clip was released");
    std::lock_guard<std::mutex> lock(IndexAccess::mutex(*store_));
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    identity_ = clip_identity(*store_, cut_);
  });
  return identity_;
}

StoreClip::~StoreClip() {
  release();
  // The clip's sample tables go back for the next clip (util/scratch.h).
  for (mp4::Track& t : cut_.movie.tracks) Scratch<mp4::Sample>::give(std::move(t.samples));
}

void StoreClip::release() {
  if (!store_) return;
  for (uint32_t seg : pinned_) store_->unpin(seg);
  pinned_.clear();
  store_.reset();
}

}  // namespace ringclip::store
