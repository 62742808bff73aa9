#include "export/clip_cutter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "audio/aac.h"
#include "export/timelapse.h"
#include "h264/parameter_sets.h"
#include "mp4/movie_time.h"
#include "util/error.h"
#include "util/scratch.h"
#include "util/time_range.h"

namespace ringclip::exporting {
namespace {

constexpr uint32_t kTimescale = 90000;

__attribute__((always_inline)) inline int64_t to_ticks(int64_t us) {
  return mp4::rescale_signed(us, 1000000, kTimescale);
}

struct Selected {
  const SourceTrack* track;
  std::vector<const SourceSample*> samples;  // decode order, leading pictures removed
  const SourceConfig* config;
  int64_t present_from;  // first presented pts
  int64_t present_end;   // end of the last presented frame
  int64_t frame_us;
};

Selected select(const SourceTrack& track, const CutRequest& asked, CutTrackReport& rep) {
  const std::string& name = track.name;
  const auto& all = track.samples;
  // A source that presents only part of its samples (an edit list starting inside the
  // media) is cut on what it presents: the request is narrowed to that window.
  CutRequest req = asked;
  req.from_us = std::max(req.from_us, track.presented_from_us);
  req.to_us = std::min(req.to_us, track.presented_to_us);
  int64_t retained_from = INT64_MAX, retained_to = INT64_MIN;  // presented by the source
  int64_t earliest = INT64_MAX, latest = INT64_MIN, earliest_dts = INT64_MAX, latest_dts = INT64_MIN;
  // Start: the last random access point at or before `from` from which decoding reaches
  // `from` without a gap (searched in the same pass, up to the first frame decoded at `to`).
  ptrdiff_t start = -1;
  bool searching = true;
  for (ptrdiff_t i = 0; i < ptrdiff_t(all.size()); ++i) {
    const SourceSample& s = all[i];
    if (s.pts_us >= track.presented_from_us && s.pts_us < track.presented_to_us) {
      retained_from = std::min(retained_from, s.pts_us);
      retained_to = std::max(retained_to, s.pts_us);
    }
    earliest = std::min(earliest, s.pts_us);
    latest = std::max(latest, s.pts_us);
    earliest_dts = std::min(earliest_dts, s.dts_us);
    latest_dts = std::max(latest_dts, s.dts_us);
    searching = searching && s.dts_us < req.to_us;
    if (!searching) continue;
    if (s.after_gap && start >= 0 && s.pts_us <= req.from_us) start = -1;
    if (s.random_access && s.pts_us <= req.from_us) start = i;
  }
  // The cut subtracts and rescales these times: outside the timeline range that could
  // overflow. Sources refuse such times when they take them in; this keeps the cutter safe
  // for a source that did not.
  if (!all.empty() && (std::min(earliest, earliest_dts) < kMinTimelineUs || std::max(latest, latest_dts) > kMaxTimeUs))
    throw Error(ErrorCode::InvalidData,
                "'" + name + "' holds frames timed from " + std::to_string(std::min(earliest, earliest_dts)) + " to " +
                    std::to_string(std::max(latest, latest_dts)) + " µs, outside the timelines ringclip holds (" +
                    std::to_string(kMinTimelineUs) + " to " + std::to_string(kMaxTimeUs) + " µs)");
  auto retained = [&] {
    return retained_from > retained_to
               ? std::string("nothing of '" + name + "' is retained")
               : "'" + name + "' retains " + format_time_us(retained_from) + " to " + format_time_us(retained_to);
  };
  auto nothing = [&]() -> Error {
    return Error(ErrorCode::Range, "no retained footage of '" + name + "' between " + format_time_us(asked.from_us) +
                                       " and " + format_time_us(asked.to_us) + ": " + retained());
  };
  if (req.to_us <= req.from_us) throw nothing();
  // No start before `from`: (partial) the first one after it.
  bool partial = false;
  std::string note;
  if (start < 0) {
    for (ptrdiff_t i = 0; i < ptrdiff_t(all.size()); ++i)
      if (all[i].random_access && all[i].pts_us > req.from_us && all[i].pts_us < req.to_us) {
        start = i;
        break;
      }
    if (start < 0) {
      for (const SourceSample& s : all)
        if (s.pts_us >= req.from_us && s.pts_us < req.to_us)
          throw Error(ErrorCode::Range,
                      "the footage of '" + name + "' between " + format_time_us(req.from_us) + " and " +
                          format_time_us(req.to_us) +
                          " cannot be decoded: no random access point (key frame) before or in it is retained (" +
                          retained() + ")");
      throw nothing();
    }
    if (!req.allow_partial)
      throw Error(ErrorCode::Range, "footage of '" + name + "' from " + format_time_us(req.from_us) +
                                        " is no longer retained (" + retained() +
                                        "); pass allowPartial to clip what remains, from " +
                                        format_time_us(all[start].pts_us));
    partial = true;
    note = "starts at " + format_time_us(all[start].pts_us) + " instead of " + format_time_us(req.from_us) +
           ": the beginning was overwritten";
  } else if (asked.from_us < req.from_us) {
    // Asked from before what the source presents (its edit list starts later): the clip
    // cannot show that beginning either, as for footage no longer retained.
    if (!req.allow_partial)
      throw Error(ErrorCode::Range, "footage of '" + name + "' from " + format_time_us(asked.from_us) +
                                        " is not in the source (" + retained() +
                                        "); pass allowPartial to clip what it presents, from " +
                                        format_time_us(req.from_us));
    partial = true;
    note = "starts at " + format_time_us(req.from_us) + " instead of " + format_time_us(asked.from_us) +
           ": the source presents nothing before it";
  }
  Selected sel;
  sel.track = &track;
  const SourceSample& rap = all[start];
  sel.config = nullptr;
  for (const SourceConfig& c : track.configs)
    if (c.id == rap.config && !c.sps.empty() && !c.pps.empty()) sel.config = &c;
  if (!sel.config)
    throw Error(ErrorCode::InvalidData,
                "the parameter sets of '" + name + "' at " + format_time_us(rap.pts_us) + " are missing");
  auto config_of = [&](uint32_t id) -> const SourceConfig* {
    for (const SourceConfig& c : track.configs)
      if (c.id == id && !c.sps.empty() && !c.pps.empty()) return &c;
    return nullptr;
  };
  // Open GOP: pictures after a recovery point in decode order but before it in presentation
  // reference the GOP before it, so they cannot be decoded here.
  bool leading_possible = true;
  uint64_t leading = 0;
  sel.samples = Scratch<const SourceSample*>::take();
  sel.samples.reserve(all.size() - size_t(start));
  ptrdiff_t last_presented = -1;
  // Gathered as samples are taken, as of the last one presented before `to`: the latest pts
  // so far (the end below), the smallest positive dts step (a frame duration robust to
  // gaps) and what the track presents of the span. One pass: an hour is 108,000 samples.
  int64_t taken_max = INT64_MIN, max_at_last = INT64_MIN;
  int64_t step = INT64_MAX, step_at_last = INT64_MAX;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  const SourceSample* previous = nullptr;
  uint32_t known_config = rap.config;  // checked above; samples come in runs of one configuration
  for (ptrdiff_t i = start; i < ptrdiff_t(all.size()); ++i) {
    const SourceSample& s = all[i];
    // Past `to`, only what the frames before it may still need: up to the next random
    // access point (nothing after one presents before it; see the end below).
    if (s.dts_us >= req.to_us && (s.random_access || last_presented < 0)) break;
    const bool configured = s.config == known_config || config_of(s.config);
    if (configured) known_config = s.config;
    if (i > start && (s.after_gap || !configured)) {
      if (s.pts_us < req.to_us) {
        partial = true;
        note += std::string(note.empty() ? "" : "; ") + "ends at " + format_time_us(s.pts_us) +
                (s.after_gap ? ": footage after it is missing" : ": the stream's parameter sets there are missing");
      }
      break;
    }
    if (i > start && s.random_access) leading_possible = false;
    if (leading_possible && i > start && s.pts_us < rap.pts_us) {
      leading++;
      continue;
    }
    sel.samples.push_back(&s);
    if (previous && s.dts_us > previous->dts_us) step = std::min(step, s.dts_us - previous->dts_us);
    previous = &s;
    taken_max = std::max(taken_max, s.pts_us);
    if (s.pts_us < req.to_us) {
      last_presented = ptrdiff_t(sel.samples.size()) - 1;
      max_at_last = taken_max;
      step_at_last = step;
      if (s.pts_us >= track.presented_from_us) {
        lo = std::min(lo, s.pts_us);
        hi = std::max(hi, s.pts_us);
      }
    }
  }
  if (last_presented < 0) throw nothing();
  // The end: after the last frame presented before `to` come, in decode order, frames it
  // may reference that present later (B-frames: the next P). A player that applies no
  // edit list (fragmented files, raw H.264) shows those too, so the clip must also hold
  // every frame presented before the latest of them: it ends where everything after it in
  // decode order presents after everything before it.
  {
    const size_t n = sel.samples.size(), tail = size_t(last_presented) + 1;
    int64_t max_before = max_at_last;  // latest pts of samples [0, end)
    step = step_at_last;
    // Only the few samples after the last presented one (up to the next random access
    // point) can be cut: the minimum pts of each suffix, over them alone. They present at
    // or after `to`: they change the step, not what the track presents.
    std::vector<int64_t> min_after(n - tail + 1, INT64_MAX);  // min pts of samples [tail + k, n)
    for (size_t k = n; k-- > tail;) min_after[k - tail] = std::min(min_after[k - tail + 1], sel.samples[k]->pts_us);
    size_t end = tail;
    for (; end < n && min_after[end - tail] <= max_before; ++end) {
      max_before = std::max(max_before, sel.samples[end]->pts_us);
      const int64_t d = sel.samples[end]->dts_us - sel.samples[end - 1]->dts_us;
      if (d > 0) step = std::min(step, d);
    }
    sel.samples.resize(end);
  }
  sel.frame_us = step == INT64_MAX ? 33333 : step;
  if (hi + sel.frame_us <= req.from_us) throw nothing();
  sel.present_from = lo;
  sel.present_end = hi + sel.frame_us;
  rep.name = name;
  rep.first_pts_us = lo;
  rep.end_pts_us = sel.present_end;
  rep.frames = sel.samples.size();
  rep.dropped_leading = leading;
  rep.partial = partial;
  rep.note = note;
  return sel;
}

// The id of a parameter set; sets too short to hold one (a source's own business: the
// decoder will say) all share one key, so two different ones never share an entry.
uint32_t set_id(const std::vector<uint8_t>& bytes, bool sps) {
  try {
    const h264::NalView nal{bytes.data(), bytes.size()};
    return sps ? h264::peek_sps_id(nal) : h264::peek_pps_id(nal);
  } catch (const Error&) {
    return UINT32_MAX;
  }
}

// Parameter sets by id, as one sample entry (avcC) holds them.
struct EntrySets {
  std::map<uint32_t, const std::vector<uint8_t>*> sps, pps;
  const SourceConfig* first;  // picture size and aspect of the entry

