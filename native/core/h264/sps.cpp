// parse_sps: seq_parameter_set_data() (H.264 7.3.2.1.1) and the derived sizes.
#include <algorithm>
#include <string>

#include "h264/bit_reader.h"
#include "h264/parameter_sets.h"
#include "h264/sps_vui.h"
#include "util/error.h"

namespace ringclip::h264 {

namespace {

[[noreturn]] void invalid(const std::string& what) { throw Error(ErrorCode::InvalidData, "H.264 SPS: " + what); }

// Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices.
bool has_chroma_format_fields(uint8_t profile) {
  switch (profile) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

// scaling_list() (7.3.2.1.1.1): only walked; ringclip does not decode pictures.
void skip_scaling_list(BitReader& r, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size; ++j) {
    if (next != 0) {
      int32_t delta = r.se_range(-128, 127, "delta_scale");
      next = (last + delta + 256) % 256;
    }
    if (next != 0) last = next;
  }
}

void derive_size(Sps& sps, bool cropping, uint32_t crop[4]) {
  // SubWidthC / SubHeightC (Table 6-1); monochrome and separate planes crop in luma units.
  uint32_t array_type = sps.chroma_array_type();
  uint32_t sub_width = array_type == 1 || array_type == 2 ? 2 : 1;
  uint32_t sub_height = array_type == 1 ? 2 : 1;
  uint32_t crop_unit_x = array_type == 0 ? 1 : sub_width;
  uint32_t crop_unit_y = (array_type == 0 ? 1 : sub_height) * (sps.frame_mbs_only ? 1 : 2);

  sps.coded_width = sps.pic_width_in_mbs * 16;
  sps.coded_height = sps.pic_height_in_map_units * 16 * (sps.frame_mbs_only ? 1 : 2);
  if (cropping) {
    uint64_t left = uint64_t(crop[0]) * crop_unit_x, right = uint64_t(crop[1]) * crop_unit_x;
    uint64_t top = uint64_t(crop[2]) * crop_unit_y, bottom = uint64_t(crop[3]) * crop_unit_y;
    if (left + right >= sps.coded_width) invalid("frame_crop_left/right_offset leave no picture");
    if (top + bottom >= sps.coded_height) invalid("frame_crop_top/bottom_offset leave no picture");
    sps.crop_left = uint32_t(left);
    sps.crop_right = uint32_t(right);
    sps.crop_top = uint32_t(top);
    sps.crop_bottom = uint32_t(bottom);
  }
  sps.width = sps.coded_width - sps.crop_left - sps.crop_right;
  sps.height = sps.coded_height - sps.crop_top - sps.crop_bottom;
}

// MaxDpbMbs of Table A-1 by level_idc; 0 for unknown levels.
uint32_t max_dpb_mbs(uint8_t level_idc) {
  switch (level_idc) {
    case 9:
    case 10:
      return 396;  // 9 = level 1b
    case 11:
      return 900;
    case 12:
    case 13:
    case 20:
      return 2376;
    case 21:
      return 4752;
    case 22:
    case 30:
      return 8100;
    case 31:
      return 18000;
    case 32:
      return 20480;
    case 40:
    case 41:
      return 32768;
    case 42:
      return 34816;
    case 50:
      return 110400;
    case 51:
    case 52:
      return 184320;
    case 60:
    case 61:
    case 62:
      return 696320;
    default:
      return 0;
  }
}

}  // namespace

uint32_t peek_sps_id(const NalView& nal) {
  uint8_t buf[16];
  size_t n = unescape_rbsp_into(nal.data, nal.size, buf, sizeof buf);
  BitReader r(buf, n);
  r.skip(8 + 24);  // NAL header, profile_idc, constraint flags, level_idc
  return r.ue_max(31, "seq_parameter_set_id");
}

Sps parse_sps(const NalView& nal) {
  if (nal.size < 1 || nal.type() != kNalSps) invalid("not an SPS NAL unit");
  std::vector<uint8_t> rbsp = unescape_rbsp(nal.data, nal.size);
  BitReader r(rbsp.data(), rbsp.size());
  r.skip(8);  // NAL header
  Sps sps;
  sps.profile_idc = uint8_t(r.bits(8));
  sps.constraint_flags = uint8_t(r.bits(8));
  sps.level_idc = uint8_t(r.bits(8));
  sps.id = r.ue_max(31, "seq_parameter_set_id");

  if (has_chroma_format_fields(sps.profile_idc)) {
    sps.chroma_format_idc = r.ue_max(3, "chroma_format_idc");
    if (sps.chroma_format_idc == 3) sps.separate_colour_plane = r.flag();
    sps.bit_depth_luma = r.ue_max(6, "bit_depth_luma_minus8") + 8;
    sps.bit_depth_chroma = r.ue_max(6, "bit_depth_chroma_minus8") + 8;
    r.skip(1);  // qpprime_y_zero_transform_bypass_flag
    sps.seq_scaling_matrix_present = r.flag();
    if (sps.seq_scaling_matrix_present) {
      int lists = sps.chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        if (r.flag()) skip_scaling_list(r, i < 6 ? 16 : 64);  // seq_scaling_list_present_flag[i]
      }
    }
  }

