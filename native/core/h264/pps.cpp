// parse_pps: pic_parameter_set_rbsp() (H.264 7.3.2.2) up to transform_8x8_mode_flag.
#include <string>

#include "h264/bit_reader.h"
#include "h264/parameter_sets.h"
#include "util/error.h"

namespace ringclip::h264 {

namespace {

[[noreturn]] void invalid(const std::string& what) { throw Error(ErrorCode::InvalidData, "H.264 PPS: " + what); }

// Slice group maps (Baseline FMO) are only walked. They can be large, so the element count
// is checked against the bits left before looping.
void skip_slice_groups(BitReader& r, uint32_t num_groups) {
  uint32_t map_type = r.ue_max(6, "slice_group_map_type");
  if (map_type == 0) {
    for (uint32_t i = 0; i < num_groups; ++i) r.ue();  // run_length_minus1
  } else if (map_type == 2) {
    for (uint32_t i = 0; i + 1 < num_groups; ++i) {
      r.ue();  // top_left
      r.ue();  // bottom_right
    }
  } else if (map_type >= 3 && map_type <= 5) {
    r.skip(1);  // slice_group_change_direction_flag
    r.ue();     // slice_group_change_rate_minus1
  } else if (map_type == 6) {
    uint32_t map_units = r.ue_max(1024 * 1024, "pic_size_in_map_units_minus1") + 1;
    unsigned id_bits = 0;
    while ((1u << id_bits) < num_groups) ++id_bits;  // Ceil(Log2(num_slice_groups))
    if (uint64_t(map_units) * id_bits > r.remaining()) invalid("slice_group_id list longer than the PPS");
    r.skip(size_t(map_units) * id_bits);
  }
}

}  // namespace

uint32_t peek_pps_id(const NalView& nal) {
  uint8_t buf[16];
  size_t n = unescape_rbsp_into(nal.data, nal.size, buf, sizeof buf);
  BitReader r(buf, n);
  r.skip(8);  // NAL header
  return r.ue_max(255, "pic_parameter_set_id");
}

Pps parse_pps(const NalView& nal, const Sps* const sps_table[32]) {
  (void)sps_table;  // only the fields after transform_8x8_mode_flag depend on the SPS
  if (nal.size < 1 || nal.type() != kNalPps) invalid("not a PPS NAL unit");
  std::vector<uint8_t> rbsp = unescape_rbsp(nal.data, nal.size);
  BitReader r(rbsp.data(), rbsp.size());
  r.skip(8);  // NAL header
  Pps pps;
  pps.id = r.ue_max(255, "pic_parameter_set_id");
  pps.sps_id = r.ue_max(31, "seq_parameter_set_id");
  pps.entropy_coding_mode = r.flag();
  pps.bottom_field_pic_order_in_frame_present = r.flag();
  pps.num_slice_groups = r.ue_max(7, "num_slice_groups_minus1") + 1;
  if (pps.num_slice_groups > 1) skip_slice_groups(r, pps.num_slice_groups);
  pps.num_ref_idx_l0_default = r.ue_max(31, "num_ref_idx_l0_default_active_minus1") + 1;
  pps.num_ref_idx_l1_default = r.ue_max(31, "num_ref_idx_l1_default_active_minus1") + 1;
  pps.weighted_pred = r.flag();
  pps.weighted_bipred_idc = r.bits(2);
  if (pps.weighted_bipred_idc > 2) invalid("weighted_bipred_idc 3 is reserved");
  // The exact lower bounds depend on the bit depth (-(26 + QpBdOffsetY)); 14-bit video is the widest.
  pps.pic_init_qp = 26 + r.se_range(-26 - 36, 25, "pic_init_qp_minus26");
  pps.pic_init_qs = 26 + r.se_range(-26, 25, "pic_init_qs_minus26");
  pps.chroma_qp_index_offset = r.se_range(-12, 12, "chroma_qp_index_offset");
  pps.deblocking_filter_control_present = r.flag();
  pps.constrained_intra_pred = r.flag();
  pps.redundant_pic_cnt_present = r.flag();
  if (r.more_rbsp_data()) pps.transform_8x8_mode = r.flag();
  return pps;
}

}  // namespace ringclip::h264
