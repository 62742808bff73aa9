#include "mp4/producer_reference.h"

#include <string>

#include "mp4/box_reader.h"
#include "util/time_range.h"

namespace ringclip::mp4 {
namespace {
constexpr uint64_t kNtpToUnixSeconds = 2208988800ull;  // 1900-01-01 → 1970-01-01
constexpr uint64_t kEra = 1ull << 32;
}  // namespace

bool ntp_expressible(int64_t unix_us) {
  return unix_us >= 0 && uint64_t(unix_us) / 1000000 + kNtpToUnixSeconds < kEra + (kEra >> 1);
}

uint64_t unix_us_to_ntp(int64_t unix_us) {
  uint64_t us = uint64_t(unix_us);
  uint64_t seconds = (us / 1000000 + kNtpToUnixSeconds) % kEra;
  // floor(r * 2^32 / 10^6) lies within 2.4e-4 of r µs, so rounding back gives r exactly.
  uint64_t fraction = ((us % 1000000) << 32) / 1000000;
  return (seconds << 32) | fraction;
}

std::optional<int64_t> ntp_to_unix_us(uint64_t ntp) {
  if (ntp == 0) return std::nullopt;  // "unknown", as some writers put it
  uint64_t seconds = ntp >> 32;
  uint64_t fraction = ntp & 0xFFFFFFFFull;
  if (seconds < (kEra >> 1)) seconds += kEra;  // era 1 (from 2036)
  if (seconds < kNtpToUnixSeconds) return std::nullopt;
  uint64_t us = (seconds - kNtpToUnixSeconds) * 1000000 + ((fraction * 1000000 + (1ull << 31)) >> 32);
  if (us > uint64_t(kMaxTimeUs)) return std::nullopt;
  return int64_t(us);
}

bool write_prft(BoxWriter& w, const ProducerReference& ref) {
  if (!ntp_expressible(ref.unix_us)) return false;
  size_t box = w.open_full("prft", 1, 0);
  w.u32(ref.track_id);
  w.u64(unix_us_to_ntp(ref.unix_us));
  w.u64(ref.media_time);
  w.close(box);
  return true;
}

std::optional<ProducerReference> read_prft(ByteSpan payload) {
  ByteReader r(payload, fourcc("prft"));
  uint8_t version = r.u8();
  r.u24();
  ProducerReference ref;
  ref.track_id = r.u32();
  std::optional<int64_t> unix_us = ntp_to_unix_us(r.u64());
  ref.media_time = version == 1 ? r.u64() : r.u32();
  if (!unix_us) return std::nullopt;
  ref.unix_us = *unix_us;
  return ref;
}

}  // namespace ringclip::mp4
