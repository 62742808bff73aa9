#pragma once
// Numbers from JS as the core's integers. lib/ validates every argument first and says what
// is wrong in the caller's terms; these checks only make sure that a value lib/ did not
// vet (a bypassed lib/, a bug) cannot reach a cast with undefined behaviour (a double
// outside int64's range, NaN, Infinity): it becomes an InvalidArgumentError instead.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace ringclip::addon {

// 2^53 − 1 (Number.MAX_SAFE_INTEGER): beyond it a JS number no longer holds every integer.
inline constexpr double kMaxSafeInteger = 9007199254740991.0;

// The shortest text that reads back as `v` (1e+300, not 1.0000000000000001e+300), as JS prints it.
inline std::string js_number_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char text[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

// A whole number within ±(2^53 − 1): times (µs), time cursors and ticks. The core checks
// times against its own, narrower rule (util/time_range.h).
inline int64_t to_safe_int64(double v, const char* what) {
  if (!(std::fabs(v) <= kMaxSafeInteger) || v != std::trunc(v))
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + " must be a whole number from -9007199254740991 to 9007199254740991, got " +
                    js_number_text(v));
  return int64_t(v);
}

// A whole number from 0 to 2^53 − 1: byte offsets and sizes, ids, sequence numbers.
inline uint64_t to_safe_uint64(double v, const char* what) {
  if (!(v >= 0 && v <= kMaxSafeInteger) || v != std::trunc(v))
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + " must be a whole number from 0 to 9007199254740991, got " + js_number_text(v));
  return uint64_t(v);
}

// A whole number from 0 to 2^32 − 1 (sample durations in ticks).
inline uint32_t to_uint32(double v, const char* what) {
  if (!(v >= 0 && v <= 4294967295.0) || v != std::trunc(v))
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + " must be a whole number from 0 to 4294967295, got " + js_number_text(v));
  return uint32_t(v);
}

inline double number_of(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A time for JS: null for the core's "none" (INT64_MIN or INT64_MAX).
inline Napi::Value time_or_null(Napi::Env env, int64_t us) {
  if (us == INT64_MIN || us == INT64_MAX) return env.Null();
  return Napi::Number::New(env, double(us));
}

inline int64_t to_safe_int64(const Napi::Value& v, const char* what) { return to_safe_int64(number_of(v, what), what); }
inline uint64_t to_safe_uint64(const Napi::Value& v, const char* what) {
  return to_safe_uint64(number_of(v, what), what);
}
// A file descriptor (a socket to send to): a whole number within int.
inline int to_socket(const Napi::Value& v) {
  uint64_t fd = to_safe_uint64(v, "socket");
  if (fd > uint64_t(INT32_MAX))
    throw Error(ErrorCode::InvalidArgument, "socket: " + std::to_string(fd) + " is not a descriptor");
  return int(fd);
}

}  // namespace ringclip::addon
