#include "mp4/hls_playlist.h"

#include <charconv>
#include <cstdint>

#include "util/error.h"

namespace ringclip::mp4 {
namespace {

void append_uint(std::string& out, uint64_t v) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, r.ptr);
}

// µs as seconds with exactly 6 decimals ("1.000000", "0.033333").
void append_seconds(std::string& out, int64_t us) {
  if (us < 0) throw Error(ErrorCode::InvalidArgument, "an HLS segment lasts a negative time");
  append_uint(out, uint64_t(us) / 1000000);
  char fraction[8] = {'.', '0', '0', '0', '0', '0', '0'};
  uint64_t f = uint64_t(us) % 1000000;
  for (int k = 6; k >= 1; --k, f /= 10) fraction[k] = char('0' + f % 10);
  out.append(fraction, 7);
}

}  // namespace

std::string hls_segment_lines(const std::vector<HlsSegment>& segments, HlsPlaylistKind kind, std::string_view name,
                              std::string_view suffix) {
  std::string out;
  const bool iframes = kind == HlsPlaylistKind::IFrames;
  out.reserve(segments.size() * (40 + name.size() + suffix.size() + (iframes ? 32 : 0)));
  // Durations repeat (a camera's GOPs mostly last the same): the EXTINF line is reused.
  int64_t last_us = 0;
  std::string extinf;
  for (size_t i = 0; i < segments.size(); ++i) {
    const HlsSegment& s = segments[i];
    if (i == 0 || s.duration_us != last_us) {
      last_us = s.duration_us;
      extinf.assign("#EXTINF:");
      append_seconds(extinf, s.duration_us);
      extinf.append(",\n");
    }
    out.append(extinf);
    if (iframes) {
      out.append("#EXT-X-BYTERANGE:");
      append_uint(out, s.key_frame_end - s.offset);
      out.append("@0\n");
    }
    out.append(name);
    out.push_back('-');
    append_uint(out, i);
    out.append(".m4s");
    out.append(suffix);
    out.push_back('\n');
  }
  return out;
}

}  // namespace ringclip::mp4
