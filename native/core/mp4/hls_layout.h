#pragma once
// HLS from the index: one camera of a clip (its video track and the clip's audio) laid out
// as one virtual fragmented MP4 whose fragments are the segments of an HLS media playlist
// (EXT-X-MAP = the init bytes, EXT-X-BYTERANGE = a fragment), and whose key frames are the
// entries of its I-frame playlist (a fragment's moof through its key frame). Nothing is
// stored: the file is generated boxes plus spans of the source, like every other export.
// Layout and reasons: docs/MP4.md, "HLS".
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mp4/movie.h"
#include "mp4/virtual_file.h"
#include "mp4/writer.h"

namespace ringclip::mp4 {

struct HlsSegment {
  uint64_t offset = 0;         // of the fragment's moof in the file
  uint64_t size = 0;           // moof + mdat
  uint64_t key_frame_end = 0;  // end of the key frame's bytes (moof, mdat header, first video sample)
  int64_t start_us = 0;        // decode time of the GOP's key frame on the layout's timeline
  int64_t duration_us = 0;     // to the next GOP (the last: to the end of its last frame)
};

// The rendition as a table: what its playlists list, computed from the samples' sizes
// alone (mp4/writer.h fragment_size()); build_hls_file() makes the bytes it describes when
// a byte of them is asked for. A playlist request, the most frequent (a live one is polled
// every few seconds by every player), builds no file.
struct HlsLayout {
  std::vector<uint8_t> init;         // ftyp + prft + moov: EXT-X-MAP
  uint64_t file_size = 0;            // the init and every listed fragment
  std::vector<HlsSegment> segments;  // one per GOP of the video track, in order
  std::string codecs;                // RFC 6381, for CODECS: "avc1.64001f,mp4a.40.2"
  uint32_t width = 0, height = 0;
  // The capture time (µs since the epoch) of the layout's time 0 (0 when unknown).
  int64_t origin_us = 0;
  // Tracks of the clip the layout leaves out (a camm metadata track), each with why.
  std::vector<std::string> dropped;
  // How build_hls_file() lays the fragments out: the movie's tracks it takes (the camera
  // first, then the audio), how far each one's decode times move on the rendition's
  // timeline (its timescale), and each segment's sample range per track (segment-major).
  std::vector<size_t> track_indices;
  std::vector<int64_t> dts_shifts;
  std::vector<FragmentRange> ranges;
};

struct HlsOptions {
  // A recording still growing (an open drive): the last GOP may still get frames, so it is
  // laid out but not listed; every listed segment keeps its bytes and offset as it grows.
  bool open_end = false;
};

// `movie`: exactly one H.264 track (the camera) and any audio tracks; metadata tracks are
// left out (listed in `dropped`). Throws Error(InvalidArgument) for no video track or more
// than one, or a video track that does not start at a sync sample.
HlsLayout plan_hls_layout(const Movie& movie, const HlsOptions& options = {});

// The fMP4 the layout describes (init, then one fragment per segment, each where the table
// says), its sample bytes spans of `movie`'s: the movie the layout was planned from.
VirtualFile build_hls_file(const Movie& movie, const HlsLayout& layout);

// One part of that file alone, as its own file: the init segment (`segment` < 0) or the
// fragment of segment `segment`, byte for byte what build_hls_file() holds there. A segment
// request lays out one GOP, not the hour around it.
VirtualFile build_hls_part(const Movie& movie, const HlsLayout& layout, ptrdiff_t segment);

}  // namespace ringclip::mp4
