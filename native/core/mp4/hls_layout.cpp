// One camera of a clip as an HLS rendition: a fragmented MP4 with one fragment per GOP of
// the video (the audio of the same time span in the same moof), no edit lists, no mehd
// and no sidx, so that a growing recording keeps the bytes and offsets of every fragment
// already listed (the playlist of an open drive grows by appending). Why: docs/MP4.md, "HLS".
#include "mp4/hls_layout.h"

#include <algorithm>
#include <cstdio>

#include "mp4/movie_time.h"
#include "mp4/writer.h"
#include "util/error.h"

namespace ringclip::mp4 {
namespace {

constexpr uint32_t kMicros = 1000000;

// Where a track's decode time 0 sits on the movie timeline (µs): what its edit list says
// (leading empty edits delay it; the first media edit's media_time pulls it earlier).
int64_t track_offset_us(const Track& track, uint32_t movie_timescale) {
  int64_t offset = 0;
  for (const Edit& e : track.edits) {
    if (e.media_time == -1) {
      offset += rescale_signed(int64_t(e.segment_duration), movie_timescale, kMicros);
      continue;
    }
    offset -= rescale_signed(e.media_time, track.timescale, kMicros);
    break;
  }
  return offset;
}

std::string video_codec(const Track& t) {
  if (t.sps.empty() || t.sps.front().size() < 4) return "avc1";
  char text[16];
  std::snprintf(text, sizeof text, "avc1.%02x%02x%02x", t.sps.front()[1], t.sps.front()[2], t.sps.front()[3]);
  return text;
}

std::string audio_codec(const Track& t) {
  if (t.config.empty()) return "mp4a.40.2";
  uint32_t object_type = t.config[0] >> 3;
  if (object_type == 31 && t.config.size() >= 2) object_type = 32 + (((t.config[0] & 7u) << 3) | (t.config[1] >> 5));
  return "mp4a.40." + std::to_string(object_type);
}

}  // namespace

HlsLayout build_hls_layout(const Movie& movie, const HlsOptions& options) {
  HlsLayout out;
  Movie m;
  m.timescale = movie.timescale;
  const Track* video = nullptr;
  for (const Track& t : movie.tracks) {
    if (t.kind != TrackKind::Video) continue;
    if (video)
      throw Error(ErrorCode::InvalidArgument,
                  "an HLS rendition carries one camera: the clip has '" + video->name + "' and '" + t.name + "'");
    video = &t;
  }
  if (!video) throw Error(ErrorCode::InvalidArgument, "an HLS rendition needs a video track: the clip has none");
  if (video->samples.empty())
    throw Error(ErrorCode::InvalidArgument, "the video track '" + video->name + "' has no samples");
  if (!video->samples.front().sync)
    throw Error(ErrorCode::InvalidArgument, "the video track '" + video->name + "' does not start at a key frame");
  // The camera first (its bytes lead each mdat, so a key frame is the moof's first sample
  // data), then the audio; timed metadata is not something HLS players take.
  m.tracks.push_back(*video);
  for (const Track& t : movie.tracks) {
    if (t.kind == TrackKind::Audio) m.tracks.push_back(t);
    if (t.kind == TrackKind::Metadata)
      out.dropped.push_back("left out the metadata track '" + t.name + "': HLS renditions carry video and audio");
  }
  // One timeline without edit lists (MSE players ignore them): each track's decode times
  // moved to where its edits put them, and all of them later by what the earliest decode
  // time lies before 0 (a B-frame stream's key frame decodes before it is presented).
  std::vector<int64_t> offsets(m.tracks.size());
  int64_t shift_us = 0;
  for (size_t i = 0; i < m.tracks.size(); ++i) {
    const Track& t = m.tracks[i];
    offsets[i] = track_offset_us(t, movie.timescale);
    if (t.samples.empty()) continue;
    shift_us = std::max(shift_us, -(offsets[i] + rescale_signed(t.samples.front().dts, t.timescale, kMicros)));
  }
  for (size_t i = 0; i < m.tracks.size(); ++i) {
    Track& t = m.tracks[i];
    const int64_t add = rescale_signed(offsets[i] + shift_us, kMicros, t.timescale);
    for (Sample& s : t.samples) {
      s.dts += add;
      s.pts += add;
    }
    t.edits.clear();
  }
  out.origin_us = movie.creation_time_us > 0 ? movie.creation_time_us - shift_us : 0;
  m.creation_time_us = out.origin_us;

  FragmentedOptions fo;
  fo.known_duration = false;  // mehd would change as a recording grows
  fo.segment_index = false;   // the playlist is the index
  out.file.append_generated(build_init_segment(m, fo));
  out.init_size = out.file.size();

  const Track& v = m.tracks.front();
  std::vector<size_t> gop_starts;
  for (size_t s = 0; s < v.samples.size(); ++s)
    if (v.samples[s].sync) gop_starts.push_back(s);
  gop_starts.push_back(v.samples.size());
  const size_t listed = options.open_end ? gop_starts.size() - 2 : gop_starts.size() - 1;

  std::vector<FragmentRange> ranges(m.tracks.size());
  std::vector<size_t> audio_next(m.tracks.size(), 0);
  out.segments.reserve(listed);
  out.file.reserve(2 * listed + v.samples.size() + 1);
  for (size_t g = 0; g < listed; ++g) {
    const size_t first = gop_starts[g], last = gop_starts[g + 1];
    const bool final_gop = last == v.samples.size();
    // Audio decoded before the next key frame goes with this GOP (the last takes the rest;
    // the first also what comes before it).
    const int64_t boundary_us = final_gop ? INT64_MAX : rescale_signed(v.samples[last].dts, v.timescale, kMicros);
    std::fill(ranges.begin(), ranges.end(), FragmentRange{});
    ranges[0] = FragmentRange{first, last};
    uint64_t payload = 0;
    for (size_t k = first; k < last; ++k) payload += v.samples[k].data.size;
    for (size_t i = 1; i < m.tracks.size(); ++i) {
      const Track& a = m.tracks[i];
      size_t end = audio_next[i];
      while (end < a.samples.size() && rescale_signed(a.samples[end].dts, a.timescale, kMicros) < boundary_us) {
        payload += a.samples[end].data.size;
        ++end;
      }
      ranges[i] = FragmentRange{audio_next[i], end};
      audio_next[i] = end;
    }
    HlsSegment seg;
    seg.offset = out.file.size();
    append_fragment(out.file, m, ranges, uint32_t(g + 1));
    seg.size = out.file.size() - seg.offset;
    seg.key_frame_end = seg.offset + (seg.size - payload) + v.samples[first].data.size;
    seg.start_us = rescale_signed(v.samples[first].dts, v.timescale, kMicros);
    const int64_t end_ticks =
        final_gop ? v.samples[last - 1].dts + int64_t(v.samples[last - 1].duration) : v.samples[last].dts;
    seg.duration_us = rescale_signed(end_ticks, v.timescale, kMicros) - seg.start_us;
    out.segments.push_back(seg);
  }

  out.codecs = video_codec(v);
  for (size_t i = 1; i < m.tracks.size(); ++i) out.codecs += "," + audio_codec(m.tracks[i]);
  out.width = v.width;
  out.height = v.height;
  return out;
}

}  // namespace ringclip::mp4
