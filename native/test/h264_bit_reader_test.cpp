// RBSP unescaping and the bit reader.
#include "check.h"
#include "h264/bit_reader.h"
#include "h264_support.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

TEST(h264_unescape_removes_emulation_prevention_bytes) {
  std::vector<uint8_t> in = {0x65, 0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 3, 0xAB, 0, 3};
  std::vector<uint8_t> out = h264::unescape_rbsp(in.data(), in.size());
  CHECK(out == (std::vector<uint8_t>{0x65, 0, 0, 1, 0, 0, 0, 0, 3, 0xAB, 0, 3}));
  // The limit counts output bytes.
  CHECK(h264::unescape_rbsp(in.data(), in.size(), 4) == (std::vector<uint8_t>{0x65, 0, 0, 1}));
  uint8_t buf[6];
  CHECK_EQ(h264::unescape_rbsp_into(in.data(), in.size(), buf, sizeof buf), size_t(6));
  CHECK_EQ(int(buf[5]), 0);
}

TEST(h264_unescape_round_trips_random_payloads) {
  SplitMix rng{7};
  for (int round = 0; round < 200; ++round) {
    BitWriter w;
    std::vector<uint8_t> raw;
    size_t n = 1 + rng.below(300);
    for (size_t i = 0; i < n; ++i) {
      uint8_t b = rng.below(3) == 0 ? 0 : uint8_t(rng.below(5));  // many zeros and small values
      raw.push_back(b);
      w.bits(8, b);
    }
    std::vector<uint8_t> nal = w.nal(0x06, /*stop_bit=*/true);
    std::vector<uint8_t> back = h264::unescape_rbsp(nal.data(), nal.size());
    CHECK_EQ(back.size(), raw.size() + 2);  // header + stop byte
    CHECK(std::equal(raw.begin(), raw.end(), back.begin() + 1));
  }
}

TEST(h264_bit_reader_reads_exp_golomb_codes) {
  BitWriter w;
  std::vector<uint32_t> ues = {0, 1, 2, 3, 7, 8, 254, 255, 65535, 1u << 20, 0xFFFFFFFEu};
  std::vector<int32_t> ses = {0, 1, -1, 2, -2, 1000, -1000, 2147483647, -2147483647};
  for (uint32_t v : ues) w.ue(v);
  for (int32_t v : ses) w.se(v);
  w.bits(5, 0x15);
  w.bits(32, 0xDEADBEEF);
  std::vector<uint8_t> nal = w.nal(0);
  std::vector<uint8_t> rbsp = h264::unescape_rbsp(nal.data() + 1, nal.size() - 1);
  h264::BitReader reader(rbsp.data(), rbsp.size());
  for (uint32_t v : ues) CHECK_EQ(reader.ue(), v);
  for (int32_t v : ses) CHECK_EQ(reader.se(), v);
  CHECK_EQ(reader.bits(5), 0x15u);
  CHECK_EQ(reader.bits(32), 0xDEADBEEFu);
  CHECK(!reader.more_rbsp_data());
}

TEST(h264_bit_reader_throws_past_the_end) {
  uint8_t one[1] = {0xA5};
  h264::BitReader r(one, 1);
  CHECK_EQ(r.bits(3), 5u);
  CHECK_EQ(r.remaining(), size_t(5));
  CHECK_THROWS(r.bits(6));
  CHECK(r.overread());
  h264::BitReader r2(one, 1);
  CHECK_THROWS(r2.skip(9));
  uint8_t zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  h264::BitReader r3(zeros, sizeof zeros);
  bool typed = false;
  try {
    r3.ue();  // 64 zero bits: no valid code
  } catch (const Error& e) {
    typed = e.code() == ErrorCode::InvalidData;
  }
  CHECK(typed);
  h264::BitReader r4(zeros, 2);
  CHECK_THROWS(r4.ue());
}

TEST(h264_bit_reader_more_rbsp_data_finds_the_stop_bit) {
  uint8_t data[3] = {0xFF, 0x40, 0x00};  // 8 bits, then 0, stop bit at bit 9, zero padding
  h264::BitReader r(data, sizeof data);
  CHECK(r.more_rbsp_data());
  r.bits(8);
  CHECK(r.more_rbsp_data());
  r.bits(1);
  CHECK(!r.more_rbsp_data());
  uint8_t empty[2] = {0, 0};
  CHECK(!h264::BitReader(empty, 2).more_rbsp_data());
}

// bits() and ue() read through a 64-bit window; a bit-at-a-time reader is the reference,
// on random data and at every length, including reads cut short by the end.
TEST(h264_bit_reader_matches_a_bitwise_reference) {
  SplitMix rng{99};
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> data(rng.below(12));
    for (auto& x : data) x = rng.below(3) == 0 ? 0 : uint8_t(rng.below(256));
    size_t ref_pos = 0;
    auto ref_bit = [&]() -> int {
      if (ref_pos >= data.size() * 8) return -1;
      int bit = (data[ref_pos >> 3] >> (7 - (ref_pos & 7))) & 1;
      ++ref_pos;
      return bit;
    };
    h264::BitReader r(data.data(), data.size());
    for (int step = 0; step < 20; ++step) {
      if (rng.below(2) == 0) {
        unsigned n = unsigned(rng.below(33));
        size_t before = ref_pos;
        uint64_t want = 0;
        bool short_read = ref_pos + n > data.size() * 8;
        if (!short_read)
          for (unsigned i = 0; i < n; ++i) want = (want << 1) | uint64_t(ref_bit());
        if (short_read) {
          bool threw = false;
          try {
            r.bits(n);
          } catch (const Error&) {
            threw = true;
          }
          CHECK(threw);
          break;
        }
        CHECK_EQ(uint64_t(r.bits(n)), want);
        CHECK_EQ(r.position(), before + n);
      } else {
        unsigned zeros = 0;
        int bit;
        while ((bit = ref_bit()) == 0 && zeros < 32) ++zeros;
        bool fails = bit != 1 || zeros > 31;
        uint64_t want = 0;
        if (!fails) {
          uint64_t suffix = 0;
          for (unsigned i = 0; i < zeros && !fails; ++i) {
            int b = ref_bit();
            if (b < 0)
              fails = true;
            else
              suffix = (suffix << 1) | uint64_t(b);
          }
          want = (uint64_t(1) << zeros) - 1 + suffix;
        }
        if (fails) {
          bool threw = false;
          try {
            r.ue();
          } catch (const Error&) {
            threw = true;
          }
          CHECK(threw);
          break;
        }
        CHECK_EQ(uint64_t(r.ue()), want);
        CHECK_EQ(r.position(), ref_pos);
      }
    }
  }
}