  // A configuration fits when every set it holds is absent here or the same bytes: one
  // avcC may carry sets of several ids, never two contents of one id.
  bool fits(const SourceConfig& c) const {
    for (const auto& b : c.sps) {
      auto it = sps.find(set_id(b, true));
      if (it != sps.end() && *it->second != b) return false;
    }
    for (const auto& b : c.pps) {
      auto it = pps.find(set_id(b, false));
      if (it != pps.end() && *it->second != b) return false;
    }
    return true;
  }
  void add(const SourceConfig& c) {
    for (const auto& b : c.sps) sps.emplace(set_id(b, true), &b);
    for (const auto& b : c.pps) pps.emplace(set_id(b, false), &b);
  }
};

// The sample entries of a clip's video track, decided sample by sample as the clip takes
// them (one pass over an hour's samples, not another to describe them): consecutive
// configurations share an entry while their sets fit in it, so a stream that carries
// several PPS at once, or repeats its sets, keeps one; a set redefined (new bytes for an
// id) starts another, or goes back to an earlier one it fits.
class VideoSampleEntries {
 public:
  explicit VideoSampleEntries(const SourceTrack& track) : track_(track) {}

  // The entry of the next sample, configured by `config` (runs of one configuration take
  // the inline test alone).
  __attribute__((always_inline)) uint32_t entry_of(uint32_t config) {
    if (!entries_.empty() && config == previous_config_) return current_;
    return entry_of_new(config);
  }

