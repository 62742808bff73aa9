// Slice headers, the new-picture test and picture order count.
#include "check.h"
#include "h264/slice_header.h"
#include "h264_support.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

h264::SliceHeader frame(uint8_t nal_type, uint8_t ref_idc, uint32_t frame_num, uint32_t lsb = 0) {
  h264::SliceHeader sh;
  sh.nal_type = nal_type;
  sh.nal_ref_idc = ref_idc;
  sh.frame_num = frame_num;
  sh.pic_order_cnt_lsb = lsb;
  return sh;
}

// A Main-profile SPS (id 0, poc type 0, MaxFrameNum 16, MaxPicOrderCntLsb 16) and its PPS.
std::vector<uint8_t> small_sps() {
  BitWriter w;
  w.bits(24, 0x4D001E);
  w.ue(0);  // sps id
  w.ue(0);  // log2_max_frame_num_minus4
  w.ue(0);  // poc type 0
  w.ue(0);  // log2_max_poc_lsb_minus4
  w.ue(2);
  w.flag(false);
  w.ue(19);  // 320 px
  w.ue(14);  // 240 px
  w.flag(true);
  w.flag(true);
  w.flag(false);
  w.flag(false);
  return w.nal(0x67);
}

std::vector<uint8_t> small_pps() {
  BitWriter w;
  w.ue(0);
  w.ue(0);
  w.flag(false);
  w.flag(false);
  w.ue(0);
  w.ue(0);
  w.ue(0);
  w.flag(false);
  w.bits(2, 0);
  w.se(0);
  w.se(0);
  w.se(0);
  w.flag(true);
  w.flag(false);
  w.flag(false);
  return w.nal(0x68);
}

// A P slice (nal_ref_idc 2) with frame_num, poc lsb and, optionally, MMCO 1 then 5.
std::vector<uint8_t> p_slice(uint32_t frame_num, uint32_t lsb, bool mmco5, bool stop_after_poc = false) {
  BitWriter w;
  w.ue(0);  // first_mb_in_slice
  w.ue(5);  // P (all slices P)
  w.ue(0);  // pps id
  w.bits(4, frame_num);
  w.bits(4, lsb);
  if (!stop_after_poc) {
    w.flag(true);  // num_ref_idx_active_override
    w.ue(1);
    w.flag(true);  // ref_pic_list_modification_flag_l0
    w.ue(0);
    w.ue(0);
    w.ue(3);
    w.flag(mmco5);  // adaptive_ref_pic_marking_mode_flag
    if (mmco5) {
      w.ue(1);
      w.ue(0);
      w.ue(5);
      w.ue(0);
    }
    w.se(0);  // slice_qp_delta (not read)
  }
  return w.nal(0x41, /*stop_bit=*/!stop_after_poc);
}

// A P slice whose ref_pic_list_modification has `entries` entries (19 bits each) before
// MMCO 5, then `padding` bytes of slice data: a header longer than the short first read.
std::vector<uint8_t> p_slice_long_header(size_t entries, size_t padding) {
  BitWriter w;
  w.ue(0);
  w.ue(5);
  w.ue(0);
  w.bits(4, 1);
  w.bits(4, 2);
  w.flag(false);  // num_ref_idx_active_override
  w.flag(true);   // ref_pic_list_modification_flag_l0
  for (size_t i = 0; i < entries; ++i) {
    w.ue(0);     // modification_of_pic_nums_idc
    w.ue(1000);  // abs_diff_pic_num_minus1
  }
  w.ue(3);
  w.flag(true);  // adaptive_ref_pic_marking_mode_flag
  w.ue(5);
  w.ue(0);
  w.se(0);
  for (size_t i = 0; i < padding; ++i) w.bits(8, 0xA5);
  return w.nal(0x41);
}

}  // namespace

TEST(h264_slice_header_longer_than_the_first_read) {
  // parse_slice_header unescapes a short prefix first and the full 256-byte bound only when
  // the parse runs past it: MMCO 5 after up to 85 bytes of header (32 modifications, the
  // most a list can have) is still found, in a NAL unit much longer than the header.
  h264::ParameterSets sets;
  CHECK(sets.put_sps(view(small_sps())));
  CHECK(sets.put_pps(view(small_pps())));
  for (size_t entries : {0, 1, 2, 10, 20, 32}) {
    std::vector<uint8_t> nal = p_slice_long_header(entries, 600);
    h264::SliceHeader sh = h264::parse_slice_header(view(nal), sets);
    CHECK_EQ(sh.frame_num, 1u);
    CHECK_EQ(sh.pic_order_cnt_lsb, 2u);
    CHECK(sh.has_mmco5);
  }
}

