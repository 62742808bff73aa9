#include "store/fragmented_ingest.h"

#include <string>

#include "util/error.h"
#include "util/time_range.h"

namespace ringclip::store {

FragmentedIngest::FragmentedIngest(SegmentStore& store, Options options) : store_(store), options_(std::move(options)) {
  for (const auto& [name, stream] : options_.tracks)
    if (stream >= store_.streams().size())
      throw Error(ErrorCode::InvalidArgument, "track '" + name + "' is mapped to stream " + std::to_string(stream) +
                                                  ", which the store does not have");
  if (options_.origin_us != kNoOrigin) check_time("origin", options_.origin_us);
}

void FragmentedIngest::on_init(const std::vector<mp4::Track>& tracks, const mp4::MovieHeader& header,
                               uint32_t skipped_tracks) {
  skipped_tracks_ = skipped_tracks;
  // A later init segment (re-initialization) keeps the timeline and each track's counts.
  const bool again = !tracks_.empty();
  std::vector<TrackReport> earlier = std::move(reports_);
  tracks_.clear();
  reports_.clear();
  if (!again) {
    if (options_.origin_us != kNoOrigin)
      origin_us_ = options_.origin_us;
    else if (header.creation_time_us > 0 && header.creation_time_us <= kMaxTimeUs)
      origin_us_ = header.creation_time_us;
  }
  for (const mp4::Track& t : tracks) {
    TrackReport report;
    for (TrackReport& e : earlier)
      if (e.name == t.name) report = e;
    report.name = t.name;
    report.stream = -1;
    for (const auto& [name, stream] : options_.tracks)
      if (name == t.name) report.stream = stream;
    if (options_.tracks.empty()) {
      for (uint32_t s = 0; s < store_.streams().size(); ++s)
        if (store_.streams()[s].name == t.name) report.stream = s;
    }
    for (const TrackReport& other : reports_)
      if (report.stream >= 0 && other.stream == report.stream)
        throw Error(ErrorCode::InvalidData, "tracks '" + other.name + "' and '" + t.name + "' both go to stream '" +
                                                store_.streams()[size_t(report.stream)].name + "'");
    if (t.timescale == 0) throw Error(ErrorCode::InvalidData, "MP4: track '" + t.name + "' has timescale 0");
    TrackWriter w{
        t.track_id, t.timescale, mp4::presentation_start(t, header.timescale), t.kind, report.stream, nullptr, {}, 0};
    w.descriptions.push_back(mp4::first_description(t));
    for (const mp4::SampleDescription& d : t.later_descriptions) w.descriptions.push_back(d);
    if (report.stream >= 0) {
      const StreamKind kind = store_.streams()[size_t(report.stream)].kind;
      if (kind != StreamKind(t.kind))
        throw Error(ErrorCode::InvalidData, std::string("MP4: track '") + t.name + "' carries " +
                                                stream_kind_name(StreamKind(t.kind)) + ", but stream '" +
                                                store_.streams()[size_t(report.stream)].name + "' records " +
                                                stream_kind_name(kind));
      if (t.kind == mp4::TrackKind::Video) {
        w.writer = std::make_unique<SampleWriter>(store_, uint32_t(report.stream));
        w.writer->configure(t.sps, t.pps);
      }
    }
    tracks_.push_back(std::move(w));
    reports_.push_back(std::move(report));
  }
}

__int128 FragmentedIngest::movie_us(const TrackWriter& track, int64_t ticks) const {
  // delay + (ticks - media start) / timescale s, rounded half away from zero, exact in 128 bits.
  __int128 num = (__int128(ticks) - track.start.media_time) * 1000000;
  __int128 den = track.timescale;
  __int128 q = num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
  return __int128(track.start.delay_us) + q;
}

int64_t FragmentedIngest::capture_us(const TrackWriter& track, int64_t ticks) const {
  __int128 us = origin_us_ + movie_us(track, ticks);
  if (us < kMinTimeUs || us > kMaxTimeUs)
    throw Error(ErrorCode::InvalidData, "MP4: a sample's time (" + std::to_string(int64_t(us / 1000000)) +
                                            " s since 1970) lies outside the times a store holds");
  return int64_t(us);
}

void FragmentedIngest::on_samples(size_t index, const std::vector<mp4::Sample>& samples,
                                  const mp4::ProducerReference* reference) {
  if (reference) {
    // The reference's own sample lands on its µs exactly: the same rounding, undone.
    const TrackWriter* ref_track = nullptr;
    for (const TrackWriter& t : tracks_)
      if (t.track_id == reference->track_id) ref_track = &t;
    if (!ref_track)
      throw Error(ErrorCode::InvalidData, "MP4: a prft names track " + std::to_string(reference->track_id) +
                                              ", which is not a track of the init segment ringclip reads");
    if (reference->media_time > uint64_t(INT64_MAX))
      throw Error(ErrorCode::InvalidData, "MP4: prft media time out of range");
    origin_us_ = __int128(reference->unix_us) - movie_us(*ref_track, int64_t(reference->media_time));
    exact_ = true;
  }
  if (origin_us_ == kNoOrigin)
    throw Error(ErrorCode::InvalidArgument,
                "the stream says neither when it was captured (no prft box, no creation time) nor was an origin given");
  TrackWriter& w = tracks_.at(index);
  TrackReport& report = reports_.at(index);
  for (const mp4::Sample& s : samples) {
    int64_t dts = capture_us(w, s.dts);
    int64_t pts = capture_us(w, s.pts);
    if (report.first_us == kNoOrigin) report.first_us = dts;
    report.last_us = dts;
    if (w.stream < 0) continue;
    if (options_.skip_stored && dts <= store_.streams()[size_t(report.stream)].last_dts_us) {
      ++report.skipped;
      continue;
    }
    if (s.description >= w.descriptions.size())
      throw Error(ErrorCode::InvalidData, "MP4: a sample of track '" + report.name + "' names sample entry " +
                                              std::to_string(s.description + 1) +
                                              ", which its init segment does not have");
    if (w.kind != mp4::TrackKind::Video) {
      const mp4::SampleDescription& d = w.descriptions[s.description];
      WriteResult r = w.kind == mp4::TrackKind::Audio
                          ? store_.write_audio(uint32_t(w.stream), s.data.data, s.data.size, d.config.data(),
                                               d.config.size(), pts, pts)
                          : store_.write_metadata(uint32_t(w.stream), s.data.data, s.data.size, d.format,
                                                  d.config.data(), d.config.size(), pts, pts);
      if (r.stored)
        ++report.stored;
      else
        ++report.dropped;
      continue;
    }
    if (s.description != w.configured) {
      // Another sample entry of the track (its parameter sets changed): the store gets them.
      w.writer->configure(w.descriptions[s.description].sps, w.descriptions[s.description].pps);
      w.configured = s.description;
    }
    WriteResult r = w.writer->write(s.data, pts, dts, pts);
    if (r.stored)
      ++report.stored;
    else
      ++report.dropped;
  }
}

}  // namespace ringclip::store
