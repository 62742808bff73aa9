#pragma once
// Copying stored bytes out for readers that hold no pin the writer knows about (a store
// opened read-only while another process records): each copy comes out exactly as the
// indexed generation of its segment holds it, or fails with Error(Overrun) naming the
// footage that loop recording replaced while it was being read. Writable stores pass no
// snapshot: their readers hold pins, so the writer never reclaims what they read.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "mp4/virtual_file.h"
#include "store/segment_generation.h"
#include "store/segment_store.h"

namespace ringclip::store {

// The segments one export reads (a clip's origins), checked around every copy of its bytes.
class GenerationGuard {
 public:
  // `streams`: what the export shows, named in the error.
  GenerationGuard(std::shared_ptr<const GenerationSnapshot> snapshot, std::vector<uint32_t> segments,
                  std::vector<uint32_t> streams);
  // Throws Error(Overrun) when a segment no longer holds its indexed generation. After a
  // copy it is the check that counts; before one it saves copying bytes bound to be refused.
  void check(const SegmentStore& store) const;
  // After copying [start, end) of `file`: Error(Overrun) when a frame it copied from a
  // guarded segment sits under a whole record header of another generation (a sequence
  // number the index did not find in that segment), as copy_frame() checks for frames().
  // The segment header can still show the indexed generation then (docs/RELIABILITY.md,
  // "The record, too"). Pieces that are not indexed frames (generated boxes, parts of a
  // frame) are not records: they are left to check().
  void check_records(const SegmentStore& store, const mp4::VirtualFile& file, uint64_t start, uint64_t end) const;

 private:
  std::shared_ptr<const GenerationSnapshot> snapshot_;
  std::vector<uint32_t> segments_;
  std::vector<uint32_t> streams_;
};

// Runs `read`, which reads bytes of the guarded segments out of the mapping, between two
// checks; without a guard (a writable store, an MP4 source) it just runs it. An error `read`
// throws because the bytes changed under it (a NAL length prefix running past its sample, in
// a raw H.264 export) is reported as what it is: the guard's Error(Overrun).
void read_guarded(const GenerationGuard* guard, const SegmentStore* store, const std::function<void()>& read);

// The index entry of the frame of `stream` whose payload starts `payload_offset` bytes into
// `segment` and is `size` bytes long. Throws InvalidArgument when the index holds no such
// frame: the caller's row does not come from this store's index; Closed once the store is closed.
const IndexEntry& indexed_frame(const SegmentStore& store, uint32_t stream, uint32_t segment, uint64_t payload_offset,
                                uint64_t size);

// Copies the payload of `frame` (an entry of `stream` in `segment`) into `out`, which holds
// frame.payload_size bytes, checking the generation around the copy when `snapshot` is
// given: Error(Overrun) naming the frame when the writer reclaimed the segment.
void copy_frame(const SegmentStore& store, const GenerationSnapshot* snapshot, uint32_t stream, uint32_t segment,
                const IndexEntry& frame, uint8_t* out);

}  // namespace ringclip::store
