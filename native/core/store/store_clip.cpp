#include "store/store_clip.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "util/error.h"

namespace ringclip::store {
namespace {

constexpr uint32_t kTimescale = 90000;

int64_t to_ticks(int64_t us) { return int64_t(std::llround(double(us) * kTimescale / 1e6)); }

struct Ref {
  uint32_t segment;
  const IndexEntry* entry;
  bool after_gap;  // decoding cannot continue from the previous frame (overwritten or damaged between)
};

// The stream's frames in decode order over the live segments, with gaps marked.
std::vector<Ref> stream_frames(const SegmentStore& store, uint32_t stream, int64_t to_us) {
  std::vector<Ref> out;
  uint64_t expected_seq = 0;
  bool first = true;
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
      out.push_back({index, &e, gap || after_hole});
      gap = false;
    }
    if (!seg.frames[stream].empty() && seg.frames[stream].front().dts_us > to_us) break;
  }
  return out;
}

}  // namespace

std::string format_time_us(int64_t us) {
  if (us == INT64_MIN || us == INT64_MAX) return "(none)";
  time_t secs = time_t(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
  int ms = int((us - int64_t(secs) * 1000000) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, ms);
  return out;
}

StoreClip::StoreClip(SegmentStore& store, const ClipRequest& req) : store_(&store) {
  if (req.to_us <= req.from_us) throw Error(ErrorCode::InvalidArgument, "a clip's 'to' must be after its 'from'");
  if (req.streams.empty()) throw Error(ErrorCode::InvalidArgument, "a clip needs at least one stream");
  std::lock_guard<std::mutex> lock(store.mutex());
  if (store.closed()) throw Error(ErrorCode::Closed, "the store is closed");

  struct Selected {
    uint32_t stream;
    std::vector<Ref> refs;  // decode order, leading pictures removed
    int64_t present_from;   // first presented pts
    int64_t present_end;    // end of the last presented frame
    int64_t frame_us;
    const StreamConfig* config;
  };
  std::vector<Selected> chosen;
  for (uint32_t stream : req.streams) {
    const std::string& name = store.streams().at(stream).name;
    std::vector<Ref> all = stream_frames(store, stream, req.to_us);
    int64_t retained_from = INT64_MAX, retained_to = INT64_MIN;
    for (const Ref& r : all) {
      retained_from = std::min(retained_from, r.entry->pts_us);
      retained_to = std::max(retained_to, r.entry->pts_us);
    }
    auto retained = [&] {
      return all.empty() ? std::string("nothing of stream '" + name + "' is retained")
                         : "stream '" + name + "' retains " + format_time_us(retained_from) + " to " + format_time_us(retained_to);
    };
    // Start: the last random access point at or before `from` from which decoding reaches `to`
    // without a gap; else (partial) the first one after `from`.
    ptrdiff_t start = -1;
    for (ptrdiff_t i = 0; i < ptrdiff_t(all.size()); ++i) {
      const Ref& r = all[i];
      if (r.entry->dts_us >= req.to_us) break;
      if (r.after_gap && start >= 0 && r.entry->pts_us <= req.from_us) start = -1;  // decoding broke before from
      if (r.entry->random_access && r.entry->pts_us <= req.from_us) start = i;
    }
    bool partial = false;
    std::string note;
    if (start < 0) {
      for (ptrdiff_t i = 0; i < ptrdiff_t(all.size()); ++i)
        if (all[i].entry->random_access && all[i].entry->pts_us > req.from_us && all[i].entry->pts_us < req.to_us) {
          start = i;
          break;
        }
      if (start < 0)
        throw Error(ErrorCode::Range, "no retained footage of stream '" + name + "' between " + format_time_us(req.from_us) +
                                          " and " + format_time_us(req.to_us) + ": " + retained());
      if (!req.allow_partial)
        throw Error(ErrorCode::Range, "footage of stream '" + name + "' from " + format_time_us(req.from_us) +
                                          " is no longer retained (" + retained() +
                                          "); pass allowPartial to clip what remains, from " +
                                          format_time_us(all[start].entry->pts_us));
      partial = true;
      note = "starts at " + format_time_us(all[start].entry->pts_us) + " instead of " + format_time_us(req.from_us) +
             ": the beginning was overwritten";
    }
    Selected sel;
    sel.stream = stream;
    const IndexEntry* rap = all[start].entry;
    sel.config = store.config(stream, rap->config_id);
    if (!sel.config || sel.config->sps.empty())
      throw Error(ErrorCode::InvalidData, "the parameter sets of stream '" + name + "' at " + format_time_us(rap->pts_us) + " were lost");
    bool recovery_start = rap->random_access == uint8_t(h264::RandomAccess::Recovery);
    uint64_t leading = 0;
    ptrdiff_t last_presented = -1;
    for (ptrdiff_t i = start; i < ptrdiff_t(all.size()); ++i) {
      const Ref& r = all[i];
      if (r.entry->dts_us >= req.to_us) break;
      if (i > start && (r.after_gap || r.entry->config_id != rap->config_id)) {
        partial = true;
        note += std::string(note.empty() ? "" : "; ") + "ends at " + format_time_us(r.entry->pts_us) +
                (r.after_gap ? ": footage after it is missing" : ": the stream's parameters change there");
        break;
      }
      if (recovery_start && i > start && r.entry->random_access) recovery_start = false;
      if (recovery_start && i > start && r.entry->pts_us < rap->pts_us) {
        leading++;  // references the GOP before the random access point: undecodable here
        continue;
      }
      sel.refs.push_back(r);
      if (r.entry->pts_us < req.to_us) last_presented = ptrdiff_t(sel.refs.size()) - 1;
    }
    if (last_presented < 0)
      throw Error(ErrorCode::Range, "no retained footage of stream '" + name + "' is presented between " +
                                        format_time_us(req.from_us) + " and " + format_time_us(req.to_us) + ": " + retained());
    sel.refs.resize(size_t(last_presented) + 1);
    // A typical frame duration: the smallest positive dts step (robust to gaps).
    int64_t step = INT64_MAX;
    for (size_t i = 1; i < sel.refs.size(); ++i) {
      int64_t d = sel.refs[i].entry->dts_us - sel.refs[i - 1].entry->dts_us;
      if (d > 0) step = std::min(step, d);
    }
    sel.frame_us = step == INT64_MAX ? 33333 : step;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (const Ref& r : sel.refs) {
      if (r.entry->pts_us >= req.to_us) continue;
      lo = std::min(lo, r.entry->pts_us);
      hi = std::max(hi, r.entry->pts_us);
    }
    if (hi + sel.frame_us <= req.from_us)
      throw Error(ErrorCode::Range, "no retained footage of stream '" + name + "' between " + format_time_us(req.from_us) +
                                        " and " + format_time_us(req.to_us) + ": " + retained());
    sel.present_from = lo;
    sel.present_end = hi + sel.frame_us;
    ClipTrackReport rep;
    rep.stream = stream;
    rep.name = name;
    rep.first_pts_us = lo;
    rep.end_pts_us = sel.present_end;
    rep.frames = sel.refs.size();
    rep.dropped_leading = leading;
    rep.partial = partial;
    rep.note = note;
    reports_.push_back(rep);
    chosen.push_back(std::move(sel));
  }

  // One timeline for all tracks (the capture clock): zero at the earliest presented frame,
  // or exactly at `from` for exact cuts.
  int64_t t0 = INT64_MAX, t_end = INT64_MIN;
  for (const Selected& s : chosen) {
    t0 = std::min(t0, s.present_from);
    t_end = std::max(t_end, s.present_end);
  }
  if (req.exact) {
    t0 = std::max(t0, req.from_us);
    t_end = std::min(t_end, req.to_us);
  }
  start_us_ = t0;
  end_us_ = t_end;
  movie_.timescale = kTimescale;
  movie_.creation_time_us = t0;

  std::vector<uint32_t> pins;
  uint32_t track_id = 1;
  for (const Selected& s : chosen) {
    mp4::Track t;
    t.track_id = track_id++;
    t.name = store.streams()[s.stream].name;
    t.timescale = kTimescale;
    t.width = s.config->width;
    t.height = s.config->height;
    t.sar_width = s.config->sar_width;
    t.sar_height = s.config->sar_height;
    t.sps = s.config->sps;
    t.pps = s.config->pps;
    int64_t base = s.refs.front().entry->dts_us;
    t.samples.reserve(s.refs.size());
    for (size_t i = 0; i < s.refs.size(); ++i) {
      const Ref& r = s.refs[i];
      mp4::Sample sm;
      sm.dts = to_ticks(r.entry->dts_us - base);
      sm.pts = to_ticks(r.entry->pts_us - base);
      sm.sync = r.entry->random_access != 0;
      sm.data = ByteSpan{store.payload(r.segment, *r.entry), r.entry->payload_size};
      t.samples.push_back(sm);
      if (pins.empty() || std::find(pins.begin(), pins.end(), r.segment) == pins.end()) pins.push_back(r.segment);
    }
    for (size_t i = 0; i + 1 < t.samples.size(); ++i)
      t.samples[i].duration = uint32_t(std::max<int64_t>(1, t.samples[i + 1].dts - t.samples[i].dts));
    t.samples.back().duration = uint32_t(to_ticks(s.frame_us));
    // Edit list: an empty edit until this track's first presented frame, then its frames.
    int64_t present_from = req.exact ? std::max(s.present_from, req.from_us) : s.present_from;
    int64_t present_end = req.exact ? std::min(s.present_end, req.to_us) : s.present_end;
    if (present_from > t0) t.edits.push_back({uint64_t(to_ticks(present_from - t0)), -1});
    if (present_end > present_from)
      t.edits.push_back({uint64_t(to_ticks(present_end - present_from)), to_ticks(present_from - base)});
    movie_.tracks.push_back(std::move(t));
  }
  for (uint32_t seg : pins) store.pin_locked(seg);
  pinned_ = std::move(pins);
}

StoreClip::~StoreClip() { release(); }

void StoreClip::release() {
  if (!store_) return;
  for (uint32_t seg : pinned_) store_->unpin(seg);
  pinned_.clear();
  store_ = nullptr;
}

bool StoreClip::partial() const {
  for (auto& r : reports_)
    if (r.partial) return true;
  return false;
}

}  // namespace ringclip::store
