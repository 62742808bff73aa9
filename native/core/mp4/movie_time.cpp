#include "mp4/movie_time.h"

#include <algorithm>

namespace ringclip::mp4 {

namespace {
constexpr uint64_t kSeconds1904To1970 = 2082844800;
}

uint64_t rescale(uint64_t value, uint32_t from, uint32_t to) {
  if (from == 0) return 0;
  unsigned __int128 scaled = (static_cast<unsigned __int128>(value) * to + from / 2) / from;
  return scaled > UINT64_MAX ? UINT64_MAX : uint64_t(scaled);
}

int64_t rescale_signed_wide(int64_t value, uint32_t from, uint32_t to) {
  if (from == 0) return 0;
  __int128 product = static_cast<__int128>(value) * to;
  __int128 half = from / 2;
  __int128 scaled = product >= 0 ? (product + half) / from : -((-product + half) / from);
  if (scaled > INT64_MAX) return INT64_MAX;
  if (scaled < INT64_MIN) return INT64_MIN;
  return int64_t(scaled);
}

uint64_t media_duration(const Track& track) {
  uint64_t total = 0;
  for (const Sample& s : track.samples) total += s.duration;
  return total;
}

uint64_t presentation_duration(const Track& track, uint32_t movie_timescale) {
  if (!track.edits.empty()) {
    uint64_t total = 0;
    for (const Edit& e : track.edits) total += e.segment_duration;
    return total;
  }
  return rescale(media_duration(track), track.timescale, movie_timescale);
}

uint64_t movie_duration(const Movie& movie) {
  uint64_t longest = 0;
  for (const Track& t : movie.tracks) longest = std::max(longest, presentation_duration(t, movie.timescale));
  return longest;
}

double track_start_seconds(const Track& track, uint32_t movie_timescale) {
  double start = 0;
  for (const Edit& e : track.edits) {
    if (e.media_time == -1) {
      if (movie_timescale) start += double(e.segment_duration) / movie_timescale;
      continue;
    }
    if (track.timescale) start -= double(e.media_time) / track.timescale;
    break;
  }
  return start;
}

uint64_t unix_us_to_mp4_seconds(int64_t unix_us) {
  if (unix_us == 0) return 0;
  int64_t seconds = unix_us / 1000000;
  if (unix_us < 0 && unix_us % 1000000 != 0) --seconds;  // floor, not truncate
  if (seconds < -int64_t(kSeconds1904To1970)) return 0;
  return uint64_t(seconds + int64_t(kSeconds1904To1970));
}

int64_t mp4_seconds_to_unix_us(uint64_t mp4_seconds) {
  if (mp4_seconds == 0) return 0;
  // Clamp absurd values (a hostile file) instead of overflowing.
  if (mp4_seconds > uint64_t(INT64_MAX / 1000000) + kSeconds1904To1970) return INT64_MAX;
  return (int64_t(mp4_seconds) - int64_t(kSeconds1904To1970)) * 1000000;
}

}  // namespace ringclip::mp4
