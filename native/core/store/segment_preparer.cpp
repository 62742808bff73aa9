#include "store/segment_preparer.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace ringclip::store {

SegmentPreparer::~SegmentPreparer() { stop(); }

void SegmentPreparer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  done_.notify_all();
}

void SegmentPreparer::enqueue(const Job& job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  jobs_.push_back(job);
  // Started with the first job: a store that never writes has no thread.
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_one();
}

void SegmentPreparer::prepare(uint32_t segment, uint64_t offset, uint64_t length, bool discard, bool isolate) {
  enqueue({Job::Prepare, segment, offset, length, discard, isolate});
}

void SegmentPreparer::release(uint64_t offset, uint64_t length) {
  enqueue({Job::Release, UINT32_MAX, offset, length, false, false});
}

void SegmentPreparer::restore(uint64_t offset, uint64_t length) {
  enqueue({Job::Restore, UINT32_MAX, offset, length, false, false});
}

void SegmentPreparer::wait_discarded(uint32_t segment) {
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] {
    if (stopping_) return true;
    if (discarding_ == segment) return false;
    return std::none_of(jobs_.begin(), jobs_.end(),
                        [&](const Job& j) { return j.kind == Job::Prepare && j.discard && j.segment == segment; });
  });
}

bool SegmentPreparer::resident(uint64_t offset, uint64_t length) const {
  static const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((length + page - 1) / page);
  if (::mincore(file_.data() + offset, length, pages.data()) != 0) return false;
  // Mostly, not wholly: a segment written in this boot has pages it never touched (between
  // its last record and its index block). Cold footage is resident not at all, or in bits
  // a reader brought back.
  size_t in = size_t(std::count_if(pages.begin(), pages.end(), [](unsigned char p) { return p & 1; }));
  return in * 4 >= pages.size() * 3;
}

bool SegmentPreparer::holds_data(uint64_t offset, uint64_t length) const {
  off_t next = ::lseek(file_.fd(), off_t(offset), SEEK_DATA);
  if (next < 0) return errno != ENXIO;  // ENXIO: no data from there to the end of the file
  return uint64_t(next) < offset + length;
}

PreparerStats SegmentPreparer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void SegmentPreparer::refused(int err) {
  stats_.hint_failures++;
  stats_.last_errno = err;
}

void SegmentPreparer::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = jobs_.front();
    jobs_.pop_front();
    if (job.kind == Job::Prepare && job.discard) discarding_ = job.segment;
    lock.unlock();
    execute(job);
    lock.lock();
    discarding_ = UINT32_MAX;
    done_.notify_all();
  }
}

void SegmentPreparer::execute(const Job& job) {
  uint8_t* at = file_.data() + job.offset;
  if (job.kind == Job::Restore) {
    if (::madvise(at, job.length, MADV_NORMAL) != 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      refused(errno);
    }
    return;
  }
  if (job.kind == Job::Release) {
    // Unmapped first: the page cache keeps pages that a process still maps.
    int a = ::madvise(at, job.length, MADV_DONTNEED);
    int b = ::posix_fadvise(file_.fd(), off_t(job.offset), off_t(job.length), POSIX_FADV_DONTNEED);
    std::lock_guard<std::mutex> lock(mutex_);
    if (a != 0)
      refused(errno);
    else if (b != 0)
      refused(b);
    else
      stats_.ranges_released++;
    return;
  }
  // While the segment is being written, a fault on a page not yet in the cache (the writer
  // overtaking this thread) reads that page alone: read-around would read up to
  // read_ahead_kb (8 MiB here) of the neighbouring segments' old footage. restore() undoes
  // it once the segment is sealed, for exports that read it sequentially.
  if (job.isolate && ::madvise(at, job.length, MADV_RANDOM) != 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    refused(errno);
  }
  if (job.discard) {
    int rc = ::fallocate(file_.fd(), FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off_t(job.offset), off_t(job.length));
    int err = rc == 0 ? 0 : errno;
    if (rc != 0 && (err == EOPNOTSUPP || err == EINVAL)) {
      // Filesystems without ZERO_RANGE (tmpfs, some FUSE): a hole, then the blocks reserved
      // again, is the same for the pages (and keeps a full disk an error at create only).
      rc = ::fallocate(file_.fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(job.offset), off_t(job.length));
      if (rc == 0) rc = ::fallocate(file_.fd(), FALLOC_FL_KEEP_SIZE, off_t(job.offset), off_t(job.length));
      err = rc == 0 ? 0 : errno;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (rc != 0)
      refused(err);
    else
      stats_.segments_discarded++;
    // The writer may write into the segment from here on; done_ is notified by run().
    discarding_ = UINT32_MAX;
  }
  done_.notify_all();
  // Pages first, then mappings. A fault on a page that is not in the cache reads around it
  // (up to read_ahead_kb: 8 MiB here), into the neighbouring segments' old footage; a
  // read-ahead of exactly this range puts every page in the cache without that (over
  // unwritten blocks it reads nothing: the pages are zeros) and in large folios, so the
  // populate (and the writer, should it catch up) only maps pages.
  if (job.isolate) ::posix_fadvise(file_.fd(), off_t(job.offset), off_t(job.length), POSIX_FADV_WILLNEED);
  int rc = ::madvise(at, job.length, MADV_POPULATE_WRITE);
  int err = rc == 0 ? 0 : errno;
  std::lock_guard<std::mutex> lock(mutex_);
  if (rc != 0)
    refused(err);
  else
    stats_.segments_prepared++;
}

}  // namespace ringclip::store
