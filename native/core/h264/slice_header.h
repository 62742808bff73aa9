#pragma once
// Slice header (H.264 7.3.3) parsed up to what access-unit boundaries and POC need,
// plus memory_management_control_operation 5 detection when cheaply reachable.
#include <cstdint>

#include "h264/nal.h"
#include "h264/parameter_sets.h"

namespace ringclip::h264 {

enum SliceType : uint8_t { kSliceP = 0, kSliceB = 1, kSliceI = 2, kSliceSP = 3, kSliceSI = 4 };

struct SliceHeader {
  uint8_t nal_type = 0;
  uint8_t nal_ref_idc = 0;
  uint32_t first_mb_in_slice = 0;
  uint8_t slice_type = 0;  // 0..4 (slice_type % 5)
  uint32_t pps_id = 0;
  uint32_t sps_id = 0;
  uint32_t colour_plane_id = 0;
  uint32_t frame_num = 0;
  bool field_pic = false;
  bool bottom_field = false;
  uint32_t idr_pic_id = 0;
  uint32_t pic_order_cnt_lsb = 0;
  int32_t delta_pic_order_cnt_bottom = 0;
  int32_t delta_pic_order_cnt[2] = {0, 0};
  uint32_t redundant_pic_cnt = 0;
  bool has_mmco5 = false;  // memory_management_control_operation 5 present (best effort)
  bool is_idr() const { return nal_type == kNalIdr; }
};

// Throws Error(InvalidData) when the header does not parse or names an unknown PPS/SPS.
SliceHeader parse_slice_header(const NalView& nal, const ParameterSets& sets);

// 7.4.1.2.4: true when `cur` starts a new primary coded picture after `prev`.
bool first_slice_of_new_picture(const SliceHeader& prev, const SliceHeader& cur, const Sps& sps);

// Picture order count (8.2.1), all three poc_type values, kept per stream.
class PocState {
 public:
  int32_t compute(const SliceHeader& sh, const Sps& sps);  // call once per picture (first slice)
  void reset() { *this = PocState(); }

 private:
  int32_t prev_poc_msb_ = 0;
  uint32_t prev_poc_lsb_ = 0;
  int32_t prev_frame_num_offset_ = 0;
  uint32_t prev_frame_num_ = 0;
  bool prev_had_mmco5_ = false;
  bool prev_was_bottom_field_ = false;
  int32_t prev_top_foc_ = 0;
};

}  // namespace ringclip::h264
