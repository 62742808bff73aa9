#pragma once
// Slice header (H.264 7.3.3) parsed up to what access-unit boundaries and POC need,
// plus memory_management_control_operation 5 detection when cheaply reachable.
#include <cstdint>
#include <functional>

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

// What a slice header is read with: the PPS its pic_parameter_set_id names and that PPS's
// SPS (null when the stream has not carried them).
struct SliceSets {
  const Pps* pps = nullptr;
  const Sps* sps = nullptr;
};
// The same for callers that overlay sets not yet committed: `lookup` resolves the header's
// pic_parameter_set_id once it is read, so the header is unescaped and read once.
using SliceSetLookup = std::function<SliceSets(uint32_t pps_id)>;
SliceHeader parse_slice_header(const NalView& nal, const SliceSetLookup& lookup);

// The first three fields of a slice header, readable without any parameter set.
struct SlicePrefix {
  uint32_t first_mb_in_slice = 0;
  uint8_t slice_type = 0;  // 0..4
  uint32_t pps_id = 0;
};
SlicePrefix peek_slice_prefix(const NalView& nal);

// NAL unit types that start with slice_header() (partitions B and C carry only slice_id).
inline bool has_slice_header(uint8_t nal_type) {
  return nal_type == kNalSlice || nal_type == kNalSliceA || nal_type == kNalIdr;
}

// 7.4.1.2.4: true when `cur` starts a new primary coded picture after `prev`. A slice of a
// redundant coded picture (redundant_pic_cnt > 0) never does: it joins the primary's unit.
bool first_slice_of_new_picture(const SliceHeader& prev, const SliceHeader& cur, const Sps& sps);

// Picture order count (8.2.1), all three poc_type values, kept per stream.
class PocState {
 public:
  // Call once per picture (first slice). Returns PicOrderCnt(CurrPic): the smaller of the two
  // field counts for a frame, the field's own for a field. For a picture with MMCO 5 the value
  // is the one after the reset of 8.2.1 (tempPicOrderCnt subtracted): 0 for a frame.
  int32_t compute(const SliceHeader& sh, const Sps& sps);
  void reset() { *this = PocState(); }

 private:
  // 64-bit: FrameNumOffset grows without bound between IDRs for poc types 1 and 2.
  int64_t prev_poc_msb_ = 0;
  int64_t prev_poc_lsb_ = 0;
  int64_t prev_frame_num_offset_ = 0;
  uint32_t prev_frame_num_ = 0;
  bool prev_had_mmco5_ = false;
};

}  // namespace ringclip::h264
