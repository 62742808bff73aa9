#pragma once
// Makes the segment the writer will start next resident before it gets there, on a thread
// of its own, so the recording thread takes no page fault and never waits for a page to
// be read from storage (docs/FORMAT.md, "Writing into cold storage"). Also tells the
// kernel which old segments it may drop from the page cache.
//
// Each job is one segment's range of the mapping:
//  - discard (its footage was already reclaimed): the range's blocks become unwritten
//    extents (fallocate ZERO_RANGE), so nothing old is read back from storage for it;
//  - then populate-for-write (MADV_POPULATE_WRITE): every page allocated and mapped
//    writable. Over unwritten extents (a fresh file, a discarded range) that reads nothing.
// Every call only hints speed except the discard, which the writer waits for before it
// writes into that segment (zeroing after the writer wrote would destroy new records).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "store/mapped_file.h"

namespace ringclip::store {

struct PreparerStats {
  uint64_t segments_prepared = 0;   // populated ahead of the writer
  uint64_t segments_discarded = 0;  // old blocks dropped first (no read-back)
  uint64_t ranges_released = 0;     // page-cache drops of durable old segments
  uint64_t hint_failures = 0;       // a call the kernel refused (the writer then faults as before)
  int last_errno = 0;
};

class SegmentPreparer {
 public:
  explicit SegmentPreparer(const MappedFile& file) : file_(file) {}
  ~SegmentPreparer();
  SegmentPreparer(const SegmentPreparer&) = delete;
  SegmentPreparer& operator=(const SegmentPreparer&) = delete;

  // isolate: page faults in the range read only their page (MADV_RANDOM, until restore())
  // and the range is read ahead exactly first (WILLNEED, order-0 pages): for a segment
  // next to cold footage, which the kernel's read-around would otherwise read back.
  // Without it the populate's faults read around as usual: large folios, and over
  // unwritten neighbours (a fresh file) no I/O.
  void prepare(uint32_t segment, uint64_t offset, uint64_t length, bool discard, bool isolate);
  // Returns once no discard of `segment` is queued or running.
  void wait_discarded(uint32_t segment);
  // A sealed segment: page faults read ahead again (exports read it sequentially).
  void restore(uint64_t offset, uint64_t length);
  // Unmaps and drops the clean pages of a range that is durable and no longer written.
  void release(uint64_t offset, uint64_t length);
  // Whether the range is in the page cache, at least three quarters of its pages (mincore).
  bool resident(uint64_t offset, uint64_t length) const;
  // Whether the range has blocks holding data (lseek SEEK_DATA): a never-written range of
  // the preallocated file has none (unwritten extents), and there is nothing to drop.
  // Filesystems without the distinction say every range holds data.
  bool holds_data(uint64_t offset, uint64_t length) const;
  PreparerStats stats() const;
  // Waits for the job in progress and drops the queue: before the mapping goes away.
  void stop();

 private:
  struct Job {
    enum Kind { Prepare, Release, Restore } kind;
    uint32_t segment;
    uint64_t offset, length;
    bool discard;
    bool isolate;
  };
  void enqueue(const Job& job);
  void run();
  void execute(const Job& job);
  void refused(int err);  // holds mutex_
  const MappedFile& file_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<Job> jobs_;
  uint32_t discarding_ = UINT32_MAX;  // segment whose discard is running
  bool stopping_ = false;
  std::thread thread_;
  PreparerStats stats_;
};

}  // namespace ringclip::store
