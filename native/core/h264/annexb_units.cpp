#include "h264/annexb_units.h"

#include <memory>

#include "h264/access_unit.h"
#include "h264/annexb.h"

namespace ringclip::h264 {
namespace {

// Where a NAL unit's start code begins: 00 00 01 before its header, with one more zero byte
// for the four-byte form (for_each_nal's views start after the start code).
uint64_t start_code_offset(const uint8_t* base, const uint8_t* nal) {
  uint64_t at = uint64_t(nal - base);
  at = at >= 3 ? at - 3 : 0;
  if (at > 0 && base[at - 1] == 0) --at;
  return at;
}

}  // namespace

AnnexBDescription describe_annexb(const uint8_t* data, size_t size) {
  AnnexBDescription out;
  std::unique_ptr<PresentationOrder> order;
  AccessUnitAssembler* assembler_ptr = nullptr;
  AccessUnitAssembler assembler([&](const AccessUnit& unit) {
    if (!order) {
      const Sps* sps = assembler_ptr->parameter_sets().sps(unit.sps_id);
      out.reorder_depth = sps ? sps->reorder_depth() : 0;
      out.fps = sps ? sps->vui_fps() : 0;
      order = std::make_unique<PresentationOrder>(out.reorder_depth, [&](const PresentationOrder::Released& r) {
        // presentation_index counts the reorder delay in; a slot from 0 is what callers time by.
        out.units[r.token].presentation = r.presentation_index - out.reorder_depth;
      });
    }
    const NalView& first = unit.nals.front();
    const NalView& last = unit.nals.back();
    DescribedUnit d;
    d.offset = start_code_offset(data, first.data);
    d.size = uint64_t(last.data + last.size - data) - d.offset;
    d.idr = unit.random_access == RandomAccess::Idr;
    d.decode = out.units.size();
    out.units.push_back(d);
    order->push(d.decode, unit.poc, unit.poc_reset);
  });
  assembler_ptr = &assembler;
  // The whole stream stays valid: units borrow their bytes (stable views) and are not copied.
  out.skipped = for_each_nal(data, size, [&](const NalView& nal) { assembler.push(nal, true); });
  assembler.finish();
  if (order) order->finish();
  out.rejected = assembler.rejected_units();
  return out;
}

}  // namespace ringclip::h264
