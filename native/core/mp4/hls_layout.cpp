// One camera of a clip as an HLS rendition: a fragmented MP4 with one fragment per GOP of
// the video (the audio of the same time span in the same moof), no edit lists, no mehd
// and no sidx, so that a growing recording keeps the bytes and offsets of every fragment
// already listed (the playlist of an open drive grows by appending). Why: docs/MP4.md, "HLS".
#include "mp4/hls_layout.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

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

HlsLayout plan_hls_layout(const Movie& movie, const HlsOptions& options) {
  HlsLayout out;
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
  for (size_t i = 0; i < movie.tracks.size(); ++i)
    if (&movie.tracks[i] == video) out.track_indices.push_back(i);
  for (size_t i = 0; i < movie.tracks.size(); ++i) {
    const Track& t = movie.tracks[i];
    if (t.kind == TrackKind::Audio) out.track_indices.push_back(i);
    if (t.kind == TrackKind::Metadata)
      out.dropped.push_back("left out the metadata track '" + t.name + "': HLS renditions carry video and audio");
  }
  // One timeline without edit lists (MSE players ignore them): each track's decode times
  // moved to where its edits put them, and all of them later by what the earliest decode
  // time lies before 0 (a B-frame stream's key frame decodes before it is presented). The
  // move is a per-track shift of tfdt (FragmentTrack), not a shifted copy of the samples.
  const size_t n = out.track_indices.size();
  std::vector<int64_t> offsets(n);
  int64_t shift_us = 0;
  for (size_t i = 0; i < n; ++i) {
    const Track& t = movie.tracks[out.track_indices[i]];
    offsets[i] = track_offset_us(t, movie.timescale);
    if (t.samples.empty()) continue;
    shift_us = std::max(shift_us, -(offsets[i] + rescale_signed(t.samples.front().dts, t.timescale, kMicros)));
  }
  std::vector<FragmentTrack> tracks(n);
  Movie header;  // the init's tracks: the same entries, no samples, no edits
  header.timescale = movie.timescale;
  for (size_t i = 0; i < n; ++i) {
    const Track& t = movie.tracks[out.track_indices[i]];
    out.dts_shifts.push_back(rescale_signed(offsets[i] + shift_us, kMicros, t.timescale));
    tracks[i] = FragmentTrack{&t, out.dts_shifts.back()};
    header.tracks.push_back(copy_without_samples(t));
    header.tracks.back().edits.clear();
  }
  out.origin_us = movie.creation_time_us > 0 ? movie.creation_time_us - shift_us : 0;
  header.creation_time_us = out.origin_us;

  FragmentedOptions fo;
  fo.known_duration = false;  // mehd would change as a recording grows
  fo.segment_index = false;   // the playlist is the index
  out.init = build_init_segment(header, fo);

  const Track& v = *video;
  const int64_t v_shift = out.dts_shifts[0];
  auto micros = [](const Track& t, int64_t ticks) { return rescale_signed(ticks, t.timescale, kMicros); };
  // GOP by GOP, each found where the previous one ends and sized while its samples are
  // in cache (one pass over an hour's 108,000 samples, not one to find GOPs and another to
  // size them). An open end lists every GOP but the last, which may still grow.
  std::vector<FragmentRange> ranges(n);
  std::vector<size_t> audio_next(n, 0);
  out.segments.reserve(v.samples.size() / 16 + 1);
  out.ranges.reserve((v.samples.size() / 16 + 1) * n);
  uint64_t at = out.init.size();
  for (size_t first = 0, g = 0; first < v.samples.size(); first = ranges[0].last, ++g) {
    size_t last = first + 1;
    while (last < v.samples.size() && !v.samples[last].sync) ++last;
    const bool final_gop = last == v.samples.size();
    if (final_gop && options.open_end) break;
    // Audio decoded before the next key frame goes with this GOP (the last takes the rest;
    // the first also what comes before it).
    const int64_t boundary_us = final_gop ? INT64_MAX : micros(v, v.samples[last].dts + v_shift);
    ranges[0] = FragmentRange{first, last};
    for (size_t i = 1; i < n; ++i) {
      const Track& a = *tracks[i].track;
      size_t end = audio_next[i];
      while (end < a.samples.size() && micros(a, a.samples[end].dts + tracks[i].dts_shift) < boundary_us) ++end;
      ranges[i] = FragmentRange{audio_next[i], end};
      audio_next[i] = end;
    }
    const FragmentSize size = fragment_size(tracks, ranges);
    HlsSegment seg;
    seg.offset = at;
    seg.size = size.header + size.payload;
    seg.key_frame_end = seg.offset + size.header + v.samples[first].data.size;
    seg.start_us = micros(v, v.samples[first].dts + v_shift);
    const int64_t end_ticks =
        final_gop ? v.samples[last - 1].dts + int64_t(v.samples[last - 1].duration) : v.samples[last].dts;
    seg.duration_us = micros(v, end_ticks + v_shift) - seg.start_us;
    at += seg.size;
    out.segments.push_back(seg);
    out.ranges.insert(out.ranges.end(), ranges.begin(), ranges.end());
  }
  out.file_size = at;

  out.codecs = video_codec(v);
  for (size_t i = 1; i < n; ++i) out.codecs += "," + audio_codec(*tracks[i].track);
  out.width = v.width;
  out.height = v.height;
  return out;
}

