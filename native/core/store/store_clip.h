#pragma once
// A clip cut from the ring: per stream, the samples from the random access point at or
// before `from` to the last frame presented before `to`, as an mp4::Movie whose sample
// bytes point into the mmap. The clip pins every segment it points into until destroyed.
#include <cstdint>
#include <string>
#include <vector>

#include "mp4/movie.h"
#include "store/segment_store.h"

namespace ringclip::store {

struct ClipRequest {
  int64_t from_us = 0;
  int64_t to_us = 0;
  std::vector<uint32_t> streams;
  bool exact = false;          // edit lists start presentation exactly at from_us
  bool allow_partial = false;  // clip what remains of a partly overwritten range
};

struct ClipTrackReport {
  uint32_t stream = 0;
  std::string name;
  int64_t first_pts_us = 0;  // first presented frame
  int64_t end_pts_us = 0;    // end of the last presented frame
  uint64_t frames = 0;
  uint64_t dropped_leading = 0;  // open-GOP leading pictures left out (undecodable)
  bool partial = false;
  std::string note;
};

class StoreClip {
 public:
  // Throws Error(Range) when nothing of the range is retained, or when part of it is gone
  // and allow_partial is false; the message says what the store retains.
  StoreClip(SegmentStore& store, const ClipRequest& request);
  ~StoreClip();
  StoreClip(const StoreClip&) = delete;
  StoreClip& operator=(const StoreClip&) = delete;

  const mp4::Movie& movie() const { return movie_; }
  const std::vector<ClipTrackReport>& tracks() const { return reports_; }
  bool partial() const;
  int64_t start_us() const { return start_us_; }
  int64_t end_us() const { return end_us_; }
  void release();  // unpins early; the movie's spans must not be read afterwards

 private:
  SegmentStore* store_;
  std::vector<uint32_t> pinned_;
  mp4::Movie movie_;
  std::vector<ClipTrackReport> reports_;
  int64_t start_us_ = 0, end_us_ = 0;
};

std::string format_time_us(int64_t us);  // ISO-8601 UTC with milliseconds, for messages

}  // namespace ringclip::store
