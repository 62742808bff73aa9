#pragma once
// Reads an existing MP4 (progressive or fragmented; written by ringclip, ffmpeg or x264)
// into a Movie whose samples point into `file` (typically an mmap of the input). Garbage
// or truncated input throws Error(InvalidData) with a message that says what was wrong.
#include "mp4/movie.h"
#include "util/bytes.h"

namespace ringclip::mp4 {

// Only H.264 (avc1/avc3) video tracks are returned; other tracks are skipped. When
// the file has no H.264 video track, throws Error(InvalidData).
Movie read_movie(ByteSpan file);

// An avcC payload (ISO/IEC 14496-15 5.3.3.1) → track.sps / track.pps. Only 4-byte NAL
// lengths are accepted: samples are handed on as they are, never rewritten.
void read_avcc(ByteSpan payload, Track& track);

}  // namespace ringclip::mp4
