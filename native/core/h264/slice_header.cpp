// parse_slice_header (H.264 7.3.3) and the new-picture test of 7.4.1.2.4.
#include "h264/slice_header.h"

#include <string>

#include "h264/bit_reader.h"
#include "util/error.h"

namespace ringclip::h264 {

namespace {

// Everything up to dec_ref_pic_marking() fits in far fewer bytes except with very long
// weight tables; those only lose MMCO 5 detection.
constexpr size_t kHeaderBytes = 256;
// Real headers are a few dozen bytes at most (x264: 3-12). Unescaping this much first and
// the full bound only when the parse reads past it halves the per-slice cost of write()
// for small frames, where the header is all the parsing there is.
constexpr size_t kShortHeaderBytes = 48;

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::InvalidData, "H.264 slice header: " + what);
}

bool is_p(uint8_t t) { return t == kSliceP || t == kSliceSP; }
bool is_b(uint8_t t) { return t == kSliceB; }

SlicePrefix read_prefix(BitReader& r) {
  SlicePrefix p;
  p.first_mb_in_slice = r.ue_max(139264, "first_mb_in_slice");  // MaxFrameSize of level 6.2
  p.slice_type = uint8_t(r.ue_max(9, "slice_type") % 5);
  p.pps_id = r.ue_max(255, "pic_parameter_set_id");
  return p;
}

void skip_ref_pic_list_modification(BitReader& r) {
  if (!r.flag()) return;          // ref_pic_list_modification_flag_lX
  for (int i = 0; i < 33; ++i) {  // at most num_ref_idx_active + 1 entries
    uint32_t idc = r.ue_max(5, "modification_of_pic_nums_idc");
    if (idc == 3) return;
    r.ue();  // abs_diff_pic_num_minus1 / long_term_pic_num / abs_diff_view_idx_minus1
  }
  invalid("ref_pic_list_modification does not end");
}

void skip_weights(BitReader& r, uint32_t count, bool chroma) {
  for (uint32_t i = 0; i < count; ++i) {
    if (r.flag()) {  // luma_weight_flag
      r.se();
      r.se();
    }
    if (chroma && r.flag()) {  // chroma_weight_flag
      for (int j = 0; j < 4; ++j) r.se();
    }
  }
}

// Returns true when a memory_management_control_operation equal to 5 is present.
bool read_dec_ref_pic_marking(BitReader& r, bool idr) {
  if (idr) {
    r.skip(2);  // no_output_of_prior_pics_flag, long_term_reference_flag
    return false;
  }
  if (!r.flag()) return false;  // adaptive_ref_pic_marking_mode_flag
  bool mmco5 = false;
  for (int i = 0; i < 100; ++i) {
    uint32_t op = r.ue_max(6, "memory_management_control_operation");
    if (op == 0) return mmco5;
    if (op == 5) mmco5 = true;
    if (op == 1 || op == 3) r.ue();  // difference_of_pic_nums_minus1
    if (op == 2) r.ue();             // long_term_pic_num
    if (op == 3 || op == 6) r.ue();  // long_term_frame_idx
    if (op == 4) r.ue();             // max_long_term_frame_idx_plus1
  }
  invalid("dec_ref_pic_marking does not end");
}

// The part after the fields ringclip needs, walked only to reach dec_ref_pic_marking().
bool detect_mmco5(BitReader& r, const SliceHeader& sh, const Pps& pps, const Sps& sps) {
  uint8_t t = sh.slice_type;
  if (is_b(t)) r.skip(1);  // direct_spatial_mv_pred_flag
  uint32_t l0 = pps.num_ref_idx_l0_default, l1 = pps.num_ref_idx_l1_default;
  if (is_p(t) || is_b(t)) {
    if (r.flag()) {  // num_ref_idx_active_override_flag
      l0 = r.ue_max(31, "num_ref_idx_l0_active_minus1") + 1;
      if (is_b(t)) l1 = r.ue_max(31, "num_ref_idx_l1_active_minus1") + 1;
    }
  }
  if (t != kSliceI && t != kSliceSI) {
    skip_ref_pic_list_modification(r);
    if (is_b(t)) skip_ref_pic_list_modification(r);
  }
  if ((pps.weighted_pred && is_p(t)) || (pps.weighted_bipred_idc == 1 && is_b(t))) {
    bool chroma = sps.chroma_array_type() != 0;
    r.ue_max(7, "luma_log2_weight_denom");
    if (chroma) r.ue_max(7, "chroma_log2_weight_denom");
    skip_weights(r, l0, chroma);
    if (is_b(t)) skip_weights(r, l1, chroma);
  }
  if (sh.nal_ref_idc == 0) return false;
  return read_dec_ref_pic_marking(r, sh.is_idr());
}

}  // namespace

SlicePrefix peek_slice_prefix(const NalView& nal) {
  if (nal.size < 1 || !has_slice_header(nal.type())) invalid("not a slice NAL unit");
  uint8_t buf[24];
  size_t n = unescape_rbsp_into(nal.data, nal.size, buf, sizeof buf);
  BitReader r(buf, n);
  r.skip(8);  // NAL header
  return read_prefix(r);
}

SliceHeader parse_slice_header(const NalView& nal, const ParameterSets& sets) {
  return parse_slice_header(nal, [&sets](uint32_t pps_id) {
    const Pps* pps = sets.pps(pps_id);
    return SliceSets{pps, pps ? sets.sps(pps->sps_id) : nullptr};
  });
}