namespace {

// The layout's tracks, as the fragments take them.
std::vector<FragmentTrack> fragment_tracks(const Movie& movie, const HlsLayout& layout) {
  std::vector<FragmentTrack> tracks(layout.track_indices.size());
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (layout.track_indices[i] >= movie.tracks.size())
      throw std::logic_error("an HLS layout used with another movie than the one it was planned from");
    tracks[i] = FragmentTrack{&movie.tracks[layout.track_indices[i]], layout.dts_shifts[i]};
  }
  return tracks;
}

// Segment g's fragment, appended to `file`; it must come out the size the table says.
void append_segment(VirtualFile& file, const std::vector<FragmentTrack>& tracks, const HlsLayout& layout, size_t g) {
  const size_t n = tracks.size();
  const std::vector<FragmentRange> ranges(layout.ranges.begin() + ptrdiff_t(g * n),
                                          layout.ranges.begin() + ptrdiff_t((g + 1) * n));
  const uint64_t before = file.size();
  append_fragment(file, tracks, ranges, uint32_t(g + 1));
  if (file.size() - before != layout.segments[g].size)
    throw std::logic_error("HLS segment " + std::to_string(g) + " came out " + std::to_string(file.size() - before) +
                           " bytes, its playlist entry says " + std::to_string(layout.segments[g].size));
}

}  // namespace

VirtualFile build_hls_file(const Movie& movie, const HlsLayout& layout) {
  const std::vector<FragmentTrack> tracks = fragment_tracks(movie, layout);
  size_t samples = 0;
  for (const FragmentTrack& t : tracks) samples += t.track->samples.size();
  VirtualFile file;
  file.reserve(2 * layout.segments.size() + samples + 1);
  file.append_generated(layout.init);
  // Each segment is checked for its size: the table's offsets are those sizes summed after the init.
  for (size_t g = 0; g < layout.segments.size(); ++g) append_segment(file, tracks, layout, g);
  return file;
}

VirtualFile build_hls_part(const Movie& movie, const HlsLayout& layout, ptrdiff_t segment) {
  VirtualFile file;
  if (segment < 0) {
    file.append_generated(layout.init);
    return file;
  }
  if (size_t(segment) >= layout.segments.size())
    throw Error(ErrorCode::InvalidArgument, "no HLS segment " + std::to_string(segment) + ": the rendition has " +
                                                std::to_string(layout.segments.size()));
  append_segment(file, fragment_tracks(movie, layout), layout, size_t(segment));
  return file;
}

}  // namespace ringclip::mp4