  // Fills the track's first entry (sps, pps, size) and later_descriptions.
  void describe(mp4::Track& out) const;

 private:
  uint32_t entry_of_new(uint32_t config) {
    const SourceConfig& c = config_of(config);
    if (entries_.empty() || !entries_[current_].fits(c)) {
      current_ = uint32_t(entries_.size());
      for (uint32_t k = 0; k < entries_.size(); ++k)
        if (entries_[k].fits(c)) {
          current_ = k;
          break;
        }
      if (current_ == entries_.size()) entries_.push_back(EntrySets{{}, {}, &c});
    }
    entries_[current_].add(c);
    previous_config_ = config;
    return current_;
  }
  const SourceConfig& config_of(uint32_t id) const {
    for (const SourceConfig& c : track_.configs)
      if (c.id == id) return c;
    throw Error(ErrorCode::InvalidData, "the parameter sets of '" + track_.name + "' are missing");  // select() checked
  }
  const SourceTrack& track_;
  std::vector<EntrySets> entries_;
  uint32_t previous_config_ = 0, current_ = 0;
};

void VideoSampleEntries::describe(mp4::Track& out) const {
  for (size_t k = 0; k < entries_.size(); ++k) {
    mp4::SampleDescription d;
    for (const auto& [id, bytes] : entries_[k].sps) d.sps.push_back(*bytes);
    for (const auto& [id, bytes] : entries_[k].pps) d.pps.push_back(*bytes);
    d.width = entries_[k].first->width;
    d.height = entries_[k].first->height;
    d.sar_width = entries_[k].first->sar_width;
    d.sar_height = entries_[k].first->sar_height;
    if (k == 0)
      mp4::set_first_description(out, std::move(d));
    else
      out.later_descriptions.push_back(std::move(d));
  }
}

// Adds a sample's origin (the store segment it pins) to `origins` once. Samples come segment
// by segment, so the list is searched only when the origin changes (`last`, per track).
void note_origin(std::vector<uint32_t>& origins, uint32_t& last, uint32_t origin) {
  if (origin != last && std::find(origins.begin(), origins.end(), origin) == origins.end()) origins.push_back(origin);
  last = origin;
}

// How far apart two timed samples (telemetry) may lie and still be one run: a GPS fix holds
// until the next, which comes at 1 Hz at the slowest setting.
constexpr int64_t kTimedContinuityUs = 5'000'000;

// An audio or metadata track's part of a clip: the samples presented in [from, to) of the
// clip's span. Every sample is a random access point; AAC frames also overlap their
// predecessor (the MDCT window), so one frame before the span is kept as pre-roll and the
// edit list starts presentation after it.
struct TimedSelection {
  const SourceTrack* track;
  std::shared_ptr<std::vector<SourceSample>> owned;  // the usable samples, when some were left out
  std::vector<const SourceSample*> samples;
  int64_t present_from = 0, present_end = 0;  // µs on the timeline
  int64_t last_duration_us = 0;
};

bool select_timed_from(const std::vector<SourceSample>& all, const SourceTrack& track, int64_t from_us, int64_t to_us,
                       TimedSelection& sel, CutTrackReport& rep) {
  const int64_t lo = std::max(from_us, track.presented_from_us), hi = std::min(to_us, track.presented_to_us);
  sel.track = &track;
  // The first sample presented at or after `lo`, and the one before it, which covers `lo`
  // unless a gap separates them.
  size_t first = all.size();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].pts_us >= lo) {
      first = i;
      break;
    }
  const bool audio = track.kind == mp4::TrackKind::Audio;
  // Records of a stream follow each other in the ring even when hours lie between them (the
  // dashcam was off between two drives: no gap in the ring, one in the clock). A sample
  // continues the one before it only within two of its frames (audio) or a few seconds (a
  // telemetry fix holds until the next); else the earlier one covers nothing after it.
  int64_t max_step = kTimedContinuityUs;
  if (audio && first > 0) {
    for (const SourceConfig& c : track.configs)
      if (c.id == all[first - 1].config && c.sample_rate && c.frame_samples)
        max_step = 2 * (int64_t(c.frame_samples) * 1000000 / c.sample_rate + 1);
  }
  auto continues = [&](size_t i) {  // does sample i continue sample i - 1?
    return !all[i].after_gap && all[i].pts_us - all[i - 1].pts_us <= max_step;
  };
  size_t begin = first;
  if (first > 0 && first <= all.size() && all[first - 1].pts_us < hi &&
      (first == all.size() ? lo - all[first - 1].pts_us <= max_step : continues(first))) {
    // Covers `lo` (its successor starts at or after it): presented from `lo`; audio keeps
    // one more before it to prime the decoder.
    begin = first - 1;
    if (audio && begin > 0 && continues(begin)) --begin;
  }
  int64_t step = INT64_MAX;
  for (size_t i = begin; i < all.size() && all[i].pts_us < hi; ++i) {
    if (i > begin) step = std::min(step, std::max<int64_t>(1, all[i].pts_us - all[i - 1].pts_us));
    sel.samples.push_back(&all[i]);
  }
  if (sel.samples.empty()) return false;
  int64_t frame_us = step == INT64_MAX ? 0 : step;
  if (audio) {
    for (const SourceConfig& c : track.configs)
      if (c.id == sel.samples.back()->config && c.sample_rate && c.frame_samples)
        frame_us = int64_t(c.frame_samples) * 1000000 / c.sample_rate;
  }
  if (frame_us == 0) frame_us = 1;
  sel.last_duration_us = frame_us;
  // What the track holds that the clip presents: from the sample covering `lo` (or the
  // first after it) to the end of the last one, within the span.
  const SourceSample* covering = first > 0 && begin < first ? &all[first - 1] : sel.samples.front();
  sel.present_from = std::max(lo, covering->pts_us);
  sel.present_end = std::min(hi, sel.samples.back()->pts_us + frame_us);
  if (sel.present_end <= sel.present_from) return false;
  rep.name = track.name;
  rep.kind = track.kind;
  rep.first_pts_us = sel.present_from;
  rep.end_pts_us = sel.present_end;
  rep.frames = sel.samples.size();
  return true;
}

