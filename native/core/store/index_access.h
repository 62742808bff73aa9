#pragma once
// The index of a SegmentStore as the core's own readers reach it: clip building, info,
// frame lists and spans, store-to-store copies, live followers, the read-only guards.
// The store keeps these members private with this class as their one friend, so that
// native/addon (which only converts arguments and results) neither takes the store's locks
// nor walks its index: it calls the core functions built on this.
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "store/segment_store.h"

namespace ringclip::store {

class IndexAccess {
 public:
  // Held while reading the index off the writing thread; the writer takes it to change it.
  static std::mutex& mutex(const SegmentStore& store) { return store.mutex_; }
  // Held shared by work that reads the mapping off the writing thread (exports, flushes);
  // close() takes it exclusively, so it waits for them instead of unmapping under them.
  static std::shared_mutex& mapping_lock(const SegmentStore& store) { return store.mapping_lock_; }
  // On the writing thread, or under mutex().
  static const std::vector<Segment>& segments(const SegmentStore& store) { return store.segments_; }
  // Under mutex(): a clip pins the segments it cut from in the same hold that read them.
  static void pin_locked(SegmentStore& store, uint32_t segment) { store.segments_.at(segment).pins++; }
};

}  // namespace ringclip::store