TEST(h264_slice_header_fields_and_mmco5) {
  h264::ParameterSets sets;
  CHECK(sets.put_sps(view(small_sps())));
  CHECK(sets.put_pps(view(small_pps())));
  h264::SliceHeader plain = h264::parse_slice_header(view(p_slice(3, 6, false)), sets);
  CHECK_EQ(int(plain.slice_type), int(h264::kSliceP));
  CHECK_EQ(plain.frame_num, 3u);
  CHECK_EQ(plain.pic_order_cnt_lsb, 6u);
  CHECK_EQ(int(plain.nal_ref_idc), 2);
  CHECK(!plain.has_mmco5);
  h264::SliceHeader reset = h264::parse_slice_header(view(p_slice(3, 6, true)), sets);
  CHECK(reset.has_mmco5);
  // Cut right after the POC fields: the optional part fails quietly.
  h264::SliceHeader cut = h264::parse_slice_header(view(p_slice(3, 6, true, true)), sets);
  CHECK_EQ(cut.pic_order_cnt_lsb, 6u);
  CHECK(!cut.has_mmco5);
  // Cut inside the mandatory part, and a PPS that does not exist.
  std::vector<uint8_t> short_slice = {0x41, 0x9A};
  CHECK_THROWS(h264::parse_slice_header(view(short_slice), sets));
  BitWriter other_pps;
  other_pps.ue(0);
  other_pps.ue(0);
  other_pps.ue(9);
  other_pps.bits(16, 0xFFFF);
  CHECK_THROWS(h264::parse_slice_header(view(other_pps.nal(0x41)), sets));
}

TEST(h264_fixture_slice_headers) {
  h264::ParameterSets sets;
  size_t idr = 0, slices = 0;
  for (const auto& nal : split_nals(read_fixture("slices4_aud_720p25_gop50.h264"))) {
    uint8_t t = nal[0] & 0x1f;
    if (t == h264::kNalSps) sets.put_sps(view(nal));
    if (t == h264::kNalPps) sets.put_pps(view(nal));
    if (t != h264::kNalSlice && t != h264::kNalIdr) continue;
    h264::SliceHeader sh = h264::parse_slice_header(view(nal), sets);
    // x264 cuts 720p (45 rows of 80 macroblocks) into 4 slices of 11, 12, 11, 11 rows.
    const uint32_t starts[4] = {0, 11 * 80, 23 * 80, 34 * 80};
    CHECK_EQ(sh.first_mb_in_slice, starts[slices % 4]);
    CHECK_EQ(sh.frame_num, 0u + (slices / 4) % 50 % (1u << sets.sps(0)->log2_max_frame_num));
    if (sh.is_idr()) ++idr;
    CHECK(!sh.has_mmco5);
    ++slices;
  }
  CHECK_EQ(slices, size_t(1000));
  CHECK_EQ(idr, size_t(20));
}

TEST(h264_first_slice_of_new_picture_rules) {
  h264::Sps sps;
  sps.poc_type = 0;
  h264::SliceHeader a = frame(h264::kNalSlice, 2, 5, 10);
  h264::SliceHeader b = a;
  b.first_mb_in_slice = 100;
  CHECK(!h264::first_slice_of_new_picture(a, b, sps));
  auto differs = [&](auto change) {
    h264::SliceHeader c = a;
    change(c);
    return h264::first_slice_of_new_picture(a, c, sps);
  };
  CHECK(differs([](auto& c) { c.frame_num = 6; }));
  CHECK(differs([](auto& c) { c.pps_id = 1; }));
  CHECK(differs([](auto& c) { c.field_pic = true; }));
  CHECK(differs([](auto& c) { c.nal_ref_idc = 0; }));
  CHECK(!differs([](auto& c) { c.nal_ref_idc = 1; }));  // only zero-ness counts
  CHECK(differs([](auto& c) { c.pic_order_cnt_lsb = 12; }));
  CHECK(differs([](auto& c) { c.delta_pic_order_cnt_bottom = 1; }));
  CHECK(differs([](auto& c) { c.nal_type = h264::kNalIdr; }));
  CHECK(!differs([](auto& c) { c.delta_pic_order_cnt[0] = 3; }));  // only poc type 1 reads it
  CHECK(!differs([](auto& c) {
    c.frame_num = 6;
    c.redundant_pic_cnt = 1;
  }));
  h264::SliceHeader idr1 = frame(h264::kNalIdr, 3, 0), idr2 = idr1;
  idr2.idr_pic_id = 1;
  CHECK(h264::first_slice_of_new_picture(idr1, idr2, sps));
  h264::SliceHeader top = a, bottom = a;
  top.field_pic = bottom.field_pic = true;
  bottom.bottom_field = true;
  CHECK(h264::first_slice_of_new_picture(top, bottom, sps));
  sps.poc_type = 1;
  CHECK(differs([](auto& c) { c.delta_pic_order_cnt[1] = 3; }));
}