bool select_timed(const SourceTrack& track, int64_t from_us, int64_t to_us, TimedSelection& sel, CutTrackReport& rep) {
  // Samples whose configuration record was lost (damage a crash left in the ring) cannot be
  // described: they are left out, and the track says so.
  std::vector<SourceSample> usable;
  uint64_t unconfigured = 0;
  bool gap = false;  // a sample left out breaks the run like a gap
  for (const SourceSample& s : track.samples) {
    bool known = false;
    for (const SourceConfig& c : track.configs) known = known || c.id == s.config;
    if (!known) {
      ++unconfigured;
      gap = true;
      continue;
    }
    usable.push_back(s);
    usable.back().after_gap = usable.back().after_gap || gap;
    gap = false;
  }
  sel.owned = unconfigured ? std::make_shared<std::vector<SourceSample>>(std::move(usable)) : nullptr;
  if (unconfigured) {
    rep.partial = true;
    rep.note = std::to_string(unconfigured) + " samples of '" + track.name +
               "' left out: their configuration record is missing (damaged)";
  }
  return select_timed_from(sel.owned ? *sel.owned : track.samples, track, from_us, to_us, sel, rep);
}

// Ticks of a track's timescale (audio: its sample rate, so AAC frames last exactly 1024).
int64_t to_track_ticks(int64_t us, uint32_t timescale) { return mp4::rescale_signed(us, 1000000, timescale); }

