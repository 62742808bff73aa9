#include "store/live_fragmenter.h"

#include <algorithm>
#include <string>

#include "export/clip_cutter.h"
#include "mp4/box_writer.h"
#include "mp4/movie_time.h"
#include "mp4/producer_reference.h"
#include "mp4/writer.h"
#include "store/guarded_read.h"
#include "store/index_access.h"
#include "store/store_info.h"
#include "util/error.h"

namespace ringclip::store {

LiveFragmenter::LiveFragmenter(std::shared_ptr<SegmentStore> store, std::shared_ptr<const GenerationSnapshot> snapshot,
                               Options options)
    : store_(std::move(store)), snapshot_(std::move(snapshot)), skip_overwritten_(options.skip_overwritten) {
  store_->check_open();
  if (options.streams.empty()) throw Error(ErrorCode::InvalidArgument, "a live stream needs at least one stream");
  if (options.cursors.size() != options.streams.size())
    throw Error(ErrorCode::InvalidArgument, "a live stream needs one cursor per stream");
  for (size_t i = 0; i < options.streams.size(); ++i) {
    if (options.streams[i] >= store_->streams().size())
      throw Error(ErrorCode::InvalidArgument, "no stream number " + std::to_string(options.streams[i]));
    Track& track = tracks_.emplace_back();
    track.stream = options.streams[i];
    track.cursor = options.cursors[i];
  }
}

uint64_t LiveFragmenter::ticks(int64_t us, uint32_t timescale) const {
  // Frames before the base do not reach a fragment (a track starts at or after it).
  return uint64_t(std::max<int64_t>(0, mp4::rescale_signed(us - base_us_, 1000000, timescale)));
}

// Copies the frames stored after the track's cursor; false when the writer reclaimed some
// before they were read (skipped, or Error(Overrun)).
bool LiveFragmenter::read_new(Track& t, uint32_t max_frames, Step& step) {
  SegmentStore& store = *store_;
  const StreamState& st = store.streams()[t.stream];
  if (st.reclaimed_until_dts_us > t.cursor) {
    // Frames after the cursor were reclaimed before this follower read them.
    if (!skip_overwritten_)
      throw Error(ErrorCode::Overrun,
                  "the live stream of '" + st.name + "' fell behind the ring's wrap: frames up to " +
                      exporting::format_time_us(st.reclaimed_until_dts_us) + " were overwritten before it read them");
    t.cursor = st.reclaimed_until_dts_us;
    t.need_key = true;
    step.skipped_frames += t.gop.size() + t.waiting.size();
    t.gop.clear();
    t.waiting.clear();
    if (!started_) t.config = 0;  // the stream starts at the next random access point
  }
  const std::vector<FrameRef> refs = frames_after(store, t.stream, t.cursor, max_frames);  // under the store's mutex
  for (const FrameRef& r : refs) {
    const IndexEntry& e = *r.entry;
    t.cursor = e.dts_us;
    if (e.random_access) t.need_key = false;
    if (t.need_key) {
      ++step.skipped_frames;
      continue;
    }
    Frame f{e.dts_us, e.pts_us, e.random_access, e.config_id, std::vector<uint8_t>(e.payload_size)};
    try {
      copy_frame(store, snapshot_.get(), t.stream, r.segment, e, f.payload.data());
    } catch (const Error& err) {
      if (err.code() != ErrorCode::Overrun || !skip_overwritten_) throw;
      t.need_key = true;
      ++step.skipped_frames;
      continue;
    }
    take(size_t(&t - tracks_.data()), std::move(f), step);
  }
  return refs.size() >= max_frames;
}

bool LiveFragmenter::describe_track(size_t index, uint32_t config) {
  const Track& t = tracks_[index];
  mp4::Track& track = movie_.tracks[index];
  std::lock_guard<std::mutex> lock(IndexAccess::mutex(*store_));
  const StreamConfig* c = store_->config(t.stream, config);
  if (!c) return false;
  track.kind = mp4::TrackKind(c->kind);
  track.config = c->config;
  track.format = c->format;
  track.sample_rate = c->sample_rate;
  track.channels = c->channels;
  // Audio on its own clock, so AAC frames last exactly their 1024 samples.
  track.timescale = c->kind == StreamKind::Audio && c->sample_rate ? c->sample_rate : kTimescale;
  track.width = c->width;
  track.height = c->height;
  track.sar_width = c->sar_width;
  track.sar_height = c->sar_height;
  track.sps = c->sps;
  track.pps = c->pps;
  return true;
}

void LiveFragmenter::change_configuration(size_t index, uint32_t config, int64_t next_dts, Step& step) {
  Track& t = tracks_[index];
  const mp4::Track before = movie_.tracks[index];
  if (!describe_track(index, config))
    throw Error(ErrorCode::Overrun, "the parameter sets of '" + store_->streams()[t.stream].name +
                                        "' were overwritten before the live stream reached them");
  t.config = config;
  const mp4::Track& now = movie_.tracks[index];
  if (now.sps == before.sps && now.pps == before.pps && now.width == before.width && now.height == before.height &&
      now.config == before.config && now.format == before.format && now.timescale == before.timescale)
    return;
  if (!t.gop.empty()) {
    append_fragment(index, t.gop, next_dts, step);
    t.gop.clear();
  }
  mp4::FragmentedOptions o;
  o.known_duration = false;
  std::vector<uint8_t> init = mp4::build_init_segment(movie_, o);
  step.bytes.insert(step.bytes.end(), init.begin(), init.end());
}

void LiveFragmenter::take(size_t index, Frame f, Step& step) {
  Track& t = tracks_[index];
  if (!started_) {
    if (f.random_access && t.config == 0) t.config = f.config;
    t.waiting.push_back(std::move(f));
    return;
  }
  // Video: a fragment per GOP. Audio and metadata, where every sample is a random access
  // point: a fragment per kTimedFragmentUs.
  const bool video = store_->streams()[t.stream].kind == StreamKind::Video;
  if (video && f.random_access && !t.gop.empty()) {
    append_fragment(index, t.gop, f.dts, step);
    t.gop.clear();
  }
  if (f.config != t.config) change_configuration(index, f.config, f.dts, step);
  if (!t.gop.empty() && f.dts - t.gop.front().dts >= (video ? kMaxFragmentUs : kTimedFragmentUs)) {
    // The GOP goes on in the next fragment (which then starts without a key frame).
    append_fragment(index, t.gop, f.dts, step);
    t.gop.clear();
  }
  t.gop.push_back(std::move(f));
}

void LiveFragmenter::start_movie(Step& step) {
  for (const Track& t : tracks_)
    if (t.config == 0) return;  // a stream has not reached a random access point yet
  int64_t base = INT64_MAX;
  for (const Track& t : tracks_) base = std::min(base, t.waiting.front().dts);
  base_us_ = base;
  movie_ = mp4::Movie{};
  movie_.timescale = kTimescale;
  movie_.creation_time_us = base;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    mp4::Track track;
    track.track_id = uint32_t(i + 1);
    track.name = store_->streams()[tracks_[i].stream].name;
    track.timescale = kTimescale;
    movie_.tracks.push_back(std::move(track));
    if (!describe_track(i, tracks_[i].config))
      throw Error(ErrorCode::Overrun, "the parameter sets of '" + store_->streams()[tracks_[i].stream].name +
                                          "' were overwritten before the live stream started");
  }
  mp4::FragmentedOptions o;
  o.known_duration = false;  // live: the duration is not known
  std::vector<uint8_t> init = mp4::build_init_segment(movie_, o);
  step.bytes.insert(step.bytes.end(), init.begin(), init.end());
  step.origin_us = base;
  started_ = true;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    std::vector<Frame> waiting = std::move(tracks_[i].waiting);
    tracks_[i].waiting.clear();
    for (Frame& f : waiting) take(i, std::move(f), step);
  }
}

