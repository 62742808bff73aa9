// The preparing thread's residency rule and its jobs (docs/FORMAT.md, "Writing into cold
// storage"), on a real file: a segment counts as warm when most of its pages are cached
// (one written this boot has untouched pages between its records and its index block),
// and a discard leaves zeros that read nothing back.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "check.h"
#include "store/mapped_file.h"
#include "store/segment_preparer.h"

using namespace ringclip::store;

namespace {

constexpr uint64_t kSize = 1u << 20;

std::string temp_path() {
  char name[] = "/tmp/ringclip_preparer_XXXXXX";
  int fd = mkstemp(name);
  ::close(fd);
  ::unlink(name);
  return name;
}

// Drops [offset, offset + length) from the page cache: unmapped, then not needed.
void drop(const MappedFile& f, uint64_t offset, uint64_t length) {
  ::madvise(f.data() + offset, length, MADV_DONTNEED);
  ::msync(f.data() + offset, length, MS_SYNC);
  ::posix_fadvise(f.fd(), off_t(offset), off_t(length), POSIX_FADV_DONTNEED);
}

}  // namespace

TEST(preparer_counts_a_mostly_cached_range_as_warm) {
  std::string path = temp_path();
  MappedFile f = MappedFile::create(path, kSize);
  std::memset(f.data(), 0x5a, kSize);  // every page written and cached
  SegmentPreparer p(f);
  CHECK(p.resident(0, kSize));
  drop(f, 0, kSize / 8);  // a gap never written: still warm
  CHECK(p.resident(0, kSize));
  drop(f, 0, kSize / 2);  // half gone: cold
  CHECK(!p.resident(0, kSize));
  f.close();
  ::unlink(path.c_str());
}

TEST(preparer_discard_leaves_zeros_and_prepares_the_range) {
  std::string path = temp_path();
  MappedFile f = MappedFile::create(path, kSize);
  std::memset(f.data(), 0x5a, kSize);
  f.sync_range(0, kSize);
  SegmentPreparer p(f);
  p.prepare(7, 0, kSize / 2, true, true);
  p.wait_discarded(7);
  p.stop();  // waits for the job in progress (the populate)
  PreparerStats s = p.stats();
  CHECK_EQ(s.hint_failures, 0u);
  CHECK_EQ(s.segments_discarded, 1u);
  for (uint64_t i = 0; i < kSize / 2; i += 4096) CHECK_EQ(f.data()[i], 0);
  CHECK_EQ(f.data()[kSize / 2], 0x5a);  // outside the range: untouched
  f.close();
  ::unlink(path.c_str());
}
