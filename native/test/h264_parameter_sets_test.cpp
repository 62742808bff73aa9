// SPS / PPS parsing: the fixtures' real sets and crafted ones for what x264 does not write.
#include "check.h"
#include "h264/parameter_sets.h"
#include "h264_support.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

h264::Sps first_sps(const char* fixture) {
  for (const auto& nal : split_nals(read_fixture(fixture))) {
    if ((nal[0] & 0x1f) == h264::kNalSps) return h264::parse_sps(view(nal));
  }
  throw std::runtime_error("no SPS in fixture");
}

struct SpsOptions {
  uint8_t profile = 100;
  uint32_t chroma_format_idc = 1;
  bool scaling_lists = false;
  uint32_t poc_type = 0;
  bool frame_mbs_only = true;
  uint32_t width_mbs = 120, height_map_units = 68;
  uint32_t crop[4] = {0, 0, 0, 4};
  bool vui = false;
  bool extended_sar = false;
  bool hrd = false;
  bool truncate_vui_after_timing = false;
  uint32_t reorder = 2, dec_buffering = 4;
};

std::vector<uint8_t> craft_sps(const SpsOptions& o) {
  BitWriter w;
  w.bits(8, o.profile);
  w.bits(8, 0);   // constraint flags
  w.bits(8, 40);  // level 4.0
  w.ue(3);        // seq_parameter_set_id
  if (o.profile == 100 || o.profile == 122 || o.profile == 244) {
    w.ue(o.chroma_format_idc);
    if (o.chroma_format_idc == 3) w.flag(false);
    w.ue(2);  // bit_depth_luma_minus8
    w.ue(2);
    w.flag(false);
    w.flag(o.scaling_lists);
    if (o.scaling_lists) {
      int lists = o.chroma_format_idc == 3 ? 12 : 8;
      for (int i = 0; i < lists; ++i) {
        bool present = i % 2 == 0;
        w.flag(present);
        if (present) {
          int size = i < 6 ? 16 : 64;
          for (int j = 0; j < size; ++j) w.se(j == 0 ? 5 : (j % 3) - 1);  // never reaches next == 0
        }
      }
    }
  }
  w.ue(6);  // log2_max_frame_num_minus4
  w.ue(o.poc_type);
  if (o.poc_type == 0) w.ue(2);
  if (o.poc_type == 1) {
    w.flag(false);
    w.se(-2);
    w.se(1);
    w.ue(3);
    w.se(2);
    w.se(4);
    w.se(-1);
  }
  w.ue(4);  // max_num_ref_frames
  w.flag(false);
  w.ue(o.width_mbs - 1);
  w.ue(o.height_map_units - 1);
  w.flag(o.frame_mbs_only);
  if (!o.frame_mbs_only) w.flag(true);
  w.flag(true);  // direct_8x8_inference
  bool crop = o.crop[0] || o.crop[1] || o.crop[2] || o.crop[3];
  w.flag(crop);
  if (crop)
    for (uint32_t c : o.crop) w.ue(c);
  w.flag(o.vui);
  if (o.vui) {
    w.flag(true);  // aspect_ratio_info_present
    if (o.extended_sar) {
      w.bits(8, 255);
      w.bits(16, 64);
      w.bits(16, 45);
    } else {
      w.bits(8, 2);  // 12:11
    }
    w.flag(true);  // overscan_info_present
    w.flag(false);
    w.flag(true);  // video_signal_type_present
    w.bits(3, 5);
    w.flag(true);  // full range
    w.flag(true);
    w.bits(8, 1);
    w.bits(8, 1);
    w.bits(8, 1);
    w.flag(true);  // chroma_loc_info_present
    w.ue(1);
    w.ue(1);
    w.flag(true);  // timing_info_present
    w.bits(32, 1001);
    w.bits(32, 60000);
    w.flag(true);
    if (o.truncate_vui_after_timing) return w.nal(0x67, /*stop_bit=*/false);
    for (int k = 0; k < 2; ++k) {  // nal_hrd, vcl_hrd
      w.flag(o.hrd);
      if (o.hrd) {
        w.ue(1);  // cpb_cnt_minus1
        w.bits(4, 3);
        w.bits(4, 5);
        for (int i = 0; i < 2; ++i) {
          w.ue(12345);
          w.ue(67890);
          w.flag(i == 1);
        }
        w.bits(20, 0xABCDE);
      }
    }
    if (o.hrd) w.flag(false);  // low_delay_hrd
    w.flag(true);              // pic_struct_present
    w.flag(true);              // bitstream_restriction
    w.flag(true);
    w.ue(2);
    w.ue(1);
    w.ue(16);
    w.ue(16);
    w.ue(o.reorder);
    w.ue(o.dec_buffering);
  }
  return w.nal(0x67);
}

}  // namespace

