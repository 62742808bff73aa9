#pragma once
// Store to store: the records of one store copied into another as they are stored
// (length-prefixed NAL units and their parameter sets), oldest first. Nothing is parsed
// or re-muxed: each payload is copied once, checksummed on the way (append_stored). A
// phone's budget change is such a copy into a ring of the new size: the destination's own
// loop recording drops the oldest footage when it is smaller.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/segment_store.h"

namespace ringclip::store {

struct CopyRequest {
  int64_t from_us = INT64_MIN;  // pts range [from, to)
  int64_t to_us = INT64_MAX;
  // (source stream, destination stream); empty: every source stream into the destination
  // stream of the same name (a source stream the destination lacks is an error).
  std::vector<std::pair<uint32_t, uint32_t>> streams;
};

struct CopyResult {
  uint64_t frames = 0;      // stored in the destination
  uint64_t bytes = 0;       // their payload bytes
  uint64_t not_stored = 0;  // refused by the destination: before a stream's first random access
                            // point there, or no segment it could reclaim (counted in its stats)
};

// Source and destination are different writable stores (a read-only source could be
// overwritten by its writer mid-copy). Runs on the writing thread of both; the source's
// segments are pinned while read.
CopyResult copy_records(SegmentStore& source, SegmentStore& destination, const CopyRequest& request);

}  // namespace ringclip::store
