// prft (mp4/producer_reference.h): µs → NTP → µs is exact at every µs of a second, across
// the 2036 NTP era wrap, and times NTP cannot say are neither written nor read.
#include <vector>

#include "check.h"
#include "mp4/box_writer.h"
#include "mp4/producer_reference.h"

using namespace ringclip;

TEST(ntp_round_trip_is_exact_to_the_microsecond) {
  const int64_t bases[] = {0, 1767225600000000 /* 2026 */, 2085978495000000 /* 2036-02-07, era wrap */,
                           4102444800000000 /* 2100 */};
  for (int64_t base : bases) {
    for (int64_t us = 0; us < 1000000; us += 1) {
      int64_t t = base + us;
      if (!mp4::ntp_expressible(t)) continue;
      std::optional<int64_t> back = mp4::ntp_to_unix_us(mp4::unix_us_to_ntp(t));
      if (!back || *back != t) {
        CHECK_EQ(back.value_or(-1), t);
        return;
      }
    }
  }
}

TEST(ntp_limits) {
  CHECK(!mp4::ntp_expressible(-1));
  CHECK(mp4::ntp_expressible(4102444800000000));   // 2100
  CHECK(!mp4::ntp_expressible(4260211200000000));  // 2105: past era 1's first half
  CHECK(!mp4::ntp_to_unix_us(0).has_value());      // "unknown"
  // 1969 (before the Unix epoch, in era 0's second half): no usable time.
  CHECK(!mp4::ntp_to_unix_us((2208988800ull - 86400) << 32).has_value());
}

TEST(prft_box_round_trip) {
  std::vector<uint8_t> bytes;
  mp4::BoxWriter w(bytes);
  mp4::ProducerReference ref{2, 1767225600123457, 987654321012ull};
  CHECK(mp4::write_prft(w, ref));
  CHECK_EQ(bytes.size(), size_t(32));
  std::optional<mp4::ProducerReference> back = mp4::read_prft(ByteSpan{bytes.data() + 8, bytes.size() - 8});
  CHECK(back.has_value());
  CHECK_EQ(back->track_id, 2u);
  CHECK_EQ(back->unix_us, ref.unix_us);
  CHECK_EQ(back->media_time, ref.media_time);
  std::vector<uint8_t> none;
  mp4::BoxWriter nw(none);
  CHECK(!mp4::write_prft(nw, mp4::ProducerReference{1, -5, 0}));
  CHECK(none.empty());
}
