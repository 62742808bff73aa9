#include "store/guarded_read.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "export/clip_cutter.h"
#include "store/format.h"
#include "store/index_access.h"
#include "util/error.h"

namespace ringclip::store {
namespace {

std::string quoted_names(const SegmentStore& store, const std::vector<uint32_t>& streams) {
  std::string out;
  for (size_t i = 0; i < streams.size(); ++i) {
    if (i > 0) out += i + 1 == streams.size() ? " and " : ", ";
    out += "'" + store.streams().at(streams[i]).name + "'";
  }
  return out;
}

// The pts range of the frames of `streams` the index places in `segment` (INT64_MAX/MIN when none).
std::pair<int64_t, int64_t> indexed_range(const SegmentStore& store, uint32_t segment,
                                          const std::vector<uint32_t>& streams) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t s : streams)
    for (const IndexEntry& e : IndexAccess::segments(store)[segment].frames[s]) {
      lo = std::min(lo, e.pts_us);
      hi = std::max(hi, e.pts_us);
    }
  return {lo, hi};
}

// A whole record header of another generation at `at`: its sequence number is outside the
// ones the index found in this segment. Its 64 bytes are read with aligned atomic loads (the
// writer may be storing to them this instant), then decoded. A header that is not whole
// (being written, or damaged) says nothing: the generation check decides; nor does one of
// this generation whose fields disagree with an index block (damage verify() reports).
bool another_generations_record(const SegmentStore& store, uint32_t segment, const uint8_t* at) {
  uint64_t words[kRecordHeaderSize / 8];
  for (size_t i = 0; i < kRecordHeaderSize / 8; ++i) words[i] = load_mapped_u64(at + 8 * i);
  const uint8_t* header = reinterpret_cast<const uint8_t*>(words);
  RecordHeader rh;
  if (!decode_record_header(header, rh) || !record_header_crc_ok(header)) return false;
  const Segment& seg = IndexAccess::segments(store)[segment];
  return rh.seq < seg.first_record_seq || rh.seq >= seg.next_record_seq;
}

// The index entry of `stream` whose record starts `record_offset` bytes into `segment`, or
// null. A segment's entries of one stream are in record order, so their offsets grow: one
// binary search tells.
const IndexEntry* frame_at(const SegmentStore& store, uint32_t stream, uint32_t segment, uint64_t record_offset) {
  const std::vector<IndexEntry>& frames = IndexAccess::segments(store)[segment].frames[stream];
  auto it = std::lower_bound(frames.begin(), frames.end(), record_offset,
                             [](const IndexEntry& e, uint64_t at) { return e.offset < at; });
  return it != frames.end() && it->offset == record_offset ? &*it : nullptr;
}

Error overwritten(const SegmentStore& store, uint32_t segment, const std::string& what) {
  return Error(ErrorCode::Overrun,
               what +
                   " was overwritten by loop recording while it was being read: this store is open read-only "
                   "and reads the file as of its open, and the writer has since reclaimed that part of the ring "
                   "(segment " +
                   std::to_string(segment) + "); open the store again to read what it holds now");
}

}  // namespace

GenerationGuard::GenerationGuard(std::shared_ptr<const GenerationSnapshot> snapshot, std::vector<uint32_t> segments,
                                 std::vector<uint32_t> streams)
    : snapshot_(std::move(snapshot)), segments_(std::move(segments)), streams_(std::move(streams)) {}

void GenerationGuard::check(const SegmentStore& store) const {
  for (uint32_t segment : segments_) {
    if (snapshot_->holds(store, segment)) continue;
    auto [from, to] = indexed_range(store, segment, streams_);
    std::string footage = "the footage of " + quoted_names(store, streams_);
    if (from <= to) footage += " from " + exporting::format_time_us(from) + " to " + exporting::format_time_us(to);
    throw overwritten(store, segment, footage);
  }
}

void GenerationGuard::check_records(const SegmentStore& store, const mp4::VirtualFile& file, uint64_t start,
                                    uint64_t end) const {
  const uint64_t segment_size = store.header().segment_size;
  file.for_each_piece(start, end, [&](ByteSpan piece) {
    for (uint32_t segment : segments_) {
      const uint8_t* base = store.segment_data(segment);
      if (piece.data < base + kRecordHeaderSize || piece.data >= base + segment_size) continue;
      // A piece that starts a frame's payload: its record header lies right before it.
      const uint64_t record = uint64_t(piece.data - base) - kRecordHeaderSize;
      for (uint32_t stream : streams_) {
        const IndexEntry* frame = frame_at(store, stream, segment, record);
        if (frame && another_generations_record(store, segment, base + record))
          throw overwritten(
              store, segment,
              "the frame of '" + store.streams().at(stream).name + "' at " + exporting::format_time_us(frame->pts_us));
      }
      return;
    }
  });
}

void read_guarded(const GenerationGuard* guard, const SegmentStore* store, const std::function<void()>& read) {
  if (!guard) return read();
  guard->check(*store);
  try {
    read();
  } catch (const Error&) {
    guard->check(*store);
    throw;
  }
  guard->check(*store);
}

const IndexEntry& indexed_frame(const SegmentStore& store, uint32_t stream, uint32_t segment, uint64_t payload_offset,
                                uint64_t size) {
  store.check_open();
  if (stream < store.streams().size() && segment < IndexAccess::segments(store).size() &&
      payload_offset >= kRecordHeaderSize) {
    const IndexEntry* frame = frame_at(store, stream, segment, payload_offset - kRecordHeaderSize);
    if (frame && frame->payload_size == size) return *frame;
  }
  throw Error(ErrorCode::InvalidArgument,
              "no indexed frame of stream " + std::to_string(stream) + " with " + std::to_string(size) +
                  " bytes at offset " + std::to_string(payload_offset) + " of segment " + std::to_string(segment));
}

void copy_frame(const SegmentStore& store, const GenerationSnapshot* snapshot, uint32_t stream, uint32_t segment,
                const IndexEntry& frame, uint8_t* out) {
  auto refused = [&] {
    return overwritten(
        store, segment,
        "the frame of '" + store.streams().at(stream).name + "' at " + exporting::format_time_us(frame.pts_us));
  };
  if (snapshot && !snapshot->holds(store, segment)) throw refused();
  std::memcpy(out, store.payload(segment, frame), frame.payload_size);
  if (snapshot && !snapshot->holds(store, segment)) throw refused();
  // And the record the bytes came from is not another generation's (read after the copy,
  // like the generation): the first access unit of a segment always starts at the same
  // offset, and one was seen there while the segment header still showed the indexed
  // generation (docs/RELIABILITY.md, "The record, too").
  if (snapshot && another_generations_record(store, segment, store.segment_data(segment) + frame.offset))
    throw refused();
}

}  // namespace ringclip::store
