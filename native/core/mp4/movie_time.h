#pragma once
// Durations and clock conversions shared by the writers (and the 1904 epoch the reader
// converts back from).
#include <cstdint>

#include "mp4/movie.h"

namespace ringclip::mp4 {

// value * to / from, rounded to nearest, without 64-bit overflow.
uint64_t rescale(uint64_t value, uint32_t from, uint32_t to);

// value * to / from for signed clock values (µs <-> track ticks), rounded half away from
// zero, computed exactly in 128 bits and saturated at the int64 limits: a hostile file's
// ticks can lie far outside what µs can express, and callers range-check the result.
int64_t rescale_signed_wide(int64_t value, uint32_t from, uint32_t to);

// The same, inline with a 64-bit path for the values clips hold (µs of a few centuries):
// a clip of an hour converts ~200,000 times, and a 128-bit division per call was a tenth of
// its cost; inlined with constant clocks, the division becomes a multiplication.
__attribute__((always_inline)) inline int64_t rescale_signed(int64_t value, uint32_t from, uint32_t to) {
  if (from == 0) return 0;
  const uint64_t magnitude = value < 0 ? 0 - uint64_t(value) : uint64_t(value);
  uint64_t product;
  if (__builtin_mul_overflow(magnitude, uint64_t(to), &product) || product > uint64_t(INT64_MAX) - from)
    return rescale_signed_wide(value, from, to);
  const int64_t scaled = int64_t((product + from / 2) / from);
  return value < 0 ? -scaled : scaled;
}

// Sum of sample durations, in the track timescale (mdhd duration).
uint64_t media_duration(const Track& track);
// How long the track plays in the movie timescale (tkhd duration): the edit list's total
// when there is one, otherwise the media duration rescaled.
uint64_t presentation_duration(const Track& track, uint32_t movie_timescale);
// The longest track (mvhd duration, mehd fragment_duration).
uint64_t movie_duration(const Movie& movie);

// Where a track's decode time 0 lands on the movie timeline, in seconds: leading empty
// edits push it later, the first edit's media_time pulls it earlier. Only used to order
// bytes (chunk interleaving, fragment order), so a double is precise enough.
double track_start_seconds(const Track& track, uint32_t movie_timescale);

// MP4 times count seconds since 1904-01-01. 0 means "unknown" on both sides.
uint64_t unix_us_to_mp4_seconds(int64_t unix_us);
int64_t mp4_seconds_to_unix_us(uint64_t mp4_seconds);

}  // namespace ringclip::mp4
