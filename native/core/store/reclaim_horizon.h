#pragma once
// The reclaim horizon (docs/FORMAT.md, "Reclaim horizon"): which segments the header lists
// as possibly holding bytes written after its durable watermark. Open CRC-checks every
// record of those segments and trusts record headers elsewhere; the writer rewrites the
// header (synchronously) before it writes into a segment its durable header does not list.
// Pure functions of the segment table, so they are unit-tested on their own.
#include <cstdint>
#include <vector>

namespace ringclip::store {

struct HorizonSegment {
  bool live = false;
  bool protected_ = false;
  uint64_t seq = 0;  // segment_seq (0: free)
  uint64_t first_record_seq = 0;
  uint64_t next_record_seq = 0;
  bool has_holes = false;  // recovery skipped damaged records in it
  // Its index block is written. The block is written after the segment's last record, so
  // a flush whose watermark equals next_record_seq may have begun before it: such a
  // segment stays listed until a watermark passes it.
  bool sealed = false;
};

// How many segments past the current one the horizon reaches (R). Each time the writer
// leaves the horizon it costs one synchronous header write, so a larger R means fewer of
// them (one per R segments started); open fully checks R + 1 segments, so a smaller R
// means a faster open. R = segment_count / 16 keeps that check near 1/16 of the data
// (about 13 ms per GiB against 200 ms for all of it) and the header syncs at 16 per lap
// of the ring (one per minute for 8 MiB segments at 8 Mbit/s); at least 2 so a small
// ring does not sync at every segment; at most 128 so the list fits the header slot.
uint32_t horizon_lookahead(uint32_t segment_count);

// The next `count` segments the writer would reclaim, in its order: never-used segments
// by index, then live unprotected ones oldest first. Pins are runtime-only and ignored
// (a pinned segment only makes the writer pick one further down, which it checks).
// Segments in `exclude` (the current one, those already listed) are skipped.
std::vector<uint32_t> predict_reclaim_order(const std::vector<HorizonSegment>& segments,
                                            const std::vector<uint32_t>& exclude, uint32_t count);

// The horizon to store in a header whose durable watermark is `durable_seq`:
//  - `current` and `starting` (the segment about to be started; UINT32_MAX for none),
//  - every segment written to since the watermark was taken (a record at or past it, or
//    started at or past it): those writes happened before this header reaches the disk,
//  - every segment with damaged records (so later opens keep checking them in full),
//  - then the next horizon_lookahead() segments the writer will reclaim.
// Returns false (horizon = every segment) when the list would exceed kMaxHorizon.
bool build_horizon(const std::vector<HorizonSegment>& segments, uint32_t current, uint32_t starting,
                   uint64_t durable_seq, std::vector<uint32_t>& out, const std::vector<uint32_t>& also = {});

// The horizon of a header written after everything was synced (a clean close): nothing
// was written after its watermark, so only the segments with damage stay listed. The next
// writer writes a header with the full horizon before it writes any data.
bool build_closed_horizon(const std::vector<HorizonSegment>& segments, std::vector<uint32_t>& out);

}  // namespace ringclip::store
