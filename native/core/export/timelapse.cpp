#include "export/timelapse.h"

#include <algorithm>
#include <string>

#include "mp4/movie_time.h"
#include "util/error.h"
#include "util/time_range.h"

namespace ringclip::exporting {
namespace {

constexpr uint32_t kTimescale = 90000;
constexpr uint8_t kIdr = 1;
constexpr int64_t kMaxPictures = 1000000;  // a week at one per second: a movie, not a memory bomb

int64_t to_ticks(int64_t us) { return mp4::rescale_signed(us, 1000000, kTimescale); }

}  // namespace

CutResult cut_timelapse(const std::vector<SourceTrack>& tracks, const CutRequest& req) {
  check_timeline_time("a timelapse's 'from'", req.from_us);
  check_timeline_time("a timelapse's 'to'", req.to_us);
  if (req.to_us <= req.from_us) throw Error(ErrorCode::InvalidArgument, "a timelapse's 'to' must be after its 'from'");
  if (tracks.empty()) throw Error(ErrorCode::InvalidArgument, "a timelapse needs at least one stream");
  if (req.timelapse_every_us <= 0 || req.timelapse_frame_us <= 0)
    throw Error(ErrorCode::InvalidArgument, "a timelapse needs a positive interval and frame duration");
  if ((req.to_us - req.from_us) / req.timelapse_every_us > kMaxPictures)
    throw Error(ErrorCode::InvalidArgument, "a timelapse of more than " + std::to_string(kMaxPictures) +
                                                " pictures: take a longer interval between them");
  CutResult result;
  result.start_us = req.from_us;
  result.end_us = req.to_us;
  result.movie.timescale = kTimescale;
  int64_t first_picture_us = INT64_MAX;
  uint32_t track_id = 1;
  for (const SourceTrack& track : tracks) {
    if (track.kind != mp4::TrackKind::Video)
      throw Error(ErrorCode::InvalidArgument,
                  "'" + track.name + "' is not video: a timelapse is made of key frames of video streams");
    const int64_t lo = std::max(req.from_us, track.presented_from_us), hi = std::min(req.to_us, track.presented_to_us);
    std::vector<const SourceSample*> chosen;
    uint64_t recovery_points = 0;
    int64_t next_slot = lo;
    for (const SourceSample& s : track.samples) {
      if (s.pts_us < lo || s.pts_us >= hi || !s.random_access) continue;
      if (s.random_access != kIdr) {
        ++recovery_points;
        continue;
      }
      if (s.pts_us < next_slot) continue;
      chosen.push_back(&s);
      // The next slot is the multiple of `every` after this picture: a gap in the footage
      // does not shift the slots after it.
      next_slot = lo + ((s.pts_us - lo) / req.timelapse_every_us + 1) * req.timelapse_every_us;
    }
    if (chosen.empty()) {
      if (recovery_points > 0)
        throw Error(ErrorCode::Range,
                    "'" + track.name + "' has no IDR picture between " + format_time_us(req.from_us) + " and " +
                        format_time_us(req.to_us) + ": its " + std::to_string(recovery_points) +
                        " random access points are recovery points (open GOP or intra refresh), which need the "
                        "pictures before them; a key-frame timelapse takes IDR pictures only");
      throw Error(ErrorCode::Range, "no key frame of '" + track.name + "' between " + format_time_us(req.from_us) +
                                        " and " + format_time_us(req.to_us));
    }
    mp4::Track t;
    t.track_id = track_id++;
    t.name = track.name;
    t.matrix = track.matrix;
    t.colour = track.colour;
    t.timescale = kTimescale;
    const std::vector<uint32_t> descriptions = describe_video_samples(track, chosen, t);
    CutTrackReport rep;
    const int64_t frame = to_ticks(req.timelapse_frame_us);
    for (size_t i = 0; i < chosen.size(); ++i) {
      mp4::Sample sm;
      sm.dts = sm.pts = int64_t(i) * frame;
      sm.duration = uint32_t(std::clamp<int64_t>(frame, 1, UINT32_MAX));
      sm.sync = true;
      sm.description = descriptions[i];
      sm.data = chosen[i]->data;
      rep.bytes += sm.data.size;
      t.samples.push_back(sm);
      if (std::find(result.origins.begin(), result.origins.end(), chosen[i]->origin) == result.origins.end())
        result.origins.push_back(chosen[i]->origin);
    }
    first_picture_us = std::min(first_picture_us, chosen.front()->pts_us);
    rep.name = track.name;
    rep.first_pts_us = chosen.front()->pts_us;
    rep.end_pts_us = chosen.back()->pts_us + req.timelapse_every_us;
    rep.frames = chosen.size();
    rep.sync_samples = chosen.size();
    result.tracks.push_back(rep);
    result.movie.tracks.push_back(std::move(t));
  }
  // Movie time 0 shows the first picture, captured then; later pictures are not on a
  // linear clock (the prft states the first only).
  result.movie.creation_time_us = first_picture_us;
  return result;
}

}  // namespace ringclip::exporting
