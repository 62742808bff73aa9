#include "mp4/movie_boxes.h"

#include <algorithm>
#include <string>
#include <vector>

#include "mp4/movie_time.h"
#include "util/error.h"

namespace ringclip::mp4 {
namespace {

constexpr uint32_t kUnityMatrix[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
constexpr uint16_t kLanguageUnd = (('u' - 0x60) << 10) | (('n' - 0x60) << 5) | ('d' - 0x60);
// tkhd flags: track_enabled | track_in_movie | track_in_preview. Both cameras are enabled:
// a disabled track is hidden by some players, and neither stream is an "alternate".
constexpr uint32_t kTrackEnabledInMovieInPreview = 0x7;

void write_matrix(BoxWriter& w, const uint32_t (&matrix)[9] = kUnityMatrix) {
  for (uint32_t v : matrix) w.u32(v);
}

bool needs_64(uint64_t v) { return v > UINT32_MAX; }

void write_elst(BoxWriter& w, const Track& track) {
  bool wide = false;
  for (const Edit& e : track.edits) {
    if (needs_64(e.segment_duration) || e.media_time > INT32_MAX || e.media_time < INT32_MIN) wide = true;
  }
  size_t edts = w.open("edts");
  size_t elst = w.open_full("elst", wide ? 1 : 0, 0);
  w.u32(uint32_t(track.edits.size()));
  for (const Edit& e : track.edits) {
    if (wide) {
      w.u64(e.segment_duration);
      w.u64(uint64_t(e.media_time));
    } else {
      w.u32(uint32_t(e.segment_duration));
      w.u32(uint32_t(int32_t(e.media_time)));
    }
    w.u16(1);  // media_rate_integer: 1.0, normal playback
    w.u16(0);  // media_rate_fraction
  }
  w.close(elst);
  w.close(edts);
}

// 16.16 fixed point of the displayed width: coded-and-cropped width stretched by the SAR.
uint32_t display_width_16_16(const Track& track) {
  uint64_t v = (uint64_t(track.width) * track.sar_width << 16) / track.sar_height;
  return v > UINT32_MAX ? UINT32_MAX : uint32_t(v);
}

void write_avc1(BoxWriter& w, const SampleDescription& track, const std::vector<uint8_t>& colour) {
  size_t avc1 = w.open("avc1");
  w.zeros(6);      // reserved
  w.u16(1);        // data_reference_index: the single dref entry (this file)
  w.u16(0);        // pre_defined
  w.u16(0);        // reserved
  w.zeros(12);     // pre_defined
  w.u16(uint16_t(track.width));
  w.u16(uint16_t(track.height));
  w.u32(0x00480000);  // 72 dpi, the value the spec mandates
  w.u32(0x00480000);
  w.u32(0);        // reserved
  w.u16(1);        // frame_count: one frame per sample
  static constexpr char kCompressor[] = "ringclip";
  uint8_t compressor[32] = {};
  compressor[0] = sizeof kCompressor - 1;  // a Pascal string
  std::memcpy(compressor + 1, kCompressor, sizeof kCompressor - 1);
  w.raw(compressor, sizeof compressor);
  w.u16(0x0018);   // depth: colour, no alpha
  w.u16(0xFFFF);   // pre_defined = -1
  size_t avcc = w.open("avcC");
  std::vector<uint8_t> config = build_avcc(track.sps, track.pps);
  w.raw(config.data(), config.size());
  w.close(avcc);
  if (track.sar_width != track.sar_height) {
    size_t pasp = w.open("pasp");
    w.u32(track.sar_width);
    w.u32(track.sar_height);
    w.close(pasp);
  }
  if (!colour.empty()) {
    size_t colr = w.open("colr");
    w.raw(colour.data(), colour.size());
    w.close(colr);
  }
  w.close(avc1);
}

}  // namespace

void validate_movie(const Movie& movie) {
  if (movie.tracks.empty()) throw Error(ErrorCode::InvalidArgument, "a movie needs at least one track");
  if (movie.timescale == 0) throw Error(ErrorCode::InvalidArgument, "movie timescale is 0");
  for (size_t i = 0; i < movie.tracks.size(); ++i) {
    const Track& t = movie.tracks[i];
    if (t.track_id == 0) throw Error(ErrorCode::InvalidArgument, "track id 0 is reserved");
    for (size_t j = 0; j < i; ++j) {
      if (movie.tracks[j].track_id == t.track_id)
        throw Error(ErrorCode::InvalidArgument, "duplicate track id " + std::to_string(t.track_id));
    }
    if (t.timescale == 0) throw Error(ErrorCode::InvalidArgument, "track " + t.name + " has timescale 0");
    if (t.width > 0xFFFF || t.height > 0xFFFF)
      throw Error(ErrorCode::InvalidArgument, "track " + t.name + " is larger than 65535 pixels");
    if (t.sar_width == 0 || t.sar_height == 0)
      throw Error(ErrorCode::InvalidArgument, "track " + t.name + " has a zero sample aspect ratio");
    for (const Sample& s : t.samples) {
      if (s.description > t.later_descriptions.size())
        throw Error(ErrorCode::InvalidArgument, "a sample of track " + t.name + " names sample description " +
                                                    std::to_string(s.description + 1) + " of " +
                                                    std::to_string(t.later_descriptions.size() + 1));
      if (s.data.size > UINT32_MAX)
        throw Error(ErrorCode::InvalidArgument, "a sample of track " + t.name + " is larger than 4 GiB");
      int64_t offset = s.pts - s.dts;
      if (offset > INT32_MAX || offset < INT32_MIN)
        throw Error(ErrorCode::InvalidArgument, "a composition offset of track " + t.name + " exceeds 32 bits");
    }
  }
}

PresentationStart presentation_start(const Track& track, uint32_t movie_timescale) {
  PresentationStart start;
  bool have_media = false;
  for (const Edit& e : track.edits) {
    if (e.media_time < 0 && !have_media) {
      start.delay_us += int64_t(rescale(e.segment_duration, movie_timescale, 1000000));
    } else if (!have_media) {
      start.media_time = e.media_time;
      have_media = true;
    }
  }
  if (!have_media && !track.samples.empty()) {
    start.media_time = track.samples.front().pts;
    for (const Sample& s : track.samples) start.media_time = std::min(start.media_time, s.pts);
  }
  return start;
}

void write_movie_reference(BoxWriter& w, const Movie& movie) {
  if (movie.tracks.empty() || movie.creation_time_us <= 0) return;
  const Track& track = movie.tracks.front();
  PresentationStart start = presentation_start(track, movie.timescale);
  if (start.media_time < 0) return;  // prft media times are unsigned
  ProducerReference ref;
  ref.track_id = track.track_id;
  ref.media_time = uint64_t(start.media_time);
  ref.unix_us = movie.creation_time_us + start.delay_us;
  write_prft(w, ref);
}

void write_ftyp(BoxWriter& w, const char (&major)[5], uint32_t minor_version,
                std::initializer_list<const char*> compatible) {
  size_t ftyp = w.open("ftyp");
  w.fourcc(major);
  w.u32(minor_version);
  for (const char* brand : compatible) w.raw(reinterpret_cast<const uint8_t*>(brand), 4);
  w.close(ftyp);
}

void write_mvhd(BoxWriter& w, const Movie& movie, uint64_t duration) {
  uint64_t created = unix_us_to_mp4_seconds(movie.creation_time_us);
  bool wide = needs_64(created) || needs_64(duration);
  size_t mvhd = w.open_full("mvhd", wide ? 1 : 0, 0);
  if (wide) {
    w.u64(created);
    w.u64(created);  // modification_time: a clip is never modified after capture
    w.u32(movie.timescale);
    w.u64(duration);
  } else {
    w.u32(uint32_t(created));
    w.u32(uint32_t(created));
    w.u32(movie.timescale);
    w.u32(uint32_t(duration));
  }
  w.u32(0x00010000);  // rate 1.0
  w.u16(0x0100);      // volume 1.0
  w.zeros(10);        // reserved
  write_matrix(w);
  w.zeros(24);        // pre_defined
  uint32_t next_track_id = 0;
  for (const Track& t : movie.tracks) next_track_id = std::max(next_track_id, t.track_id);
  w.u32(next_track_id + 1);
  w.close(mvhd);
}

size_t open_trak_until_stbl(BoxWriter& w, const Movie& movie, const Track& track,
                            const TrakDurations& durations, size_t (&open_boxes)[3]) {
  uint64_t created = unix_us_to_mp4_seconds(movie.creation_time_us);
  size_t trak = w.open("trak");

  bool wide = needs_64(created) || needs_64(durations.tkhd);
  size_t tkhd = w.open_full("tkhd", wide ? 1 : 0, kTrackEnabledInMovieInPreview);
  if (wide) {
    w.u64(created);
    w.u64(created);
    w.u32(track.track_id);
    w.u32(0);
    w.u64(durations.tkhd);
  } else {
    w.u32(uint32_t(created));
    w.u32(uint32_t(created));
    w.u32(track.track_id);
    w.u32(0);
    w.u32(uint32_t(durations.tkhd));
  }
  w.zeros(8);   // reserved
  w.u16(0);     // layer
  w.u16(0);     // alternate_group: 0 = both tracks play, neither replaces the other
  w.u16(0);     // volume: video
  w.u16(0);     // reserved
  for (uint32_t v : track.matrix) w.u32(v);  // a rotated source stays rotated
  w.u32(display_width_16_16(track));
  w.u32(track.height << 16);
  w.close(tkhd);

  if (!track.edits.empty()) write_elst(w, track);

  size_t mdia = w.open("mdia");
  wide = needs_64(created) || needs_64(durations.mdhd);
  size_t mdhd = w.open_full("mdhd", wide ? 1 : 0, 0);
  if (wide) {
    w.u64(created);
    w.u64(created);
    w.u32(track.timescale);
    w.u64(durations.mdhd);
  } else {
    w.u32(uint32_t(created));
    w.u32(uint32_t(created));
    w.u32(track.timescale);
    w.u32(uint32_t(durations.mdhd));
  }
  w.u16(kLanguageUnd);
  w.u16(0);  // pre_defined
  w.close(mdhd);

  // The handler name is what ffprobe shows as the stream's handler_name: it carries the
  // camera name ("road", "cabin") so a viewer can tell the tracks apart.
  size_t hdlr = w.open_full("hdlr", 0, 0);
  w.u32(0);  // pre_defined
  w.fourcc("vide");
  w.zeros(12);  // reserved
  w.text(track.name);
  w.u8(0);
  w.close(hdlr);

  size_t minf = w.open("minf");
  size_t vmhd = w.open_full("vmhd", 0, 1);  // flags 1 is mandated for vmhd
  w.zeros(8);  // graphicsmode copy, opcolor 0,0,0
  w.close(vmhd);
  size_t dinf = w.open("dinf");
  size_t dref = w.open_full("dref", 0, 0);
  w.u32(1);
  size_t url = w.open_full("url ", 0, 1);  // flags 1: the media is in this file
  w.close(url);
  w.close(dref);
  w.close(dinf);

  size_t stbl = w.open("stbl");
  if (track.sps.empty()) throw Error(ErrorCode::InvalidArgument, "track " + track.name + " has no SPS");
  if (track.pps.empty()) throw Error(ErrorCode::InvalidArgument, "track " + track.name + " has no PPS");
  size_t stsd = w.open_full("stsd", 0, 0);
  w.u32(uint32_t(1 + track.later_descriptions.size()));
  write_avc1(w, SampleDescription{track.sps, track.pps, track.width, track.height, track.sar_width, track.sar_height}, track.colour);
  for (const SampleDescription& d : track.later_descriptions) write_avc1(w, d, track.colour);
  w.close(stsd);

  open_boxes[0] = mdia;
  open_boxes[1] = minf;
  open_boxes[2] = stbl;
  return trak;
}

void close_trak(BoxWriter& w, const Track& track, const size_t (&open_boxes)[3], size_t trak) {
  w.close(open_boxes[2]);
  w.close(open_boxes[1]);
  w.close(open_boxes[0]);
  if (!track.name.empty()) {
    // udta/name: the QuickTime track name, for players that show it instead of hdlr.
    size_t udta = w.open("udta");
    size_t name = w.open("name");
    w.text(track.name);
    w.close(name);
    w.close(udta);
  }
  w.close(trak);
}

}  // namespace ringclip::mp4
