#include "h264/sps_vui.h"

#include <string>

#include "util/error.h"

namespace ringclip::h264::detail {

namespace {

constexpr uint32_t kExtendedSar = 255;

// Table E-1: sample aspect ratios for aspect_ratio_idc 1..16.
constexpr uint16_t kSarTable[17][2] = {{0, 0},   {1, 1},    {12, 11}, {10, 11}, {16, 11}, {40, 33},
                                       {24, 11}, {20, 11},  {32, 11}, {80, 33}, {18, 11}, {15, 11},
                                       {64, 33}, {160, 99}, {4, 3},   {3, 2},   {2, 1}};

// hrd_parameters() (E.1.2): nothing in it matters to ringclip, but it must be walked to
// reach the fields after it.
void skip_hrd(BitReader& r) {
  uint32_t cpb_cnt = r.ue_max(31, "cpb_cnt_minus1") + 1;
  r.skip(4 + 4);  // bit_rate_scale, cpb_size_scale
  for (uint32_t i = 0; i < cpb_cnt; ++i) {
    r.ue();     // bit_rate_value_minus1
    r.ue();     // cpb_size_value_minus1
    r.skip(1);  // cbr_flag
  }
  // initial_cpb_removal_delay_length_minus1, cpb_removal_delay_length_minus1,
  // dpb_output_delay_length_minus1, time_offset_length
  r.skip(5 * 4);
}

void parse_fields(BitReader& r, Sps& sps) {
  if (r.flag()) {  // aspect_ratio_info_present_flag
    sps.aspect_ratio_idc = r.bits(8);
    if (sps.aspect_ratio_idc == kExtendedSar) {
      sps.sar_width = r.bits(16);
      sps.sar_height = r.bits(16);
    } else if (sps.aspect_ratio_idc >= 1 && sps.aspect_ratio_idc <= 16) {
      sps.sar_width = kSarTable[sps.aspect_ratio_idc][0];
      sps.sar_height = kSarTable[sps.aspect_ratio_idc][1];
    }
    // 0 and reserved values leave the SAR unspecified: keep square pixels.
    if (sps.sar_width == 0 || sps.sar_height == 0) sps.sar_width = sps.sar_height = 1;
  }
  sps.overscan_info_present = r.flag();
  if (sps.overscan_info_present) sps.overscan_appropriate = r.flag();
  sps.video_signal_type_present = r.flag();
  if (sps.video_signal_type_present) {
    sps.video_format = r.bits(3);
    sps.video_full_range = r.flag();
    sps.colour_description_present = r.flag();
    if (sps.colour_description_present) {
      sps.colour_primaries = uint8_t(r.bits(8));
      sps.transfer_characteristics = uint8_t(r.bits(8));
      sps.matrix_coefficients = uint8_t(r.bits(8));
    }
  }
  sps.chroma_loc_info_present = r.flag();
  if (sps.chroma_loc_info_present) {
    sps.chroma_sample_loc_top = r.ue_max(5, "chroma_sample_loc_type_top_field");
    sps.chroma_sample_loc_bottom = r.ue_max(5, "chroma_sample_loc_type_bottom_field");
  }
  sps.timing_info_present = r.flag();
  if (sps.timing_info_present) {
    sps.num_units_in_tick = r.bits(32);
    sps.time_scale = r.bits(32);
    sps.fixed_frame_rate = r.flag();
  }
  sps.nal_hrd_present = r.flag();
  if (sps.nal_hrd_present) skip_hrd(r);
  sps.vcl_hrd_present = r.flag();
  if (sps.vcl_hrd_present) skip_hrd(r);
  if (sps.nal_hrd_present || sps.vcl_hrd_present) sps.low_delay_hrd = r.flag();
  sps.pic_struct_present = r.flag();
  if (r.flag()) {  // bitstream_restriction_flag
    r.skip(1);     // motion_vectors_over_pic_boundaries_flag
    r.ue_max(16, "max_bytes_per_pic_denom");
    r.ue_max(16, "max_bits_per_mb_denom");
    r.ue_max(16, "log2_max_mv_length_horizontal");
    r.ue_max(16, "log2_max_mv_length_vertical");
    uint32_t reorder = r.ue_max(16, "max_num_reorder_frames");
    uint32_t buffering = r.ue_max(16, "max_dec_frame_buffering");
    if (reorder > buffering) {
      throw Error(ErrorCode::InvalidData, "H.264 max_num_reorder_frames " + std::to_string(reorder) +
                                              " exceeds max_dec_frame_buffering " + std::to_string(buffering));
    }
    // Committed only when complete: a half-read restriction is no restriction.
    sps.bitstream_restriction = true;
    sps.max_num_reorder_frames = reorder;
    sps.max_dec_frame_buffering = buffering;
  }
}

}  // namespace

void parse_vui(BitReader& reader, Sps& sps) {
  sps.vui_present = true;
  try {
    parse_fields(reader, sps);
  } catch (const Error&) {
    // Only running out of bits is forgiven; a value out of range still rejects the SPS.
    if (!reader.overread()) throw;
    sps.vui_truncated = true;
  }
}

}  // namespace ringclip::h264::detail