TEST(h264_sps_of_fixtures) {
  struct Expect {
    const char* fixture;
    uint32_t width, height, coded_height;
    uint8_t profile;
    double fps;
    uint32_t reorder;
    uint32_t poc_type;
  };
  // fps: x264 writes VUI timing with time_scale = 2 * fps (ffprobe shows r_frame_rate 60/1 for
  // 30 fps). Reorder: bitstream_restriction's max_num_reorder_frames (2 with the B pyramid).
  const Expect expects[] = {
      {"road_1080p30_high_gop30.h264", 1920, 1080, 1088, 100, 30.0, 0, 2},
      {"cabin_720p30_main_gop30.h264", 1280, 720, 720, 77, 30.0, 0, 2},
      {"bframes_720p30_high_gop60.h264", 1280, 720, 720, 100, 30.0, 2, 0},
      {"slices4_aud_720p25_gop50.h264", 1280, 720, 720, 100, 25.0, 0, 2},
      {"opengop_480p30_keyint90.h264", 640, 480, 480, 100, 30.0, 2, 0},
  };
  for (const auto& e : expects) {
    h264::Sps sps = first_sps(e.fixture);
    CHECK_EQ(sps.width, e.width);
    CHECK_EQ(sps.height, e.height);
    CHECK_EQ(sps.coded_width, e.width);
    CHECK_EQ(sps.coded_height, e.coded_height);
    CHECK_EQ(int(sps.profile_idc), int(e.profile));
    CHECK(sps.vui_present && sps.timing_info_present);
    CHECK_EQ(sps.vui_fps(), e.fps);
    CHECK(sps.bitstream_restriction);
    CHECK_EQ(sps.reorder_depth(), e.reorder);
    CHECK_EQ(sps.poc_type, e.poc_type);
    CHECK_EQ(sps.chroma_format_idc, 1u);
    CHECK_EQ(sps.bit_depth_luma, 8u);
    CHECK(sps.frame_mbs_only);
    CHECK(!sps.vui_truncated);
  }
  CHECK_EQ(first_sps("road_1080p30_high_gop30.h264").crop_bottom, 8u);
}

TEST(h264_sps_crafted_high_profile_with_scaling_lists_and_hrd) {
  SpsOptions o;
  o.profile = 122;  // High 4:2:2
  o.chroma_format_idc = 2;
  o.scaling_lists = true;
  o.vui = true;
  o.extended_sar = true;
  o.hrd = true;
  o.crop[0] = 2;
  o.crop[1] = 3;
  o.crop[2] = 1;
  o.crop[3] = 4;
  h264::Sps sps = h264::parse_sps(view(craft_sps(o)));
  CHECK_EQ(sps.id, 3u);
  CHECK_EQ(sps.chroma_format_idc, 2u);
  CHECK_EQ(sps.bit_depth_luma, 10u);
  CHECK(sps.seq_scaling_matrix_present);
  CHECK_EQ(sps.log2_max_frame_num, 10u);
  CHECK_EQ(sps.log2_max_poc_lsb, 6u);
  CHECK_EQ(sps.max_num_ref_frames, 4u);
  // 4:2:2 crops in units of 2 horizontally, 1 vertically.
  CHECK_EQ(sps.coded_width, 1920u);
  CHECK_EQ(sps.coded_height, 1088u);
  CHECK_EQ(sps.width, 1920u - 2 * 2 - 3 * 2);
  CHECK_EQ(sps.height, 1088u - 1 - 4);
  CHECK_EQ(sps.aspect_ratio_idc, 255u);
  CHECK_EQ(sps.sar_width, 64u);
  CHECK_EQ(sps.sar_height, 45u);
  CHECK(sps.video_full_range);
  CHECK_EQ(int(sps.colour_primaries), 1);
  CHECK_EQ(sps.chroma_sample_loc_top, 1u);
  CHECK(sps.timing_info_present);
  CHECK(sps.vui_fps() > 29.96 && sps.vui_fps() < 29.98);
  CHECK(sps.nal_hrd_present && sps.vcl_hrd_present);
  CHECK(sps.pic_struct_present);
  CHECK(sps.bitstream_restriction);
  CHECK_EQ(sps.max_num_reorder_frames, 2u);
  CHECK_EQ(sps.max_dec_frame_buffering, 4u);
  CHECK_EQ(sps.reorder_depth(), 2u);
}

