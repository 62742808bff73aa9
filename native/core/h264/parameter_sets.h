#pragma once
// Sequence and picture parameter sets (H.264 7.3.2.1 and 7.3.2.2), parsed as far as the
// store, the access-unit rules, POC and the MP4 sample entry need.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "h264/nal.h"

namespace ringclip::h264 {

struct Sps {
  uint8_t profile_idc = 0;
  uint8_t constraint_flags = 0;  // the byte after profile_idc (constraint_set0..5 flags)
  uint8_t level_idc = 0;
  uint32_t id = 0;
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  bool seq_scaling_matrix_present = false;
  uint32_t bit_depth_luma = 8;
  uint32_t bit_depth_chroma = 8;
  uint32_t log2_max_frame_num = 4;
  uint32_t poc_type = 0;
  uint32_t log2_max_poc_lsb = 4;
  bool delta_pic_order_always_zero = false;
  int32_t offset_for_non_ref_pic = 0;
  int32_t offset_for_top_to_bottom_field = 0;
  std::vector<int32_t> offset_for_ref_frame;  // poc_type 1
  uint32_t max_num_ref_frames = 0;
  bool gaps_in_frame_num_allowed = false;
  bool frame_mbs_only = true;
  bool mb_adaptive_frame_field = false;
  bool direct_8x8_inference = false;
  uint32_t pic_width_in_mbs = 0;
  uint32_t pic_height_in_map_units = 0;
  uint32_t coded_width = 0;  // in pixels, before cropping
  uint32_t coded_height = 0;
  uint32_t crop_left = 0, crop_right = 0, crop_top = 0, crop_bottom = 0;  // in pixels
  uint32_t width = 0;                                                     // displayed size, after cropping
  uint32_t height = 0;
  // VUI
  bool vui_present = false;
  uint32_t aspect_ratio_idc = 0;  // 0 = unspecified, 255 = Extended_SAR
  uint32_t sar_width = 1, sar_height = 1;
  bool overscan_info_present = false;
  bool overscan_appropriate = false;
  bool video_signal_type_present = false;
  uint32_t video_format = 5;  // 5 = unspecified
  bool video_full_range = false;
  bool colour_description_present = false;
  uint8_t colour_primaries = 2, transfer_characteristics = 2, matrix_coefficients = 2;  // 2 = unspecified
  bool chroma_loc_info_present = false;
  uint32_t chroma_sample_loc_top = 0, chroma_sample_loc_bottom = 0;
  bool timing_info_present = false;
  uint32_t num_units_in_tick = 0;
  uint32_t time_scale = 0;
  bool fixed_frame_rate = false;
  bool nal_hrd_present = false;
  bool vcl_hrd_present = false;
  bool low_delay_hrd = false;
  bool pic_struct_present = false;
  bool bitstream_restriction = false;
  uint32_t max_num_reorder_frames = 0;   // valid when bitstream_restriction
  uint32_t max_dec_frame_buffering = 0;  // valid when bitstream_restriction
  // True when the VUI ran past the end of the SPS and its unread tail was dropped (some
  // encoders write truncated VUI; decoders tolerate it, so does ringclip).
  bool vui_truncated = false;
  uint32_t chroma_array_type() const { return separate_colour_plane ? 0 : chroma_format_idc; }
  // frames per second from VUI timing (time_scale / (2 * num_units_in_tick)), 0 when absent
  double vui_fps() const;
  // frames of reordering a decoder may need: VUI bitstream_restriction when present, else 0 for
  // profiles without B slices (Baseline/Constrained Baseline, poc_type 2), else a safe bound.
  uint32_t reorder_depth() const;
};

struct Pps {
  uint32_t id = 0;
  uint32_t sps_id = 0;
  bool entropy_coding_mode = false;
  bool bottom_field_pic_order_in_frame_present = false;
  uint32_t num_slice_groups = 1;
  uint32_t num_ref_idx_l0_default = 1;
  uint32_t num_ref_idx_l1_default = 1;
  bool weighted_pred = false;
  uint32_t weighted_bipred_idc = 0;
  int32_t pic_init_qp = 26;
  int32_t pic_init_qs = 26;
  int32_t chroma_qp_index_offset = 0;
  bool deblocking_filter_control_present = false;
  bool constrained_intra_pred = false;
  bool redundant_pic_cnt_present = false;
  bool transform_8x8_mode = false;
};

// Throws Error(InvalidData) with a message naming the field when the bytes do not parse.
Sps parse_sps(const NalView& nal);
// The PPS is parsed up to transform_8x8_mode, which needs no SPS; the table may be null.
Pps parse_pps(const NalView& nal, const Sps* const sps_table[32]);

// The ids at the start of an SPS / PPS, read without parsing the rest (for look-ups).
uint32_t peek_sps_id(const NalView& nal);
uint32_t peek_pps_id(const NalView& nal);

// The parameter sets currently active in one stream, with their raw NAL bytes (what avcC
// and the store's configuration table keep).
class ParameterSets {
 public:
  // Returns true when the set's bytes differ from the stored one with the same id (also
  // when none was stored). Identical bytes are not parsed again. Throws on bad data,
  // leaving the stored sets unchanged.
  bool put_sps(const NalView& nal);
  bool put_pps(const NalView& nal);
  // Stores a set that the caller has already parsed from `nal` (two-phase updates).
  bool put_sps(const NalView& nal, const Sps& parsed);
  bool put_pps(const NalView& nal, const Pps& parsed);
  bool same_sps_bytes(uint32_t id, const NalView& nal) const;
  bool same_pps_bytes(uint32_t id, const NalView& nal) const;
  const Sps* sps(uint32_t id) const { return id < 32 && sps_[id] ? &sps_[id]->parsed : nullptr; }
  const Pps* pps(uint32_t id) const { return id < 256 && pps_[id] ? &pps_[id]->parsed : nullptr; }
  const std::vector<uint8_t>* sps_bytes(uint32_t id) const { return id < 32 && sps_[id] ? &sps_[id]->bytes : nullptr; }
  const std::vector<uint8_t>* pps_bytes(uint32_t id) const { return id < 256 && pps_[id] ? &pps_[id]->bytes : nullptr; }
  // Changes whenever stored bytes change, and is never the same for two tables (a global
  // counter): a reader (the store's configuration) that saw this table at this version has
  // nothing to look at again, even if another table later lives at the same address.
  uint64_t version() const { return version_; }

 private:
  uint64_t version_ = next_version();
  static uint64_t next_version();
  struct StoredSps {
    Sps parsed;
    std::vector<uint8_t> bytes;
  };
  struct StoredPps {
    Pps parsed;
    std::vector<uint8_t> bytes;
  };
  std::array<std::optional<StoredSps>, 32> sps_;
  std::array<std::optional<StoredPps>, 256> pps_;
};

}  // namespace ringclip::h264
