// PocState: picture order count, H.264 8.2.1.1 (type 0), 8.2.1.2 (type 1), 8.2.1.3 (type 2).
#include <algorithm>

#include "h264/slice_header.h"

namespace ringclip::h264 {

namespace {

struct FieldCounts {
  int64_t top = 0;
  int64_t bottom = 0;
};

// FrameNumOffset (8-6 / 8-11): counts frame_num wraps since the last IDR.
int64_t frame_num_offset(const SliceHeader& sh, const Sps& sps, int64_t prev_offset, uint32_t prev_frame_num) {
  if (sh.is_idr()) return 0;
  if (prev_frame_num > sh.frame_num) return prev_offset + (int64_t(1) << sps.log2_max_frame_num);
  return prev_offset;
}

}  // namespace

int32_t PocState::compute(const SliceHeader& sh, const Sps& sps) {
  bool frame = !sh.field_pic;
  FieldCounts poc;
  int64_t offset = 0;  // FrameNumOffset, types 1 and 2
  int64_t msb = 0;     // PicOrderCntMsb, type 0

  // After MMCO 5 the previous picture counts as if it had frame_num 0 and reset POC.
  int64_t prev_offset = prev_had_mmco5_ ? 0 : prev_frame_num_offset_;
  uint32_t prev_frame_num = prev_had_mmco5_ ? 0 : prev_frame_num_;

  if (sps.poc_type == 0) {
    // prev_poc_* already hold the post-MMCO-5 values when the previous reference picture had one.
    int64_t prev_msb = sh.is_idr() ? 0 : prev_poc_msb_;
    int64_t prev_lsb = sh.is_idr() ? 0 : prev_poc_lsb_;
    int64_t max_lsb = int64_t(1) << sps.log2_max_poc_lsb;
    int64_t lsb = sh.pic_order_cnt_lsb;
    if (lsb < prev_lsb && prev_lsb - lsb >= max_lsb / 2) {
      msb = prev_msb + max_lsb;
    } else if (lsb > prev_lsb && lsb - prev_lsb > max_lsb / 2) {
      msb = prev_msb - max_lsb;
    } else {
      msb = prev_msb;
    }
    poc.top = msb + lsb;
    poc.bottom = frame ? poc.top + sh.delta_pic_order_cnt_bottom : msb + lsb;
  } else if (sps.poc_type == 1) {
    offset = frame_num_offset(sh, sps, prev_offset, prev_frame_num);
    int64_t cycle_len = int64_t(sps.offset_for_ref_frame.size());
    int64_t abs_frame_num = cycle_len != 0 ? offset + sh.frame_num : 0;
    if (sh.nal_ref_idc == 0 && abs_frame_num > 0) --abs_frame_num;
    int64_t expected = 0;
    if (abs_frame_num > 0) {
      int64_t delta_per_cycle = 0;
      for (int32_t o : sps.offset_for_ref_frame) delta_per_cycle += o;
      int64_t cycle_count = (abs_frame_num - 1) / cycle_len;
      int64_t in_cycle = (abs_frame_num - 1) % cycle_len;
      expected = cycle_count * delta_per_cycle;
      for (int64_t i = 0; i <= in_cycle; ++i) expected += sps.offset_for_ref_frame[size_t(i)];
    }
    if (sh.nal_ref_idc == 0) expected += sps.offset_for_non_ref_pic;
    if (frame) {
      poc.top = expected + sh.delta_pic_order_cnt[0];
      poc.bottom = poc.top + sps.offset_for_top_to_bottom_field + sh.delta_pic_order_cnt[1];
    } else if (!sh.bottom_field) {
      poc.top = expected + sh.delta_pic_order_cnt[0];
    } else {
      poc.bottom = expected + sps.offset_for_top_to_bottom_field + sh.delta_pic_order_cnt[0];
    }
  } else {
    offset = frame_num_offset(sh, sps, prev_offset, prev_frame_num);
    int64_t temp = 0;
    if (!sh.is_idr()) temp = 2 * (offset + sh.frame_num) - (sh.nal_ref_idc == 0 ? 1 : 0);
    poc.top = poc.bottom = temp;
  }

  int64_t pic_poc = frame ? std::min(poc.top, poc.bottom) : (sh.bottom_field ? poc.bottom : poc.top);

  if (sh.has_mmco5) {
    // 8.2.1: after decoding, the picture's counts are made relative to itself.
    poc.top -= pic_poc;
    poc.bottom -= pic_poc;
    pic_poc = 0;
  }

  // Type 0 remembers the previous reference picture; types 1/2 the previous picture.
  // MMCO 5 (only in reference pictures) restarts type 0 from this picture's reset top count.
  if (sps.poc_type == 0 && sh.nal_ref_idc != 0) {
    bool bottom_field = sh.field_pic && sh.bottom_field;
    prev_poc_msb_ = sh.has_mmco5 ? 0 : msb;
    prev_poc_lsb_ = sh.has_mmco5 ? (bottom_field ? 0 : poc.top) : int64_t(sh.pic_order_cnt_lsb);
  }
  prev_frame_num_offset_ = offset;
  prev_frame_num_ = sh.frame_num;
  prev_had_mmco5_ = sh.has_mmco5;
  return int32_t(pic_poc);
}

}  // namespace ringclip::h264