TEST(h264_sps_crafted_interlaced_poc_type1_and_table_sar) {
  SpsOptions o;
  o.profile = 77;
  o.poc_type = 1;
  o.frame_mbs_only = false;
  o.height_map_units = 34;  // 1088 lines as two fields of 34 map units
  o.crop[3] = 4;            // in 4:2:0 field coding the unit is 4 lines
  o.vui = true;
  h264::Sps sps = h264::parse_sps(view(craft_sps(o)));
  CHECK_EQ(sps.poc_type, 1u);
  CHECK_EQ(sps.offset_for_non_ref_pic, -2);
  CHECK_EQ(sps.offset_for_top_to_bottom_field, 1);
  CHECK(sps.offset_for_ref_frame == (std::vector<int32_t>{2, 4, -1}));
  CHECK(!sps.frame_mbs_only);
  CHECK(sps.mb_adaptive_frame_field);
  CHECK_EQ(sps.coded_height, 1088u);
  CHECK_EQ(sps.height, 1072u);
  CHECK_EQ(sps.sar_width, 12u);
  CHECK_EQ(sps.sar_height, 11u);
}

TEST(h264_sps_reorder_depth_without_bitstream_restriction) {
  SpsOptions o;
  o.vui = false;
  o.poc_type = 0;
  h264::Sps high = h264::parse_sps(view(craft_sps(o)));
  // Level 4.0: MaxDpbMbs 32768 / (120 * 68) macroblocks = 4 frames.
  CHECK_EQ(high.reorder_depth(), 4u);
  o.poc_type = 2;
  CHECK_EQ(h264::parse_sps(view(craft_sps(o))).reorder_depth(), 0u);
  o.poc_type = 0;
  o.profile = 66;
  CHECK_EQ(h264::parse_sps(view(craft_sps(o))).reorder_depth(), 0u);
  CHECK_EQ(high.vui_fps(), 0.0);
}

TEST(h264_sps_truncated_vui_keeps_what_was_read) {
  SpsOptions o;
  o.vui = true;
  o.truncate_vui_after_timing = true;
  h264::Sps sps = h264::parse_sps(view(craft_sps(o)));
  CHECK(sps.vui_truncated);
  CHECK(sps.timing_info_present);
  CHECK(!sps.bitstream_restriction);
}

TEST(h264_sps_rejects_nonsense_with_the_field_name) {
  auto message_of = [](const std::vector<uint8_t>& nal) -> std::string {
    try {
      h264::parse_sps(view(nal));
    } catch (const Error& e) {
      return e.code() == ErrorCode::InvalidData ? e.what() : "wrong code";
    }
    return "no throw";
  };
  BitWriter w;
  w.bits(24, 0x4D0028);
  w.ue(40);  // seq_parameter_set_id > 31
  CHECK(message_of(w.nal(0x67)).find("seq_parameter_set_id") != std::string::npos);

  BitWriter w2;
  w2.bits(24, 0x4D0028);
  w2.ue(0);
  w2.ue(20);  // log2_max_frame_num_minus4 > 12
  CHECK(message_of(w2.nal(0x67)).find("log2_max_frame_num") != std::string::npos);

  SpsOptions o;
  o.crop[3] = 600;  // 1200 lines cropped from 1088
  CHECK(message_of(craft_sps(o)).find("crop") != std::string::npos);

  SpsOptions bad_reorder;
  bad_reorder.vui = true;
  bad_reorder.reorder = 5;
  bad_reorder.dec_buffering = 3;
  CHECK(message_of(craft_sps(bad_reorder)).find("max_num_reorder_frames") != std::string::npos);

  // Truncated in the mandatory part.
  std::vector<uint8_t> full = craft_sps(SpsOptions{});
  for (size_t n = 1; n < 8; ++n) {
    CHECK(message_of(std::vector<uint8_t>(full.begin(), full.begin() + long(n))) != "no throw");
  }
  CHECK(message_of({0x68, 0x00}) != "no throw");  // not an SPS
}

