#include "util/time_range.h"

#include <cstdio>
#include <ctime>

#include "util/error.h"

namespace ringclip {

std::string iso_time_us(int64_t us) {
  // Floor division: -1 µs is 1969-12-31T23:59:59.999999Z. Both parts fit time_t and int
  // for every int64 (|us| / 1e6 < 2^44).
  int64_t secs = us / 1000000, frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  time_t t = time_t(secs);
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return std::to_string(us) + " µs";
  char date[64];
  std::snprintf(date, sizeof date, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac == 0) return std::string(date) + "Z";
  char out[96];
  std::snprintf(out, sizeof out, "%s.%06dZ", date, int(frac));
  return out;
}

std::string time_range_text() {
  return std::to_string(kMinTimeUs) + " (" + iso_time_us(kMinTimeUs) + ") to " + std::to_string(kMaxTimeUs) + " µs (" +
         iso_time_us(kMaxTimeUs) + ")";
}

void check_time(const char* what, int64_t us) {
  if (us >= kMinTimeUs && us <= kMaxTimeUs) return;
  throw Error(ErrorCode::InvalidArgument, std::string(what) + " " + std::to_string(us) + " µs (" + iso_time_us(us) +
                                              ") is outside the times ringclip holds: " + time_range_text());
}

void check_timeline_time(const char* what, int64_t us) {
  if (us >= kMinTimelineUs && us <= kMaxTimeUs) return;
  throw Error(ErrorCode::InvalidArgument,
              std::string(what) + " " + std::to_string(us) + " µs is outside the timelines ringclip holds: " +
                  std::to_string(kMinTimelineUs) + " to " + std::to_string(kMaxTimeUs) + " µs");
}

}  // namespace ringclip
