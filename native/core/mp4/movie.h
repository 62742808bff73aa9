#pragma once
// The description of an MP4 to write, independent of where sample bytes live: the store
// points samples into its mmap, Mp4Source points them into the input file's mmap.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mp4/producer_reference.h"
#include "util/bytes.h"

namespace ringclip::mp4 {

struct Sample {
  int64_t dts = 0;        // in the track's timescale, from the track's first sample (first dts may be 0)
  int64_t pts = 0;        // in the track's timescale
  uint32_t duration = 0;  // in the track's timescale
  bool sync = false;      // a random access point (stss / trun sample flags)
  // Which sample entry (stsd) decodes it: 0 the track's own sps/pps/size, k > 0 the track's
  // later_descriptions[k - 1]. Consecutive samples on one entry share chunks and trafs.
  uint32_t description = 0;
  ByteSpan data;  // the sample bytes: NAL units with 4-byte big-endian length prefixes
};

// What a track carries (hdlr handler, media header, sample entry).
enum class TrackKind : uint8_t {
  Video = 0,     // H.264: avc1/avcC, vmhd
  Audio = 1,     // AAC: mp4a/esds, smhd
  Metadata = 2,  // timed metadata with its own sample entry (camm), nmhd
};

// One edit (elst entry). media_time -1 is an empty edit (the track starts later).
struct Edit {
  uint64_t segment_duration = 0;  // in the movie timescale
  int64_t media_time = 0;         // in the track's timescale, or -1
};

// A further sample entry of a track (stsd entry 2, 3, ...): the stream's parameter sets
// changed in a way one avcC cannot hold (a PPS id redefined, a new resolution), and the
// samples after it decode with these.
struct SampleDescription {
  std::vector<std::vector<uint8_t>> sps, pps;  // raw NAL units
  uint32_t width = 0, height = 0, sar_width = 1, sar_height = 1;
  // Audio: the AudioSpecificConfig (esds DecoderSpecificInfo). Metadata: the sample entry's
  // bytes after data_reference_index (none for camm).
  std::vector<uint8_t> config;
  uint32_t format = 0;                     // metadata: the sample entry type ('camm')
  uint32_t sample_rate = 0, channels = 0;  // audio
};

struct Track {
  uint32_t track_id = 1;
  std::string name;                // "road", "cabin": written to hdlr name and udta so ffprobe shows it
  uint32_t timescale = 90000;      // audio: the sample rate
  uint32_t width = 0, height = 0;  // displayed size (after cropping)
  uint32_t sar_width = 1, sar_height = 1;
  std::vector<std::vector<uint8_t>> sps;  // raw NAL units, header byte first, no start code
  std::vector<std::vector<uint8_t>> pps;
  TrackKind kind = TrackKind::Video;
  // The first sample entry of an audio or metadata track (SampleDescription's fields of
  // the same names); video keeps its first entry in sps/pps/width/height above.
  std::vector<uint8_t> config;
  uint32_t format = 0;
  uint32_t sample_rate = 0, channels = 0;
  std::vector<SampleDescription> later_descriptions;  // stsd entries after the first
  std::vector<Sample> samples;                        // in decode order
  std::vector<Edit> edits;                            // empty: no edit list
  // tkhd display matrix (a, b, u, c, d, v, x, y, w as stored, 16.16 and 2.30): a camera
  // mounted rotated says so here. Unity by default.
  std::array<uint32_t, 9> matrix{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
  std::vector<uint8_t> colour;  // a source's colr box payload, written as it came; empty: none
};

// A track of an input the reader does not return (audio, other codecs): said, not hidden.
struct SkippedTrack {
  uint32_t track_id = 0;
  uint32_t handler = 0;       // hdlr handler_type: 'soun', 'vide', 'text'...
  uint32_t sample_entry = 0;  // stsd's first entry type: 'mp4a', 'hvc1'...; 0 when none
};

struct Movie {
  uint32_t timescale = 1000;  // movie timescale (mvhd, elst segment durations)
  // µs since the Unix epoch (capture time) of the movie's presentation time 0. Written as
  // 1904-based whole seconds in mvhd, and to the µs in a top-level prft (docs/TIME.md).
  int64_t creation_time_us = 0;
  // Read back: the file's first top-level prft, when it has one (writers ignore it).
  std::optional<ProducerReference> reference;
  std::vector<Track> tracks;
  std::vector<SkippedTrack> skipped_tracks;  // read_movie: tracks of the input left out
};

// Heap bytes the movie's tables hold (samples above all: ~3,600 per minute of a camera at
// 30 fps), for owners that must report what they keep alive.
inline size_t heap_bytes(const Movie& movie) {
  size_t n = movie.tracks.capacity() * sizeof(Track);
  for (const Track& t : movie.tracks)
    n += t.samples.capacity() * sizeof(Sample) + t.edits.capacity() * sizeof(Edit) +
         t.later_descriptions.capacity() * sizeof(SampleDescription);
  return n;
}

// A track's description without its samples: the init segment of a fragmented file is
// made of it, and copying 108,000 samples of an hour for that costs milliseconds.
Track copy_without_samples(const Track& track);

// The track's first sample entry as a SampleDescription (any kind).
SampleDescription first_description(const Track& track);
void set_first_description(Track& track, SampleDescription&& description);  // the inverse
inline uint32_t fourcc_value(const char (&f)[5]) {
  return uint32_t(uint8_t(f[0])) << 24 | uint32_t(uint8_t(f[1])) << 16 | uint32_t(uint8_t(f[2])) << 8 | uint8_t(f[3]);
}
std::string fourcc_text(uint32_t v);

// avcC (ISO/IEC 14496-15 5.3.3.1) from the track's SPS/PPS; High-profile fields included.
std::vector<uint8_t> build_avcc(const Track& track);
std::vector<uint8_t> build_avcc(const std::vector<std::vector<uint8_t>>& sps,
                                const std::vector<std::vector<uint8_t>>& pps);

}  // namespace ringclip::mp4