TEST(h264_pps_parses_fixture_and_crafted_sets) {
  bool found = false;
  for (const auto& nal : split_nals(read_fixture("bframes_720p30_high_gop60.h264"))) {
    if ((nal[0] & 0x1f) != h264::kNalPps) continue;
    h264::Pps pps = h264::parse_pps(view(nal), nullptr);
    CHECK_EQ(pps.id, 0u);
    CHECK_EQ(pps.sps_id, 0u);
    CHECK(pps.entropy_coding_mode);  // x264 High uses CABAC
    CHECK(pps.transform_8x8_mode);
    CHECK(pps.weighted_pred);  // x264 --weightp default is on for P frames
    found = true;
    break;
  }
  CHECK(found);

  // Slice groups of map type 6 and a missing transform_8x8_mode (Baseline style PPS).
  BitWriter w;
  w.ue(7);  // pps id
  w.ue(2);  // sps id
  w.flag(false);
  w.flag(true);
  w.ue(3);              // 4 slice groups
  w.ue(6);              // explicit map
  w.ue(9);              // 10 map units
  w.bits(20, 0x12345);  // 10 x 2-bit ids
  w.ue(2);
  w.ue(0);
  w.flag(false);
  w.bits(2, 0);
  w.se(-3);
  w.se(0);
  w.se(2);
  w.flag(true);
  w.flag(false);
  w.flag(true);
  h264::Pps pps = h264::parse_pps(view(w.nal(0x68)), nullptr);
  CHECK_EQ(pps.id, 7u);
  CHECK_EQ(pps.sps_id, 2u);
  CHECK(pps.bottom_field_pic_order_in_frame_present);
  CHECK_EQ(pps.num_slice_groups, 4u);
  CHECK_EQ(pps.num_ref_idx_l0_default, 3u);
  CHECK_EQ(pps.pic_init_qp, 23);
  CHECK_EQ(pps.chroma_qp_index_offset, 2);
  CHECK(pps.redundant_pic_cnt_present);
  CHECK(!pps.transform_8x8_mode);

  BitWriter huge;
  huge.ue(0);
  huge.ue(0);
  huge.flag(false);
  huge.flag(false);
  huge.ue(7);
  huge.ue(6);
  huge.ue(1000000);  // a million 3-bit ids that are not there
  CHECK_THROWS(h264::parse_pps(view(huge.nal(0x68)), nullptr));
}

TEST(h264_parameter_sets_report_changes_by_bytes) {
  h264::ParameterSets sets;
  SpsOptions o;
  std::vector<uint8_t> a = craft_sps(o);
  o.width_mbs = 80;
  o.height_map_units = 45;
  o.crop[3] = 0;
  std::vector<uint8_t> b = craft_sps(o);
  CHECK(sets.put_sps(view(a)));   // first: a change from nothing
  CHECK(!sets.put_sps(view(a)));  // repeat: no change
  CHECK_EQ(sets.sps(3)->width, 1920u);
  CHECK(sets.put_sps(view(b)));
  CHECK_EQ(sets.sps(3)->width, 1280u);
  CHECK(*sets.sps_bytes(3) == b);
  std::vector<uint8_t> garbage = {0x67, 0x4D, 0x00, 0x28, 0x00};  // id is an over-long ue
  CHECK_THROWS(sets.put_sps(view(garbage)));
  CHECK(*sets.sps_bytes(3) == b);  // unchanged after the failure
  CHECK(sets.sps(0) == nullptr);
  CHECK(sets.pps(300) == nullptr);
}
