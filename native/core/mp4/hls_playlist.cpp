#include "mp4/hls_playlist.h"

#include <charconv>
#include <cstdint>
#include <cstring>

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
  const bool iframes = kind == HlsPlaylistKind::IFrames;
  // Written through a pointer into a buffer sized for the longest possible lines (numbers
  // of 20 digits), then cut to length: an hour has 3,600 segments, and appending piece by
  // piece checked the capacity a dozen times a line.
  constexpr size_t kNumber = 20;
  const size_t line_bound = sizeof("#EXTINF:") + kNumber + 8 + 2 +
                            (iframes ? sizeof("#EXT-X-BYTERANGE:") + kNumber + 3 : 0) + name.size() + 1 + kNumber + 4 +
                            suffix.size() + 1;
  std::string out(segments.size() * line_bound, '\0');
  char* p = out.data();
  auto put = [&p](std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  };
  auto put_uint = [&p](uint64_t v) { p = std::to_chars(p, p + kNumber, v).ptr; };
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
    put(extinf);
    if (iframes) {
      put("#EXT-X-BYTERANGE:");
      put_uint(s.key_frame_end - s.offset);
      put("@0\n");
    }
    put(name);
    *p++ = '-';
    put_uint(i);
    put(".m4s");
    put(suffix);
    *p++ = '\n';
  }
  out.resize(size_t(p - out.data()));
  return out;
}

}  // namespace ringclip::mp4
