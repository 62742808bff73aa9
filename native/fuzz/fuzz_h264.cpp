// libFuzzer target: the Annex B scanner (streaming, arbitrary chunking) feeding the access
// unit assembler, the one-shot path of store.write() (for_each_nal + analyze_access_unit),
// and parseAnnexB()'s describe_annexb (borrowed views, byte ranges, presentation order).
// Bad input must end in Error (InvalidData) or be dropped and counted, never in a crash.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "h264/access_unit.h"
#include "h264/annexb.h"
#include "h264/annexb_units.h"
#include "util/error.h"

using namespace ringclip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the chunk size the stream arrives in (1..256 bytes, or all at once).
  size_t chunk = data[0] == 0 ? size : data[0];
  data++;
  size--;

  uint64_t units = 0, reorder_releases = 0;
  h264::PresentationOrder order(4, [&](const h264::PresentationOrder::Released&) { reorder_releases++; });
  h264::AccessUnitAssembler assembler([&](const h264::AccessUnit& unit) {
    units++;
    size_t bytes = 0;
    for (const h264::NalView& nal : unit.nals) bytes += nal.size > 0 ? nal.data[nal.size - 1] : 0;  // touch every view
    (void)bytes;
    order.push(units, unit.poc, unit.poc_reset);
  });
  h264::AnnexBScanner scanner;
  auto on_nal = [&](const h264::NalView& nal) { assembler.push(nal); };
  try {
    for (size_t at = 0; at < size; at += chunk) scanner.feed(data + at, std::min(chunk, size - at), on_nal);
    scanner.finish(on_nal);
    assembler.finish();
    order.finish();
  } catch (const Error&) {
  }

  // The write() path: the whole input as one access unit, with fresh stream state.
  std::vector<h264::NalView> nals;
  h264::for_each_nal(data, size, [&](const h264::NalView& nal) { nals.push_back(nal); });
  h264::ParameterSets sets;
  h264::PocState poc;
  try {
    h264::analyze_access_unit(nals, sets, poc);
  } catch (const Error&) {
  }

  // parseAnnexB(): never throws; every unit lies inside the input, slots are unique.
  h264::AnnexBDescription d = h264::describe_annexb(data, size);
  std::vector<bool> seen(d.units.size(), false);
  for (const h264::DescribedUnit& u : d.units) {
    if (u.offset > size || u.size > size - u.offset) __builtin_trap();
    if (u.presentation >= seen.size() || seen[u.presentation]) __builtin_trap();
    seen[u.presentation] = true;
  }
  return 0;
}
