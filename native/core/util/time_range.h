#pragma once
// The times the core accepts. Every time is an integer of µs since the Unix epoch, and the
// latest is 2^53 − 1 (2255-06-05T23:47:34.740991Z): the largest integer a JS number holds
// exactly, so every time the core hands back reaches JS unchanged. With every time within
// ±2^53, a difference of two times stays within ±2^54 and its conversion to a 90 kHz
// clock within ±2^51: no arithmetic on checked times can overflow int64.
#include <cstdint>
#include <string>

namespace ringclip {

// Capture times (pts, dts, a write stream's start, clip and protection bounds) are dates:
// none before 1970 (a camera whose clock was never set reads 1970 or 2000, not earlier).
inline constexpr int64_t kMinTimeUs = 0;
inline constexpr int64_t kMaxTimeUs = (int64_t(1) << 53) - 1;
// A timeline that is not a date (an MP4 without a capture time counts from its first
// presented frame, and frames its edit list cuts off lie before 0) may run as far below 0.
inline constexpr int64_t kMinTimelineUs = -kMaxTimeUs;

// Throws Error(InvalidArgument) naming `what`, the value and the allowed range unless
// kMinTimeUs <= us <= kMaxTimeUs.
void check_time(const char* what, int64_t us);
// The same for a timeline time: kMinTimelineUs <= us <= kMaxTimeUs.
void check_timeline_time(const char* what, int64_t us);

// "0 (1970-01-01T00:00:00Z) to 9007199254740991 µs (2255-06-05T23:47:34.740991Z)", for messages.
std::string time_range_text();
// ISO-8601 UTC to the microsecond ("2026-01-01T00:00:00.000001Z"; whole seconds without a
// fraction) for any int64.
std::string iso_time_us(int64_t us);

}  // namespace ringclip
