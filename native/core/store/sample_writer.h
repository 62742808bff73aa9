#pragma once
// MP4 samples into a store stream: access units whose NAL units carry 4-byte big-endian
// length prefixes (what an `avc1`/`avc3` track holds), with the track's avcC. They take
// the same path as write() after its Annex B split — the same analysis, validation,
// errors and all-or-nothing guarantee — without an Annex B round trip.
#include <cstdint>
#include <vector>

#include "h264/nal.h"
#include "store/segment_store.h"
#include "util/bytes.h"

namespace ringclip::store {

class SampleWriter {
 public:
  SampleWriter(SegmentStore& store, uint32_t stream) : store_(store), stream_(stream) {}

  // The track's parameter sets (an avcC payload, or the SPS/PPS lists of a parsed track).
  // They go to the store with the next sample; configuring the same sets again is free.
  void configure(ByteSpan avcc);
  void configure(const std::vector<std::vector<uint8_t>>& sps, const std::vector<std::vector<uint8_t>>& pps);
  bool configured() const { return !sps_.empty(); }

  // Throws Error(InvalidData) for a sample whose length prefixes do not tile it, or what
  // SegmentStore::write() throws; the store is then unchanged.
  WriteResult write(ByteSpan sample, int64_t pts_us, int64_t dts_us, int64_t capture_us);

 private:
  SegmentStore& store_;
  uint32_t stream_;
  std::vector<std::vector<uint8_t>> sps_, pps_;
  std::vector<uint8_t> avcc_;  // the avcC the sets came from, when they came from one
  bool send_sets_ = false;     // the configuration has not reached the store yet
  std::vector<h264::NalView> nals_;
};

}  // namespace ringclip::store
