#pragma once
// The files a clip exports, and their strong ETags. One place decides which formats there
// are and which ETag variant each gets, so that two formats of one clip (or raw H.264 of
// two of its tracks) never share a tag, whoever builds them (store clips, MP4 sources).
#include <cstdint>
#include <functional>
#include <string>

#include "mp4/movie.h"
#include "mp4/virtual_file.h"

namespace ringclip::exporting {

enum class ClipFormat : uint8_t { Mp4, FragmentedMp4, AnnexB };

struct ClipFileRequest {
  ClipFormat format = ClipFormat::Mp4;
  bool force_co64 = false;  // Mp4: 64-bit chunk offsets without 4 GiB of data (tests)
  uint32_t track = 0;       // AnnexB: which track of the clip
};

// lib/'s names, "mp4", "fmp4" and "h264"; Error(InvalidArgument) naming them otherwise.
ClipFormat clip_format(const std::string& name);

// The ETag variant of a file: 1 progressive MP4, 2 the same with 64-bit chunk offsets,
// 3 fragmented MP4, 4 + track raw H.264 of one track.
uint32_t etag_variant(const ClipFileRequest& request);

struct ClipFile {
  mp4::VirtualFile file;
  std::string etag;  // export/etag.h, of `source_identity` and the variant
};

// Runs a part of the build that reads sample bytes (the caller may guard it: store/mapped_read.h).
using SampleReads = std::function<void(const std::function<void()>& read)>;

// Builds the file. Raw H.264 is laid out from the stored NAL length prefixes, so it reads
// the sample bytes: that part runs inside `read_samples` when one is given. Throws
// Error(InvalidArgument) for a track the movie does not have.
ClipFile build_clip_file(const mp4::Movie& movie, const ClipFileRequest& request, uint64_t source_identity,
                         const SampleReads& read_samples = {});

}  // namespace ringclip::exporting