namespace {

// The header from its unescaped bytes. `cut`: the bytes stop before the NAL unit does, so a
// failed read may only mean "unescape more"; *needs_more says so for the optional tail.
SliceHeader parse_rbsp(const NalView& nal, const SliceSetLookup& lookup, const uint8_t* buf, size_t n, bool cut,
                       bool* needs_more) {
  BitReader r(buf, n);
  SliceHeader sh;
  sh.nal_type = nal.type();
  sh.nal_ref_idc = nal.ref_idc();
  r.skip(8);
  SlicePrefix prefix = read_prefix(r);
  const SliceSets sets = lookup(prefix.pps_id);
  if (!sets.pps) invalid("names missing PPS " + std::to_string(prefix.pps_id));
  if (!sets.sps)
    invalid("PPS " + std::to_string(prefix.pps_id) + " names missing SPS " + std::to_string(sets.pps->sps_id));
  const Pps& pps = *sets.pps;
  const Sps& sps = *sets.sps;
  sh.first_mb_in_slice = prefix.first_mb_in_slice;
  sh.slice_type = prefix.slice_type;
  sh.pps_id = prefix.pps_id;
  sh.sps_id = pps.sps_id;
  if (sh.is_idr() && sh.nal_ref_idc == 0) invalid("IDR slice with nal_ref_idc 0");
  if (sps.separate_colour_plane) {
    sh.colour_plane_id = r.bits(2);
    if (sh.colour_plane_id > 2) invalid("colour_plane_id 3 is reserved");
  }
  sh.frame_num = r.bits(sps.log2_max_frame_num);
  if (!sps.frame_mbs_only) {
    sh.field_pic = r.flag();
    if (sh.field_pic) sh.bottom_field = r.flag();
  }
  if (sh.is_idr()) sh.idr_pic_id = r.ue_max(65535, "idr_pic_id");
  if (sps.poc_type == 0) {
    sh.pic_order_cnt_lsb = r.bits(sps.log2_max_poc_lsb);
    if (pps.bottom_field_pic_order_in_frame_present && !sh.field_pic) sh.delta_pic_order_cnt_bottom = r.se();
  } else if (sps.poc_type == 1 && !sps.delta_pic_order_always_zero) {
    sh.delta_pic_order_cnt[0] = r.se();
    if (pps.bottom_field_pic_order_in_frame_present && !sh.field_pic) sh.delta_pic_order_cnt[1] = r.se();
  }
  if (pps.redundant_pic_cnt_present) sh.redundant_pic_cnt = r.ue_max(127, "redundant_pic_cnt");

  // Optional: a failure here (a truncated copy, an unusual header) only means "no MMCO 5 seen".
  try {
    sh.has_mmco5 = detect_mmco5(r, sh, pps, sps);
  } catch (const Error&) {
    sh.has_mmco5 = false;
    if (cut && r.overread()) *needs_more = true;
  }
  return sh;
}

}  // namespace

SliceHeader parse_slice_header(const NalView& nal, const SliceSetLookup& lookup) {
  if (nal.size < 1 || !has_slice_header(nal.type())) invalid("not a slice NAL unit");
  uint8_t buf[kHeaderBytes];
  size_t n = unescape_rbsp_into(nal.data, nal.size, buf, kShortHeaderBytes);
  // Unescaping only drops bytes: a short output with input left over means it was cut.
  if (n == kShortHeaderBytes && nal.size > kShortHeaderBytes) {
    bool needs_more = false;
    try {
      SliceHeader sh = parse_rbsp(nal, lookup, buf, n, true, &needs_more);
      if (!needs_more) return sh;
    } catch (const Error&) {
      // Possibly only the cut: the full parse below gives the real verdict.
    }
    n = unescape_rbsp_into(nal.data, nal.size, buf, kHeaderBytes);
  }
  return parse_rbsp(nal, lookup, buf, n, false, nullptr);
}

bool first_slice_of_new_picture(const SliceHeader& prev, const SliceHeader& cur, const Sps& sps) {
  if (cur.redundant_pic_cnt > 0) return false;
  if (cur.frame_num != prev.frame_num) return true;
  if (cur.pps_id != prev.pps_id) return true;
  if (cur.field_pic != prev.field_pic) return true;
  if (cur.field_pic && cur.bottom_field != prev.bottom_field) return true;
  if ((cur.nal_ref_idc == 0) != (prev.nal_ref_idc == 0)) return true;
  if (sps.poc_type == 0 && (cur.pic_order_cnt_lsb != prev.pic_order_cnt_lsb ||
                            cur.delta_pic_order_cnt_bottom != prev.delta_pic_order_cnt_bottom)) {
    return true;
  }
  if (sps.poc_type == 1 && (cur.delta_pic_order_cnt[0] != prev.delta_pic_order_cnt[0] ||
                            cur.delta_pic_order_cnt[1] != prev.delta_pic_order_cnt[1])) {
    return true;
  }
  if (cur.is_idr() != prev.is_idr()) return true;
  if (cur.is_idr() && prev.is_idr() && cur.idr_pic_id != prev.idr_pic_id) return true;
  return false;
}

}  // namespace ringclip::h264