// Sample entries of an audio or metadata track: one per distinct configuration, in order
// of first use; the track's first entry filled from the first.
std::vector<uint32_t> describe_timed(const SourceTrack& track, const std::vector<const SourceSample*>& samples,
                                     mp4::Track& out) {
  std::vector<const SourceConfig*> entries;
  std::vector<uint32_t> index;
  index.reserve(samples.size());
  for (const SourceSample* s : samples) {
    const SourceConfig* c = nullptr;
    for (const SourceConfig& x : track.configs)
      if (x.id == s->config) c = &x;
    if (!c)
      throw Error(ErrorCode::InvalidData,
                  "the configuration of '" + track.name + "' at " + format_time_us(s->pts_us) + " is missing");
    uint32_t k = 0;
    while (k < entries.size() && !(entries[k]->config == c->config && entries[k]->format == c->format)) ++k;
    if (k == entries.size()) entries.push_back(c);
    index.push_back(k);
  }
  for (size_t k = 0; k < entries.size(); ++k) {
    mp4::SampleDescription d = description_of(*entries[k]);
    if (k == 0)
      mp4::set_first_description(out, std::move(d));
    else
      out.later_descriptions.push_back(std::move(d));
  }
  return index;
}

mp4::Track timed_track(const TimedSelection& s, uint32_t track_id, int64_t t0, uint32_t movie_timescale,
                       std::vector<uint32_t>& origins, CutTrackReport& report) {
  mp4::Track t;
  t.track_id = track_id;
  t.name = s.track->name;
  t.kind = s.track->kind;
  const std::vector<uint32_t> descriptions = describe_timed(*s.track, s.samples, t);
  t.timescale = t.kind == mp4::TrackKind::Audio && t.sample_rate ? t.sample_rate : kTimescale;
  const int64_t base = s.samples.front()->pts_us;
  t.samples.reserve(s.samples.size());
  uint32_t last_origin = UINT32_MAX;
  for (size_t i = 0; i < s.samples.size(); ++i) {
    const SourceSample* src = s.samples[i];
    mp4::Sample sm;
    sm.dts = sm.pts = to_track_ticks(src->pts_us - base, t.timescale);
    // Two samples on one tick of the track's clock (µs apart): the later moves to the next.
    if (i > 0 && sm.dts <= t.samples.back().dts) sm.dts = sm.pts = t.samples.back().dts + 1;
    sm.sync = true;
    sm.description = descriptions[i];
    sm.data = src->data;
    report.bytes += src->data.size;
    t.samples.push_back(sm);
    note_origin(origins, last_origin, src->origin);
  }
  for (size_t i = 0; i + 1 < t.samples.size(); ++i)
    t.samples[i].duration = uint32_t(std::clamp<int64_t>(t.samples[i + 1].dts - t.samples[i].dts, 1, UINT32_MAX));
  t.samples.back().duration =
      uint32_t(std::clamp<int64_t>(to_track_ticks(s.last_duration_us, t.timescale), 1, UINT32_MAX));
  auto movie_ticks = [&](int64_t us) { return uint64_t(mp4::rescale_signed(us, 1000000, movie_timescale)); };
  if (s.present_from > t0) t.edits.push_back({movie_ticks(s.present_from - t0), -1});
  t.edits.push_back({movie_ticks(s.present_end - s.present_from), to_track_ticks(s.present_from - base, t.timescale)});
  return t;
}

}  // namespace

