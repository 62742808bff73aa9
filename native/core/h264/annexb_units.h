#pragma once
// A whole Annex B stream described unit by unit: where each access unit lies in the bytes,
// whether it is an IDR picture, and its place in decode and in presentation order (from POC,
// as the store's ingest derives it). What a program that replays a recording needs to give
// each picture its capture and decode time without parsing H.264 itself.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringclip::h264 {

struct DescribedUnit {
  uint64_t offset = 0;        // of its first start code in the stream
  uint64_t size = 0;          // to the end of its last NAL unit (trailing zero bytes left out)
  bool idr = false;           // an IDR picture: decoding can start here
  uint64_t decode = 0;        // 0, 1, 2, ... among the units described
  uint64_t presentation = 0;  // its slot in presentation order: 0 is shown first
};

struct AnnexBDescription {
  std::vector<DescribedUnit> units;  // in decode order
  // Frames a decoder may hold before showing one: presentation - decode >= -reorder_depth.
  uint32_t reorder_depth = 0;
  double fps = 0;         // the first SPS's VUI timing; 0 when it has none
  uint64_t rejected = 0;  // access units that did not parse (left out)
  uint64_t skipped = 0;   // bytes before the first start code
};

// Never throws for bad bytes: what does not parse is counted in `rejected`.
AnnexBDescription describe_annexb(const uint8_t* data, size_t size);

}  // namespace ringclip::h264