  sps.log2_max_frame_num = r.ue_max(12, "log2_max_frame_num_minus4") + 4;
  sps.poc_type = r.ue_max(2, "pic_order_cnt_type");
  if (sps.poc_type == 0) {
    sps.log2_max_poc_lsb = r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4") + 4;
  } else if (sps.poc_type == 1) {
    sps.delta_pic_order_always_zero = r.flag();
    sps.offset_for_non_ref_pic = r.se();
    sps.offset_for_top_to_bottom_field = r.se();
    uint32_t cycle = r.ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle");
    sps.offset_for_ref_frame.resize(cycle);
    for (auto& offset : sps.offset_for_ref_frame) offset = r.se();
  }
  sps.max_num_ref_frames = r.ue_max(16, "max_num_ref_frames");
  sps.gaps_in_frame_num_allowed = r.flag();
  // 1024 macroblocks (16384 pixels) each way is beyond the largest level (6.2).
  sps.pic_width_in_mbs = r.ue_max(1023, "pic_width_in_mbs_minus1") + 1;
  sps.pic_height_in_map_units = r.ue_max(1023, "pic_height_in_map_units_minus1") + 1;
  sps.frame_mbs_only = r.flag();
  if (!sps.frame_mbs_only) sps.mb_adaptive_frame_field = r.flag();
  sps.direct_8x8_inference = r.flag();
  bool cropping = r.flag();
  uint32_t crop[4] = {0, 0, 0, 0};
  if (cropping) {
    crop[0] = r.ue_max(8192, "frame_crop_left_offset");
    crop[1] = r.ue_max(8192, "frame_crop_right_offset");
    crop[2] = r.ue_max(8192, "frame_crop_top_offset");
    crop[3] = r.ue_max(8192, "frame_crop_bottom_offset");
  }
  derive_size(sps, cropping, crop);
  if (r.flag()) detail::parse_vui(r, sps);  // vui_parameters_present_flag
  return sps;
}

double Sps::vui_fps() const {
  if (!timing_info_present || num_units_in_tick == 0 || time_scale == 0) return 0;
  // One frame is two field ticks (E.2.1, with fixed_frame_rate semantics).
  return double(time_scale) / (2.0 * double(num_units_in_tick));
}

uint32_t Sps::reorder_depth() const {
  if (bitstream_restriction) return max_num_reorder_frames;
  // No B slices, or output order equal to decode order by construction.
  bool intra_only = (constraint_flags & 0x10) &&  // constraint_set3 on High 10/4:2:2/4:4:4 = Intra profiles
                    (profile_idc == 110 || profile_idc == 122 || profile_idc == 244);
  if (poc_type == 2 || profile_idc == 66 || profile_idc == 44 || intra_only) return 0;
  // Without a bound in the stream, the DPB size of the level bounds the reordering (A.3.1 h).
  uint32_t frame_mbs = pic_width_in_mbs * pic_height_in_map_units * (frame_mbs_only ? 1 : 2);
  uint32_t dpb_mbs = max_dpb_mbs(level_idc);
  if (dpb_mbs == 0 || frame_mbs == 0) return 16;
  return std::clamp<uint32_t>(dpb_mbs / frame_mbs, 1, 16);
}

}  // namespace ringclip::h264