// The sample entries of a clip track (VideoSampleEntries): fills the track's first entry
// and later_descriptions; returns each sample's entry index.
std::vector<uint32_t> describe_video_samples(const SourceTrack& track, const std::vector<const SourceSample*>& samples,
                                             mp4::Track& out) {
  VideoSampleEntries entries(track);
  std::vector<uint32_t> index;
  index.reserve(samples.size());
  for (const SourceSample* s : samples) index.push_back(entries.entry_of(s->config));
  entries.describe(out);
  return index;
}

std::string codec_string(mp4::TrackKind kind, const SourceConfig& c) {
  if (kind == mp4::TrackKind::Metadata) return mp4::fourcc_text(c.format);
  if (kind == mp4::TrackKind::Audio)
    return c.config.empty() ? ""
                            : audio::codec_string(audio::parse_audio_specific_config(c.config.data(), c.config.size()));
  if (c.sps.empty() || c.sps.front().size() < 4) return "";
  char codec[16];
  std::snprintf(codec, sizeof codec, "avc1.%02x%02x%02x", c.sps.front()[1], c.sps.front()[2], c.sps.front()[3]);
  return codec;
}

mp4::SampleDescription description_of(const SourceConfig& c) { return c; }

SourceConfig config_of(uint32_t id, const mp4::SampleDescription& d) {
  SourceConfig c;
  static_cast<mp4::SampleDescription&>(c) = d;
  c.id = id;
  // An AudioSpecificConfig (readers and the store parsed it already): its frame length
  // gives the last frame's duration.
  if (!d.config.empty() && d.format == 0)
    c.frame_samples = audio::parse_audio_specific_config(d.config.data(), d.config.size()).frame_samples;
  return c;
}

