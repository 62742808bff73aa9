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

}  // namespace ringclip::mp4
