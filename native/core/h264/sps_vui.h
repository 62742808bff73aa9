#pragma once
// Internal to the SPS parser: vui_parameters() (H.264 E.1.1).
#include "h264/bit_reader.h"
#include "h264/parameter_sets.h"

namespace ringclip::h264::detail {

// Fills the VUI fields of `sps`. Tolerates a VUI cut short by the end of the SPS (see
// Sps::vui_truncated); throws Error(InvalidData) for values out of their ranges.
void parse_vui(BitReader& reader, Sps& sps);

}  // namespace ringclip::h264::detail