std::string format_time_us(int64_t us) {
  if (us == INT64_MIN || us == INT64_MAX) return "(none)";
  // Floor division without forming us - 999999 (which overflows near INT64_MIN).
  int64_t whole = us / 1000000, frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    whole -= 1;
  }
  time_t secs = time_t(whole);
  int ms = int(frac / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, ms);
  return out;
}

bool CutResult::partial() const {
  // An audio or metadata stream with nothing in the span leaves the clip whole.
  for (const auto& t : empty)
    if (t.kind == mp4::TrackKind::Video) return true;
  for (const auto& t : tracks)
    if (t.partial) return true;
  return false;
}

CutResult cut_clip(const std::vector<SourceTrack>& tracks, const CutRequest& req) {
  if (req.timelapse_every_us > 0) return cut_timelapse(tracks, req);
  check_timeline_time("a clip's 'from'", req.from_us);
  check_timeline_time("a clip's 'to'", req.to_us);
  if (req.to_us <= req.from_us) throw Error(ErrorCode::InvalidArgument, "a clip's 'to' must be after its 'from'");
  if (tracks.empty()) throw Error(ErrorCode::InvalidArgument, "a clip needs at least one stream");
  CutResult result;
  // Video tracks first: they decide the span (key frame to key frame) the others follow.
  std::vector<std::optional<Selected>> chosen(tracks.size());
  std::vector<CutTrackReport> reports(tracks.size());
  std::optional<Error> first_empty;
  size_t video_tracks = 0, videos_chosen = 0;
  for (size_t i = 0; i < tracks.size(); ++i) {
    const SourceTrack& t = tracks[i];
    if (t.kind != mp4::TrackKind::Video) continue;
    ++video_tracks;
    try {
      chosen[i] = select(t, req, reports[i]);
      ++videos_chosen;
    } catch (const Error& e) {
      // One of several streams has nothing here (the phone's cabin stream, never streamed):
      // with allow_partial the others are clipped and it is listed as empty.
      if (e.code() != ErrorCode::Range || tracks.size() == 1) throw;
      if (!req.allow_partial)
        throw Error(ErrorCode::Range,
                    std::string(e.what()) + " (pass allowPartial to clip the other streams without '" + t.name + "')");
      CutTrackReport empty;
      empty.name = t.name;
      empty.partial = true;
      empty.note = e.what();
      result.empty.push_back(std::move(empty));
      if (!first_empty) first_empty = e;
    }
  }
  if (video_tracks > 0 && videos_chosen == 0) throw *first_empty;
  // One timeline for all tracks (the capture clock): zero where every video track has a
  // frame to present (the latest of their first presentable frames), or exactly at `from`
  // for exact cuts. Each track's edit list places it on that timeline, so the first sample
  // every track presents is at time 0: no empty edit delays a camera that started later
  // (ExoPlayer ignores those, and Safari stalls on a first presentation time above 0).
  // The earlier camera decodes from its kept key frame and presents from time 0. Only when
  // the tracks do not overlap at all does the timeline start at the earliest frame.
  int64_t t0 = INT64_MAX, t_end = INT64_MIN, latest_from = INT64_MIN, earliest_end = INT64_MAX;
  for (const auto& s : chosen) {
    if (!s) continue;
    t0 = std::min(t0, s->present_from);
    t_end = std::max(t_end, s->present_end);
    latest_from = std::max(latest_from, s->present_from);
    earliest_end = std::min(earliest_end, s->present_end);
  }
  if (videos_chosen > 0 && latest_from < earliest_end) t0 = latest_from;
  if (videos_chosen == 0) {
    t0 = req.from_us;
    t_end = req.to_us;
  } else if (req.exact) {
    t0 = std::max(t0, req.from_us);
    t_end = std::min(t_end, req.to_us);
  }
  // Audio and metadata: what is presented in that span. A stream with nothing there (a
  // muted cabin, no GPS fix) is listed as empty, never an error: the video is the clip.
  std::vector<std::optional<TimedSelection>> timed(tracks.size());
  for (size_t i = 0; i < tracks.size(); ++i) {
    const SourceTrack& t = tracks[i];
    if (t.kind == mp4::TrackKind::Video) continue;
    // Never past `to`: what a clip holds must not depend on when it is cut (a writer adds
    // audio after the last video frame before `to` a little later than that frame).
    TimedSelection sel;
    if (select_timed(t, t0, std::min(t_end, req.to_us), sel, reports[i])) {
      timed[i] = std::move(sel);
      continue;
    }
    CutTrackReport empty;
    empty.name = t.name;
    empty.kind = t.kind;
    empty.note = "no " + std::string(t.kind == mp4::TrackKind::Audio ? "audio" : "metadata") + " of '" + t.name +
                 "' between " + format_time_us(t0) + " and " + format_time_us(t_end);
    result.empty.push_back(std::move(empty));
  }
  if (videos_chosen == 0 && std::none_of(timed.begin(), timed.end(), [](const auto& x) { return x.has_value(); }))
    throw Error(ErrorCode::Range, "nothing of the streams asked for is retained between " +
                                      format_time_us(req.from_us) + " and " + format_time_us(req.to_us));
  result.start_us = t0;
  result.end_us = t_end;
  result.movie.timescale = kTimescale;
  result.movie.creation_time_us = t0;
  uint32_t track_id = 1;
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (timed[i]) {
      result.tracks.push_back(reports[i]);
      result.movie.tracks.push_back(
          timed_track(*timed[i], track_id++, t0, kTimescale, result.origins, result.tracks.back()));
      result.tracks.back().sync_samples = result.movie.tracks.back().samples.size();  // every one
      continue;
    }
    if (!chosen[i]) continue;
    result.tracks.push_back(reports[i]);
    const Selected& s = *chosen[i];
    mp4::Track t;
    t.track_id = track_id++;
    t.name = s.track->name;
    t.matrix = s.track->matrix;
    t.colour = s.track->colour;
    t.timescale = kTimescale;
    VideoSampleEntries entries(*s.track);
    int64_t base = s.samples.front()->dts_us;
    t.samples = Scratch<mp4::Sample>::take();
    t.samples.reserve(s.samples.size());
    uint32_t last_origin = UINT32_MAX;
    CutTrackReport& report = result.tracks.back();
    for (const SourceSample* src : s.samples) {
      mp4::Sample sm;
      sm.dts = to_ticks(src->dts_us - base);
      sm.pts = to_ticks(src->pts_us - base);
      // Decode times a few µs apart (a source may store them so) can fall on one 90 kHz
      // tick: a sample of no duration, stretched to one tick, put every later sample a tick
      // late. The later one moves to the next tick instead, with its presentation time.
      if (!t.samples.empty() && sm.dts <= t.samples.back().dts) {
        const int64_t move = t.samples.back().dts + 1 - sm.dts;
        sm.dts += move;
        sm.pts += move;
      }
      sm.sync = src->random_access != 0;
      sm.description = entries.entry_of(src->config);
      sm.data = src->data;
      report.bytes += src->data.size;
      report.sync_samples += sm.sync ? 1 : 0;
      // Each sample lasts until the next one decodes (in the same pass: the previous entry
      // is still in cache).
      if (!t.samples.empty()) t.samples.back().duration = uint32_t(std::max<int64_t>(1, sm.dts - t.samples.back().dts));
      t.samples.push_back(sm);
      note_origin(result.origins, last_origin, src->origin);
    }
    t.samples.back().duration = uint32_t(to_ticks(s.frame_us));
    entries.describe(t);
    int64_t present_from = std::max(s.present_from, t0);
    int64_t present_end = req.exact ? std::min(s.present_end, req.to_us) : s.present_end;
    if (present_from > t0) t.edits.push_back({uint64_t(to_ticks(present_from - t0)), -1});
    if (present_end > present_from)
      t.edits.push_back({uint64_t(to_ticks(present_end - present_from)), to_ticks(present_from - base)});
    result.movie.tracks.push_back(std::move(t));
  }
  for (auto& s : chosen)
    if (s) Scratch<const SourceSample*>::give(std::move(s->samples));
  return result;
}

}  // namespace ringclip::exporting
