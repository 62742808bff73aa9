// build_avcc: header fields from the SPS, all parameter sets, High-profile extension.
#include "check.h"
#include "mp4/movie.h"
#include "mp4_test_movie.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

TEST(mp4_avcc_high_profile_has_chroma_extension) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264"});
  const mp4::Track& t = tm.movie.tracks[0];
  std::vector<uint8_t> avcc = mp4::build_avcc(t);
  CHECK_EQ(t.sps.size(), size_t(1));
  CHECK_EQ(t.pps.size(), size_t(1));
  CHECK_EQ(int(avcc[0]), 1);
  CHECK_EQ(int(avcc[1]), 100);  // High
  CHECK_EQ(int(avcc[2]), int(t.sps[0][2]));
  CHECK_EQ(int(avcc[3]), int(t.sps[0][3]));
  CHECK_EQ(int(avcc[4]), 0xFF);  // lengthSizeMinusOne = 3
  CHECK_EQ(int(avcc[5]), 0xE1);  // one SPS
  CHECK_EQ(size_t(get_be16(&avcc[6])), t.sps[0].size());
  CHECK(std::equal(t.sps[0].begin(), t.sps[0].end(), avcc.begin() + 8));
  size_t p = 8 + t.sps[0].size();
  CHECK_EQ(int(avcc[p]), 1);
  CHECK_EQ(size_t(get_be16(&avcc[p + 1])), t.pps[0].size());
  p += 3 + t.pps[0].size();
  CHECK_EQ(avcc.size(), p + 4);
  CHECK_EQ(int(avcc[p]), 0xFD);      // 4:2:0
  CHECK_EQ(int(avcc[p + 1]), 0xF8);  // 8-bit luma
  CHECK_EQ(int(avcc[p + 2]), 0xF8);  // 8-bit chroma
  CHECK_EQ(int(avcc[p + 3]), 0);     // no SPS extensions
}

TEST(mp4_avcc_main_profile_has_no_extension) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  const mp4::Track& t = tm.movie.tracks[0];
  std::vector<uint8_t> avcc = mp4::build_avcc(t);
  CHECK_EQ(int(avcc[1]), 77);
  CHECK_EQ(avcc.size(), 6 + 2 + t.sps[0].size() + 1 + 2 + t.pps[0].size());
}

TEST(mp4_avcc_reads_422_10bit_from_sps) {
  mp4::Track t;
  // profile 122 (High 4:2:2), level 4.0; bits: sps_id ue(0)=1, chroma ue(2)=011,
  // luma depth ue(2)=011, chroma depth ue(2)=011, stop bit.
  t.sps = {{0x67, 122, 0, 40, 0xB6, 0xE0}};
  t.pps = {{0x68, 0xEE, 0x3C, 0x80}};
  std::vector<uint8_t> avcc = mp4::build_avcc(t);
  size_t n = avcc.size();
  CHECK_EQ(int(avcc[n - 4]), 0xFE);
  CHECK_EQ(int(avcc[n - 3]), 0xFA);
  CHECK_EQ(int(avcc[n - 2]), 0xFA);
}

TEST(mp4_avcc_unreadable_high_sps_falls_back_to_420_8bit) {
  mp4::Track t;
  t.sps = {{0x67, 100, 0, 40}};  // ends before seq_parameter_set_id
  t.pps = {{0x68, 0xEE}};
  std::vector<uint8_t> avcc = mp4::build_avcc(t);
  size_t n = avcc.size();
  CHECK_EQ(int(avcc[n - 4]), 0xFD);
  CHECK_EQ(int(avcc[n - 3]), 0xF8);
}

TEST(mp4_avcc_skips_emulation_prevention_bytes) {
  mp4::Track t;
  // constraint flags 0 and level 0 form a zero pair, so the 03 that follows is an
  // emulation-prevention byte and not payload. Then 0xBC = 1 011 1 1 00: sps_id ue(0),
  // chroma ue(2) = 4:2:2, luma depth ue(0), chroma depth ue(0). Reading the 03 as payload
  // would give chroma_format_idc 0 instead.
  t.sps = {{0x67, 110, 0, 0, 3, 0xBC}};
  t.pps = {{0x68, 0xEE}};
  std::vector<uint8_t> avcc = mp4::build_avcc(t);
  size_t n = avcc.size();
  CHECK_EQ(int(avcc[n - 4]), 0xFE);  // 4:2:2
  CHECK_EQ(int(avcc[n - 3]), 0xF8);
  CHECK_EQ(int(avcc[n - 2]), 0xF8);
}

TEST(mp4_avcc_without_parameter_sets_throws) {
  mp4::Track t;
  CHECK_THROWS(mp4::build_avcc(t));
  t.sps = {{0x67, 100, 0, 40}};
  CHECK_THROWS(mp4::build_avcc(t));  // no PPS
  t.pps = {{0x68}};
  t.sps = {{0x67, 100}};
  CHECK_THROWS(mp4::build_avcc(t));  // SPS too short for profile/level
}
