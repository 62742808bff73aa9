#pragma once
// The producer reference time box (`prft`, ISO/IEC 14496-12 8.16.5): a wall-clock time
// (NTP format) paired with a media time of one track. ringclip writes one before every
// fragment and one at the top of progressive files so that the capture time of a file's
// samples survives to the microsecond; the movie header's creation time holds whole
// seconds only (docs/TIME.md).
#include <cstdint>
#include <optional>

#include "mp4/box_writer.h"
#include "util/bytes.h"

namespace ringclip::mp4 {

struct ProducerReference {
  uint32_t track_id = 0;
  int64_t unix_us = 0;      // the wall-clock time, µs since 1970-01-01 UTC
  uint64_t media_time = 0;  // in the reference track's timescale
};

// NTP timestamps: 32.32 fixed-point seconds since 1900-01-01. A fraction of 2^-32 s is
// far finer than a µs, so µs → NTP → µs is exact. The 32-bit seconds wrap in 2036 (NTP
// era 1, RFC 5905): seconds below 2^31 are read as era 1, so 1968..2104 is expressible.
bool ntp_expressible(int64_t unix_us);
uint64_t unix_us_to_ntp(int64_t unix_us);             // requires ntp_expressible()
std::optional<int64_t> ntp_to_unix_us(uint64_t ntp);  // nullopt: 0, or outside 1970..kMaxTimeUs

// Version 1 (64-bit media_time), flags 0. Writes nothing (returns false) for a time NTP
// cannot express; readers then fall back to the movie header's whole seconds.
bool write_prft(BoxWriter& w, const ProducerReference& ref);
// Throws Error(InvalidData) for a truncated box. A prft whose time says nothing usable (0,
// before 1970, past what a store holds) reads as no reference: the file's creation time
// is used then.
std::optional<ProducerReference> read_prft(ByteSpan payload);

}  // namespace ringclip::mp4
