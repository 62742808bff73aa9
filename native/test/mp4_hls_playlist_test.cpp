// hls_segment_lines: EXTINF in seconds with exactly 6 decimals from whole µs, I-frame byte
// ranges from the moof to the end of the key frame, URIs numbered from 0 with the suffix.
#include "check.h"
#include "mp4/hls_playlist.h"
#include "util/error.h"

using namespace ringclip;

TEST(mp4_hls_segment_lines_media_and_iframes) {
  std::vector<mp4::HlsSegment> segments(3);
  segments[0] = {1000, 5000, 3100, 0, 1000000};
  segments[1] = {6000, 700, 6400, 1000000, 1000000};
  segments[2] = {6700, 90, 6750, 2000000, 33333};
  CHECK_EQ(mp4::hls_segment_lines(segments, mp4::HlsPlaylistKind::Media, "road", "?t=1"),
           std::string("#EXTINF:1.000000,\nroad-0.m4s?t=1\n"
                       "#EXTINF:1.000000,\nroad-1.m4s?t=1\n"
                       "#EXTINF:0.033333,\nroad-2.m4s?t=1\n"));
  CHECK_EQ(mp4::hls_segment_lines(segments, mp4::HlsPlaylistKind::IFrames, "cabin", ""),
           std::string("#EXTINF:1.000000,\n#EXT-X-BYTERANGE:2100@0\ncabin-0.m4s\n"
                       "#EXTINF:1.000000,\n#EXT-X-BYTERANGE:400@0\ncabin-1.m4s\n"
                       "#EXTINF:0.033333,\n#EXT-X-BYTERANGE:50@0\ncabin-2.m4s\n"));
  segments[2].duration_us = 123456789012;  // long and odd: every digit kept
  CHECK_EQ(mp4::hls_segment_lines({segments[2]}, mp4::HlsPlaylistKind::Media, "x", ""),
           std::string("#EXTINF:123456.789012,\nx-0.m4s\n"));
  CHECK_EQ(mp4::hls_segment_lines({}, mp4::HlsPlaylistKind::Media, "x", ""), std::string());
  segments[2].duration_us = -1;
  CHECK_THROWS(mp4::hls_segment_lines({segments[2]}, mp4::HlsPlaylistKind::Media, "x", ""));
}
