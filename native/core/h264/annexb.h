#pragma once
// Annex B byte streams: NAL units separated by 00 00 01 or 00 00 00 01 start codes.
// Both entry points find start codes with vector compares of the whole 00 00 01 pattern
// (SSE2/AVX2; memchr for zero bytes elsewhere; never a byte-at-a-time loop) and strip trailing_zero_8bits from the end
// of each NAL unit.
#include <cstdint>
#include <functional>
#include <vector>

#include "h264/nal.h"

namespace ringclip::h264 {

// Splits a complete buffer (e.g. one access unit given to store.write()). Bytes before the
// first start code are ignored and counted in the return value (0 for well-formed input;
// zero bytes right before the first start code are leading_zero_8bits, not counted).
// Views point into `data`. Empty NAL units (two start codes in a row) are skipped.
size_t for_each_nal(const uint8_t* data, size_t size, const std::function<void(const NalView&)>& on_nal);

// Streaming scanner for input that arrives in arbitrary chunks (1 byte to megabytes), a
// start code split across two chunks included. NAL units are reported only once complete:
// when the next start code is seen, or at finish(). A view is valid during the callback only.
class AnnexBScanner {
 public:
  using Callback = std::function<void(const NalView&)>;
  void feed(const uint8_t* data, size_t size, const Callback& on_nal);
  void finish(const Callback& on_nal);                 // reports the last NAL unit; the scanner can be reused
  uint64_t skipped_bytes() const { return skipped_; }  // bytes before the first start code

 private:
  void on_start_code(const Callback& on_nal);

  std::vector<uint8_t> pending_;  // bytes of the NAL unit under construction
  bool in_nal_ = false;
  uint32_t zeros_ = 0;  // zero bytes seen at the end of the input so far (a start code may be forming)
  uint64_t skipped_ = 0;
  // Before the first start code: zero bytes at the end of the garbage seen so far. They are
  // leading_zero_8bits if a start code follows, skipped garbage otherwise.
  uint64_t unresolved_zeros_ = 0;
};

}  // namespace ringclip::h264
