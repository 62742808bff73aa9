#pragma once
// The per-segment lines of an HLS rendition's playlists (RFC 8216), written from its segment
// table: an hour of a camera is 3,600 segments and ~11,000 lines, which the core writes in a
// fraction of what building them as strings one by one costs in JavaScript. The playlist's
// header and end (lib/hls.ts) stay with the API that validates names and queries.
#include <string>
#include <string_view>
#include <vector>

#include "mp4/hls_layout.h"

namespace ringclip::mp4 {

enum class HlsPlaylistKind {
  Media,   // #EXTINF:<seconds>,  <name>-<n>.m4s<suffix>
  IFrames  // #EXTINF:<seconds>,  #EXT-X-BYTERANGE:<moof..key frame>@0  <name>-<n>.m4s<suffix>
};

// One line per tag and URI, each ending in '\n'. EXTINF carries the segment's duration in
// seconds with 6 decimals (exact: durations are whole µs). `name` and `suffix` are written
// as given: the caller has checked them.
std::string hls_segment_lines(const std::vector<HlsSegment>& segments, HlsPlaylistKind kind, std::string_view name,
                              std::string_view suffix);

}  // namespace ringclip::mp4
