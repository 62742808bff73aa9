// analyze_access_unit: what one complete access unit is (H.264 7.4.1.2.3).
#include "h264/access_unit.h"

#include <optional>
#include <string>

#include "h264/sei.h"
#include "util/error.h"

namespace ringclip::h264 {

namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::InvalidData, "H.264 access unit: " + what);
}

bool is_intra(uint8_t slice_type) { return slice_type == kSliceI || slice_type == kSliceSI; }

}  // namespace

AccessUnit analyze_access_unit(std::vector<NalView> nals, ParameterSets& sets, PocState& poc) {
  detail::StagedSets staged;
  AccessUnit unit;
  std::optional<RecoveryPoint> recovery;
  size_t first_slice = SIZE_MAX;
  bool all_intra = true;

  for (size_t i = 0; i < nals.size(); ++i) {
    const NalView& nal = nals[i];
    if (nal.size == 0) invalid("empty NAL unit");
    uint8_t type = nal.type();
    if (type == kNalSps) {
      unit.parameter_sets_changed |= staged.add_sps(nal, i, sets);
    } else if (type == kNalPps) {
      unit.parameter_sets_changed |= staged.add_pps(nal, i, sets);
    } else if (type == kNalSei) {
      if (!recovery) recovery = find_recovery_point(nal);
    } else if (has_slice_header(type)) {
      ++unit.slice_count;
      if (first_slice == SIZE_MAX) {
        first_slice = i;  // its type comes with its full header below
      } else {
        if ((type == kNalIdr) != (nals[first_slice].type() == kNalIdr))
          invalid("IDR and non-IDR slices in one picture");
        // The other slices' types decide whether the picture is intra; their first fields suffice.
        if (all_intra && !is_intra(peek_slice_prefix(nal).slice_type)) all_intra = false;
      }
    }
  }
  if (first_slice == SIZE_MAX) invalid("no slice NAL unit");

  SliceSets used;  // what the header was read with (the parse refuses missing sets)
  SliceHeader header =
      parse_slice_header(nals[first_slice], [&](uint32_t pps_id) { return used = staged.slice_sets(pps_id, sets); });
  if (!is_intra(header.slice_type)) all_intra = false;
  PocState next_poc = poc;
  unit.poc = next_poc.compute(header, *used.sps);

  unit.sps_id = used.sps->id;
  unit.pps_id = used.pps->id;
  unit.primary_slice_type = header.slice_type;
  unit.nal_ref_idc = header.nal_ref_idc;
  unit.poc_reset = header.is_idr() || header.has_mmco5;
  if (header.is_idr()) {
    unit.random_access = RandomAccess::Idr;
  } else if (recovery && all_intra) {
    unit.random_access = RandomAccess::Recovery;
    unit.recovery_frame_cnt = recovery->recovery_frame_cnt;
  }

  // Everything parsed: only now does the stream's state change.
  staged.commit(sets, nals);
  poc = next_poc;
  unit.nals = std::move(nals);
  return unit;
}

}  // namespace ringclip::h264
