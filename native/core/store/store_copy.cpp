#include "store/store_copy.h"

#include <algorithm>

#include "store/index_access.h"
#include "util/error.h"

namespace ringclip::store {
namespace {

struct Pending {
  uint32_t source_stream, destination_stream;
  const IndexEntry* entry;
};

// Pins a segment for the copy of its records, unpinned on every way out.
class SegmentPin {
 public:
  SegmentPin(SegmentStore& store, uint32_t segment) : store_(store), segment_(segment) { store_.pin(segment_); }
  ~SegmentPin() { store_.unpin(segment_); }
  SegmentPin(const SegmentPin&) = delete;
  SegmentPin& operator=(const SegmentPin&) = delete;

 private:
  SegmentStore& store_;
  uint32_t segment_;
};

}  // namespace

CopyResult copy_records(SegmentStore& source, SegmentStore& destination, const CopyRequest& request) {
  if (&source == &destination) throw Error(ErrorCode::InvalidArgument, "copyTo(): the destination is the store itself");
  if (!destination.writable())
    throw Error(ErrorCode::InvalidArgument, "copyTo(): the destination store was opened read-only");
  // A read-only handle's footage can be reclaimed by the writer in another process while
  // it is copied, and a record already appended cannot be taken back: copy from the writer.
  if (!source.writable())
    throw Error(ErrorCode::InvalidArgument,
                "copyTo(): the source store was opened read-only (its writer may reclaim what is being copied); copy "
                "from the writable handle");
  if (source.closed() || destination.closed()) throw Error(ErrorCode::Closed, "copyTo(): the store is closed");
  std::vector<std::pair<uint32_t, uint32_t>> streams = request.streams;
  if (streams.empty())
    for (uint32_t s = 0; s < source.streams().size(); ++s)
      streams.push_back({s, destination.stream_id(source.streams()[s].name)});
  CopyResult result;
  std::vector<uint32_t> order;
  {
    std::lock_guard<std::mutex> lock(IndexAccess::mutex(source));
    order = source.live_segments_in_order();
  }
  std::vector<Pending> pending;
  for (uint32_t segment : order) {
    SegmentPin pin(source, segment);
    const Segment& seg = IndexAccess::segments(source)[segment];
    if (seg.max_pts_us < request.from_us || seg.min_pts_us >= request.to_us) continue;
    // Records in the order they were written (their offsets), every copied stream merged:
    // the destination then interleaves them as the source did.
    pending.clear();
    for (const auto& [from, to] : streams)
      for (const IndexEntry& e : seg.frames[from])
        if (e.pts_us >= request.from_us && e.pts_us < request.to_us) pending.push_back({from, to, &e});
    std::sort(pending.begin(), pending.end(),
              [](const Pending& a, const Pending& b) { return a.entry->offset < b.entry->offset; });
    for (const Pending& p : pending) {
      const IndexEntry& e = *p.entry;
      const StreamConfig* config = source.config(p.source_stream, e.config_id);
      if (!config) {  // its parameter sets were never readable: the source could not clip it either
        result.not_stored++;
        continue;
      }
      // A frame decoded after another in the source can share its dts with the destination's
      // newest after a copy that overlaps one already made: the destination's order check
      // refuses it, and it is counted, not stored twice.
      if (e.dts_us <= destination.streams()[p.destination_stream].last_dts_us) {
        result.not_stored++;
        continue;
      }
      WriteResult w;
      try {
        w = destination.append_stored(p.destination_stream, *config, source.payload(segment, e), e.payload_size,
                                      e.pts_us, e.dts_us, e.pts_us, e.random_access);
      } catch (const Error& err) {
        if (err.code() != ErrorCode::NoSpace) throw;
        result.not_stored++;
        continue;
      }
      if (!w.stored) {
        result.not_stored++;
        continue;
      }
      result.frames++;
      result.bytes += e.payload_size;
    }
  }
  return result;
}

}  // namespace ringclip::store
