// libFuzzer target: recovery of a store file whose bytes come from the fuzzer. The image is
// a valid header for a 2-segment store (2 streams, 1 MiB segments), with the fuzz input
// written over the segment area (and, when the first byte says so, over the header slots
// too). It is opened through SegmentStore::open on a memfd, so the real mmap path runs;
// then every index entry is read back, verify() runs and a clip is cut from what was kept.
//
// Input: [mode][8192 header bytes if mode & 1][segment bytes...]
//   mode & 1: the input carries the header slots     mode & 2: open writable (cuts torn tails)
//   mode & 4: open with verify_full (every payload CRC-checked)
//   mode & 8: then a u32 T; the input's last T bytes go to the end of segment 0 (its index
//             block and footer, format 3), the rest to its start as usual
// The template header's durable watermark is 1, so every record is past it and gets the full
// check. A header from the input may vouch for records (watermark above them, outside the
// horizon): open then trusts their header CRC alone, by design (format v2), and a damaged
// payload among them is for verify() to report, not a recovery bug.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "store/format.h"
#include "store/index_access.h"
#include "store/segment_store.h"
#include "store/store_clip.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::store;

namespace {

constexpr uint32_t kSegmentSize = 1u << 20;
constexpr uint64_t kFileSize = kDataOffset + 2ull * kSegmentSize;

const std::vector<uint8_t>& template_header() {
  static std::vector<uint8_t> bytes = [] {
    Header h;
    h.generation = 7;
    h.file_size = kFileSize;
    h.segment_size = kSegmentSize;
    h.segment_count = 2;
    h.created_us = 1767225600000000;
    h.protect_cap_bytes = kSegmentSize;
    h.next_drive_id = 3;
    h.streams = {"road", "cabin"};
    std::vector<uint8_t> out(2 * kHeaderSlotSize);
    encode_header(h, out.data());
    h.generation = 6;
    encode_header(h, out.data() + kHeaderSlotSize);
    return out;
  }();
  return bytes;
}

int memfd() {
  static int fd = [] {
    int f = memfd_create("ringclip-fuzz-store", 0);
    if (f < 0) __builtin_trap();
    return f;
  }();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  data++;
  size--;
  std::vector<uint8_t> image(kFileSize, 0);
  std::memcpy(image.data(), template_header().data(), 2 * kHeaderSlotSize);
  if (mode & 1) {
    size_t n = std::min<size_t>(size, 2 * kHeaderSlotSize);
    std::memcpy(image.data(), data, n);
    data += n;
    size -= n;
  }
  if ((mode & 8) && size >= 4) {
    uint32_t tail = 0;
    std::memcpy(&tail, data, 4);
    data += 4;
    size -= 4;
    tail = uint32_t(std::min<size_t>({tail, size, kSegmentSize}));
    std::memcpy(image.data() + kDataOffset + kSegmentSize - tail, data + size - tail, tail);
    size -= tail;
  }
  std::memcpy(image.data() + kDataOffset, data, std::min<size_t>(size, kFileSize - kDataOffset));

  int fd = memfd();
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, off_t(kFileSize)) != 0) __builtin_trap();
  if (pwrite(fd, image.data(), image.size(), 0) != ssize_t(image.size())) __builtin_trap();
  std::string path = "/proc/self/fd/" + std::to_string(fd);

  try {
    SegmentStore::OpenOptions options;
    options.writable = (mode & 2) != 0;
    options.verify_full = (mode & 4) != 0;
    std::shared_ptr<SegmentStore> store = SegmentStore::open(path, options);
    uint64_t sum = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t seg : store->live_segments_in_order()) {
      const Segment& s = IndexAccess::segments(*store)[seg];
      for (uint32_t st = 0; st < store->streams().size(); ++st)
        for (const IndexEntry& e : s.frames[st]) {
          const uint8_t* p = store->payload(seg, e);
          if (e.payload_size) sum += p[0] + p[e.payload_size - 1];
          lo = std::min(lo, e.pts_us);
          hi = std::max(hi, e.pts_us);
        }
    }
    (void)sum;
    SegmentStore::VerifyReport v = store->verify();
    // Recovery indexed a record that fails its CRC where it had to check it.
    if (v.bad_records != 0 && (options.verify_full || !(mode & 1))) __builtin_trap();
    if (lo <= hi && hi < INT64_MAX) {
      ClipRequest req;
      req.from_us = lo;
      req.to_us = hi + 1;
      req.streams = {0, 1};
      req.allow_partial = true;
      try {
        StoreClip clip(store, req);
        for (const auto& t : clip.movie().tracks)
          for (const auto& smp : t.samples)
            if (smp.data.size) sum += smp.data.data[smp.data.size - 1];
      } catch (const Error&) {
      }
    }
    store->close();
  } catch (const Error&) {
  }
  return 0;
}
