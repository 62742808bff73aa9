#pragma once
// One H.264 NAL unit as it sits in memory: header byte first, no start code, no length
// prefix, emulation-prevention bytes still in place (parsers unescape what they read).
#include <cstddef>
#include <cstdint>

namespace ringclip::h264 {

enum NalType : uint8_t {
  kNalSlice = 1,
  kNalSliceA = 2,
  kNalSliceB = 3,
  kNalSliceC = 4,
  kNalIdr = 5,
  kNalSei = 6,
  kNalSps = 7,
  kNalPps = 8,
  kNalAud = 9,
  kNalEndOfSequence = 10,
  kNalEndOfStream = 11,
  kNalFiller = 12,
  kNalSpsExtension = 13,
  kNalPrefix = 14,
  kNalSubsetSps = 15,
};

struct NalView {
  const uint8_t* data = nullptr;
  size_t size = 0;
  uint8_t type() const { return data[0] & 0x1f; }
  uint8_t ref_idc() const { return (data[0] >> 5) & 3; }
  bool is_vcl() const {
    uint8_t t = type();
    return t >= 1 && t <= 5;
  }
};

}  // namespace ringclip::h264
