#pragma once
// Raw Annex B export of one track: start codes and parameter sets are generated, NAL unit
// bytes are spans of the stored samples (zero-copy, like the MP4 writers).
#include "mp4/movie.h"
#include "mp4/virtual_file.h"

namespace ringclip::exporting {

// SPS and PPS are repeated before every sync sample so any random access point of the
// output decodes on its own.
mp4::VirtualFile build_annexb(const mp4::Track& track);

}  // namespace ringclip::exporting
