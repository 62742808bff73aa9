#pragma once
// A clip cut from the ring: the store's frames become a cut source (export/clip_cutter)
// whose sample bytes point into the mmap. The clip pins every segment it points into
// until it is released or destroyed.
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "export/clip_cutter.h"
#include "store/segment_store.h"

namespace ringclip::store {

struct ClipRequest {
  int64_t from_us = 0;
  int64_t to_us = 0;
  std::vector<uint32_t> streams;
  bool exact = false;                                      // edit lists start presentation exactly at from_us
  bool allow_partial = false;                              // clip what remains of a partly overwritten range
  int64_t timelapse_every_us = 0, timelapse_frame_us = 0;  // > 0: a key-frame timelapse (export/timelapse.h)
  bool read_all_segments = false;  // tests: hand the cutter every retained frame, the reference for skipping
};

class StoreClip {
 public:
  // Shares ownership of the store: a clip (and whatever holds it, e.g. a virtual file
  // collected late) can outlive every other handle and still unpin safely.
  StoreClip(std::shared_ptr<SegmentStore> store, const ClipRequest& request);
  ~StoreClip();
  StoreClip(const StoreClip&) = delete;
  StoreClip& operator=(const StoreClip&) = delete;

  const mp4::Movie& movie() const { return cut_.movie; }
  const exporting::CutResult& cut() const { return cut_; }
  void release();  // unpins early; the movie's spans must not be read afterwards
  // The cut was made from the segments it needs, older ones unread (tests, diagnostics).
  bool skipped_segments() const { return skipped_segments_; }
  // Identifies the stored bytes the clip shows: the same footage of the same store gives
  // the same value, and a segment rewritten since (loop recording) another. Its ETags
  // (export/clip_file.h) are made of it. Computed when first asked (an export's ETag), not
  // for every clip: a pass over every sample that a playlist request has no use for.
  // Throws Error(Closed) once the store is closed.
  uint64_t identity() const;

 private:
  std::shared_ptr<SegmentStore> store_;
  std::vector<uint32_t> pinned_;
  exporting::CutResult cut_;
  bool skipped_segments_ = false;
  mutable std::once_flag identity_once_;
  mutable uint64_t identity_ = 0;
};

}  // namespace ringclip::store
