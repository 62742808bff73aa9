#pragma once
// Cutting a clip from any sample source (the store's ring, or an existing MP4): per track,
// from the random access point at or before `from` to the last frame presented before
// `to`, on one timeline shared by all tracks, as an mp4::Movie whose sample bytes are
// spans of the source. The store and Mp4Source both cut through here, so a clip of an
// uploaded MP4 is made exactly the way the device makes one from its ring.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mp4/movie.h"
#include "util/bytes.h"

namespace ringclip::exporting {

struct SourceSample {
  int64_t dts_us = 0;
  int64_t pts_us = 0;
  uint8_t random_access = 0;  // 0 none, 1 IDR (or an MP4 sync sample), 2 recovery point
  bool after_gap = false;     // decoding cannot continue from the previous sample
  uint32_t config = 0;        // samples of one clip track share one configuration
  ByteSpan data;              // NAL units with 4-byte length prefixes
  uint32_t origin = 0;        // caller's tag (the store's segment), reported back for pinning
};

// A configuration of a source track: the sample description it becomes, and its id.
struct SourceConfig : mp4::SampleDescription {
  uint32_t id = 0;
  uint32_t frame_samples = 0;  // audio: samples per frame (1024 for AAC-LC), the last frame's duration
};

struct SourceTrack {
  std::string name;
  // Video tracks set the clip's span (key frame to key frame); audio and metadata tracks
  // follow it: every sample is a random access point, and a clip holds those presented in
  // the span the video tracks cover (or the range asked for, when it has no video).
  mp4::TrackKind kind = mp4::TrackKind::Video;
  // What the source itself presents of its samples (an MP4's edit list, on the timeline):
  // frames outside are decoded when needed but never presented by a clip, whatever the
  // alignment. The whole track when unbounded.
  int64_t presented_from_us = INT64_MIN;
  int64_t presented_to_us = INT64_MAX;
  // How the source displays the track (an MP4's tkhd matrix and colr box): a clip keeps it.
  std::array<uint32_t, 9> matrix{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
  std::vector<uint8_t> colour;
  std::vector<SourceSample> samples;  // decode order
  std::vector<SourceConfig> configs;
};

struct CutRequest {
  int64_t from_us = 0;
  int64_t to_us = 0;
  bool exact = false;
  bool allow_partial = false;
  // A key-frame timelapse (export/timelapse.h) when > 0: one IDR picture per `every`, each
  // shown for `frame`.
  int64_t timelapse_every_us = 0;
  int64_t timelapse_frame_us = 0;
};

struct CutTrackReport {
  std::string name;
  mp4::TrackKind kind = mp4::TrackKind::Video;
  int64_t first_pts_us = 0;
  int64_t end_pts_us = 0;
  uint64_t frames = 0;        // the movie track's samples
  uint64_t bytes = 0;         // of those samples, counted as they are taken (info() reports them)
  uint64_t sync_samples = 0;  // random access points among them
  uint64_t dropped_leading = 0;
  bool partial = false;
  std::string note;
};

struct CutResult {
  mp4::Movie movie;
  std::vector<CutTrackReport> tracks;  // one per movie track
  // Streams asked for that have nothing in the range (allow_partial with several streams;
  // an audio or metadata stream always, as a camera muted or a receiver off must not stop
  // the video from being clipped): not in the movie; the note says what they retain.
  std::vector<CutTrackReport> empty;
  std::vector<uint32_t> origins;  // distinct origin tags of the samples used
  int64_t start_us = 0, end_us = 0;
  // Tracks of the source the clip leaves out, each with why ("dropped the AAC track 2:
  // audio is not supported yet"): said in the result, never silently.
  std::vector<std::string> dropped;
  bool partial() const;
};

// Throws Error(Range) when a track has nothing in the range, or lost its beginning and
// allow_partial is false; messages say what the source retains.
CutResult cut_clip(const std::vector<SourceTrack>& tracks, const CutRequest& request);

// The sample entries of a video clip track: consecutive configurations share an entry while
// their parameter sets agree id by id. Fills the track's first entry and later_descriptions;
// returns each sample's entry index.
std::vector<uint32_t> describe_video_samples(const SourceTrack& track, const std::vector<const SourceSample*>& samples,
                                             mp4::Track& out);

// The RFC 6381 codec string of a configuration ("avc1.64001f", "mp4a.40.2", "camm"); empty
// when it cannot say (an SPS too short).
std::string codec_string(mp4::TrackKind kind, const SourceConfig& config);

// The sample description of a configuration, and back: one for every kind.
mp4::SampleDescription description_of(const SourceConfig& config);
SourceConfig config_of(uint32_t id, const mp4::SampleDescription& description);

std::string format_time_us(int64_t us);  // ISO-8601 UTC with milliseconds, for messages

}  // namespace ringclip::exporting