TEST(h264_poc_type0_wraps_and_ignores_non_reference_pictures) {
  h264::Sps sps;
  sps.poc_type = 0;
  sps.log2_max_poc_lsb = 4;  // lsb wraps at 16
  h264::PocState poc;
  CHECK_EQ(poc.compute(frame(h264::kNalIdr, 3, 0, 0), sps), 0);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 1, 6), sps), 6);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 2, 12), sps), 12);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 0, 3, 10), sps), 10);  // non-reference B
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 3, 2), sps), 18);   // wrapped: 16 + 2
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 0, 4, 14), sps), 14);  // back across the wrap
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 4, 8), sps), 24);
  // delta_pic_order_cnt_bottom: the frame's POC is the smaller field count.
  h264::SliceHeader bottom_first = frame(h264::kNalSlice, 2, 5, 12);
  bottom_first.delta_pic_order_cnt_bottom = -1;
  CHECK_EQ(poc.compute(bottom_first, sps), 27);
  // IDR resets.
  CHECK_EQ(poc.compute(frame(h264::kNalIdr, 3, 0, 4), sps), 4);
}

TEST(h264_poc_type0_mmco5_restarts_counting) {
  h264::Sps sps;
  sps.poc_type = 0;
  sps.log2_max_poc_lsb = 8;
  h264::PocState poc;
  CHECK_EQ(poc.compute(frame(h264::kNalIdr, 3, 0, 0), sps), 0);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 1, 100), sps), 100);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 2, 200), sps), 200);
  h264::SliceHeader reset = frame(h264::kNalSlice, 2, 3, 210);
  reset.has_mmco5 = true;
  CHECK_EQ(poc.compute(reset, sps), 0);
  // The next pictures count from the reset picture (its top field count became 0).
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 1, 4), sps), 4);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 0, 2, 2), sps), 2);
  // Without the reset the same lsb would have counted on from 210.
  h264::PocState no_reset;
  no_reset.compute(frame(h264::kNalIdr, 3, 0, 0), sps);
  no_reset.compute(frame(h264::kNalSlice, 2, 1, 100), sps);
  no_reset.compute(frame(h264::kNalSlice, 2, 2, 200), sps);
  no_reset.compute(frame(h264::kNalSlice, 2, 3, 210), sps);
  CHECK_EQ(no_reset.compute(frame(h264::kNalSlice, 2, 4, 4), sps), 256 + 4);
}

TEST(h264_poc_type1_expected_deltas) {
  h264::Sps sps;
  sps.poc_type = 1;
  sps.log2_max_frame_num = 4;
  sps.offset_for_non_ref_pic = -2;
  sps.offset_for_top_to_bottom_field = 1;
  sps.offset_for_ref_frame = {2, 4, -1};
  h264::PocState poc;
  CHECK_EQ(poc.compute(frame(h264::kNalIdr, 3, 0), sps), 0);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 1), sps), 2);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 2), sps), 6);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 0, 3), sps), 4);  // non-reference: one back, -2
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 3), sps), 5);
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, 4), sps), 7);  // second cycle
  h264::SliceHeader with_delta = frame(h264::kNalSlice, 2, 5);
  with_delta.delta_pic_order_cnt[0] = 3;
  CHECK_EQ(poc.compute(with_delta, sps), 11 + 3);
  // Fields: the bottom field adds offset_for_top_to_bottom_field.
  h264::SliceHeader bottom = frame(h264::kNalSlice, 2, 6);
  bottom.field_pic = bottom.bottom_field = true;
  CHECK_EQ(poc.compute(bottom, sps), 10 + 1);
}

TEST(h264_poc_type2_follows_frame_num_through_wraps) {
  h264::Sps sps;
  sps.poc_type = 2;
  sps.log2_max_frame_num = 4;
  h264::PocState poc;
  CHECK_EQ(poc.compute(frame(h264::kNalIdr, 3, 0), sps), 0);
  int32_t expected = 0;
  for (uint32_t i = 1; i < 40; ++i) {
    expected += 2;
    CHECK_EQ(poc.compute(frame(h264::kNalSlice, 2, i % 16), sps), expected);
  }
  CHECK_EQ(poc.compute(frame(h264::kNalSlice, 0, 40 % 16), sps), expected + 1);
  CHECK_EQ(poc.compute(frame(h264::kNalIdr, 3, 0), sps), 0);
}

TEST(h264_fixture_poc_type2_counts_frames) {
  StreamResult r = run_stream(read_fixture("cabin_720p30_main_gop30.h264"));
  CHECK_EQ(r.units.size(), size_t(300));
  for (size_t i = 0; i < r.units.size(); ++i) CHECK_EQ(r.units[i].poc, int32_t(2 * (i % 30)));
}