void LiveFragmenter::append_fragment(size_t index, std::vector<Frame>& frames, int64_t next_dts, Step& step) {
  if (frames.empty()) return;
  mp4::Movie m = movie_;
  mp4::Track& track = m.tracks[index];
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    mp4::Sample s;
    s.dts = int64_t(ticks(f.dts, track.timescale));
    s.pts = int64_t(ticks(f.pts, track.timescale));
    // Decode times µs apart can fall on one tick (a sample of no duration; tfdt and the
    // durations would disagree): the later one moves to the next tick, with its
    // presentation time.
    int64_t& last = tracks_[index].last_dts_ticks;
    if (s.dts <= last) {
      s.pts += last + 1 - s.dts;
      s.dts = last + 1;
    }
    last = s.dts;
    s.sync = f.random_access != 0;
    s.data = ByteSpan{f.payload.data(), f.payload.size()};
    track.samples.push_back(s);
  }
  // Durations from the decode times; the last one from the next frame's, or (unknown: the
  // stream pauses or ends) as long as the one before.
  size_t n = track.samples.size();
  int64_t end = next_dts != INT64_MIN ? int64_t(ticks(next_dts, track.timescale))
                : n > 1               ? 2 * track.samples[n - 1].dts - track.samples[n - 2].dts
                                      : track.samples[n - 1].dts + track.timescale / 30;
  for (size_t i = 0; i < n; ++i) {
    int64_t next = i + 1 < n ? track.samples[i + 1].dts : end;
    track.samples[i].duration = uint32_t(std::clamp<int64_t>(next - track.samples[i].dts, 1, UINT32_MAX));
  }
  mp4::VirtualFile out;
  // The prft pairs the fragment's first decode time with its capture time to the µs: the
  // 90 kHz ticks alone would round it (docs/TIME.md).
  std::vector<uint8_t> prft;
  mp4::BoxWriter w(prft);
  if (mp4::write_prft(w,
                      mp4::ProducerReference{track.track_id, frames.front().dts, uint64_t(track.samples.front().dts)}))
    out.append_generated(std::move(prft));
  std::vector<mp4::FragmentRange> ranges(m.tracks.size());
  ranges[index] = {0, n};
  mp4::append_fragment(out, m, ranges, sequence_++);
  size_t at = step.bytes.size();
  step.bytes.resize(at + size_t(out.size()));
  out.copy(0, out.size(), step.bytes.data() + at);
}

LiveFragmenter::Step LiveFragmenter::poll(uint32_t max_frames, Flush flush) {
  store_->check_open();
  Step step;
  for (Track& t : tracks_) step.more = read_new(t, max_frames, step) || step.more;
  if (!started_) start_movie(step);
  if (started_ && flush != Flush::None) {
    for (size_t i = 0; i < tracks_.size(); ++i) {
      Track& t = tracks_[i];
      if (t.gop.empty()) continue;
      append_fragment(i, t.gop, INT64_MIN, step);
      t.gop.clear();
    }
  }
  for (const Track& t : tracks_) step.held_frames += t.gop.size() + t.waiting.size();
  return step;
}

}  // namespace ringclip::store
