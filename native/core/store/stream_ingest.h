#pragma once
// Streaming ingest of raw Annex B bytes in any chunking (files, pipes, cameras): scanner ->
// access-unit assembler -> presentation order from POC -> store. Timing comes from a frame
// rate (given, or the SPS VUI timing); raw streams carry decode order only, so presentation
// timestamps are derived from POC and B-frames get pts != dts.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "h264/access_unit.h"
#include "h264/annexb.h"
#include "store/segment_store.h"

namespace ringclip::store {

class StreamIngest {
 public:
  // fps 0: take the frame rate from the SPS VUI timing, or fail with a clear error.
  StreamIngest(SegmentStore& store, uint32_t stream, double fps, int64_t start_us);
  // Both throw Error(Closed) once the store is closed, even when the bytes would only be held.
  void feed(const uint8_t* data, size_t size);
  void finish();
  uint64_t stored() const { return stored_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t rejected() const { return assembler_.rejected_units(); }
  double fps() const { return fps_; }

 private:
  struct Held {
    uint64_t token;
    uint32_t config_id;          // taken when the unit was parsed: later units may redefine a set
    h264::AccessUnit unit;       // views point into bytes
    std::vector<uint8_t> bytes;  // taken over from the assembler, not copied (views may also borrow the chunk)
  };
  void on_unit(const h264::AccessUnit& unit);
  bool in_chunk(const uint8_t* p) const { return p >= chunk_begin_ && p < chunk_end_; }
  void own_held();                           // the chunk ends: held units copy the bytes they borrowed from it
  std::vector<uint8_t> take_spare_buffer();  // empty when none is spare
  void give_back_buffer(std::vector<uint8_t> buffer);
  void on_release(const h264::PresentationOrder::Released& r);
  void count_rejections();
  // start + (index - reorder depth) frames, in µs; Error(InvalidArgument) outside the times a store holds.
  int64_t frame_time(const char* what, uint64_t index) const;

  SegmentStore& store_;
  uint32_t stream_;
  double fps_;
  int64_t start_us_;
  h264::AnnexBScanner scanner_;
  h264::AccessUnitAssembler assembler_;
  std::unique_ptr<h264::PresentationOrder> order_;
  uint32_t depth_ = 0;
  std::deque<Held> held_;
  // The chunk feed() is scanning: NAL units wholly inside it reach the store straight from
  // it (views), and only what is still held when feed() returns is copied.
  const uint8_t* chunk_begin_ = nullptr;
  const uint8_t* chunk_end_ = nullptr;
  std::vector<std::vector<uint8_t>> spare_buffers_;  // released units' buffers, reused by the assembler
  uint64_t next_token_ = 0;
  uint64_t stored_ = 0, dropped_ = 0;
  uint64_t rejected_counted_ = 0;
};

}  // namespace ringclip::store
