// Recovery on open: rebuild the index from segment and record headers. Payloads are not
// read, except for parameter-set records (a few hundred bytes each) and where they may
// not be durable: records at or past the header's durable watermark, and every record of
// the segments in its reclaim horizon, get the full CRC check; elsewhere the record
// header's own CRC is enough (docs/FORMAT.md, "What open checks"). What recovery does
// with each kind of damage is in docs/FORMAT.md.
#include <algorithm>
#include <cstring>

#include "store/crc32c.h"
#include "store/index_block.h"
#include "store/segment_store.h"
#include "util/bytes.h"
#include "util/error.h"

namespace ringclip::store {

bool SegmentStore::check_payloads(uint32_t segment) const {
  return verify_full_ || header_.horizon_all ||
         std::find(header_.horizon.begin(), header_.horizon.end(), segment) != header_.horizon.end();
}

// A segment whose 64-byte header fails its checks (bit rot) but whose first record is whole
// and valid: its records are kept. The header is rebuilt from that record: it starts the
// segment, and the segment sits after the one holding the previous sequence numbers.
// Repaired on disk when the store is opened for writing; reported either way.
void SegmentStore::salvage_segment(uint32_t index, std::vector<Candidate>& live) {
  const uint8_t* base = segment_data(index);
  bool all_zero = true;
  for (uint32_t i = 0; i < kSegmentHeaderSize && all_zero; ++i) all_zero = base[i] == 0;
  if (all_zero) return;  // never used
  RecordHeader rh;
  if (!decode_record_header(base + kSegmentHeaderSize, rh) || rh.stream >= streams_.size() ||
      rh.payload_size > header_.segment_size - kSegmentHeaderSize - kRecordHeaderSize ||
      !record_header_crc_ok(base + kSegmentHeaderSize) || !record_crc_ok(base + kSegmentHeaderSize, rh.payload_size))
    return;
  SegmentHeader sh;
  sh.first_record_seq = rh.seq;
  sh.segment_index = index;
  sh.drive_id = rh.drive_id;
  sh.started_us = rh.capture_us;
  sh.segment_seq = 1;
  for (const Candidate& c : live)  // `live` is sorted by segment_seq
    if (c.header.first_record_seq <= rh.seq) sh.segment_seq = c.header.segment_seq;
  for (const Candidate& c : live)
    if (c.header.first_record_seq == rh.seq) return;  // a valid segment already starts there
  live.push_back({index, sh});
  recovery_.damaged_segment_headers++;
  recovery_.damaged.push_back({index, kSegmentHeaderSize, 0, rh.pts_us, rh.pts_us});
  if (file_.writable()) {
    uint8_t* w = file_.data() + (base - file_.data());
    encode_segment_header(sh, w);
    file_.sync_range(uint64_t(w - file_.data()), kSegmentHeaderSize);
  }
}

// Open reads a few pages per segment, scattered over the whole file (open() holds a
// ScatteredReads): all of them are asked for at once, so the device works on them in
// parallel, and page faults do not read around each one.
void SegmentStore::recover() {
  const uint32_t size = header_.segment_size;
  for (uint32_t i = 0; i < header_.segment_count; ++i) {
    uint64_t at = segment_offset(i);
    file_.prefetch(at, 4096);                // segment header
    file_.prefetch(at + size - 4096, 4096);  // index footer
  }
  std::vector<Candidate> live;
  std::vector<uint32_t> damaged_headers;
  for (uint32_t i = 0; i < header_.segment_count; ++i) {
    SegmentHeader sh;
    if (decode_segment_header(segment_data(i), sh) && sh.segment_index == i)
      live.push_back({i, sh});
    else
      damaged_headers.push_back(i);
  }
  std::sort(live.begin(), live.end(),
            [](const Candidate& a, const Candidate& b) { return a.header.segment_seq < b.header.segment_seq; });
  for (uint32_t i : damaged_headers) salvage_segment(i, live);
  std::sort(live.begin(), live.end(), [](const Candidate& a, const Candidate& b) {
    return a.header.segment_seq != b.header.segment_seq ? a.header.segment_seq < b.header.segment_seq
                                                        : a.header.first_record_seq < b.header.first_record_seq;
  });
  // Second round of reads: each index block, or the whole segment where records are scanned.
  for (const Candidate& c : live) {
    uint64_t at = segment_offset(c.index);
    uint32_t block = check_payloads(c.index) ? 0 : peek_index_block_size(segment_data(c.index), size);
    if (block)
      file_.prefetch(at + size - kIndexFooterSize - block, block + kIndexFooterSize);
    else
      file_.prefetch(at, size);
  }
  for (size_t k = 0; k < live.size(); ++k) {
    const Candidate& c = live[k];
    Segment& seg = segments_[c.index];
    seg.seq = c.header.segment_seq;
    seg.first_record_seq = c.header.first_record_seq;
    seg.next_record_seq = c.header.first_record_seq;
    seg.used = kSegmentHeaderSize;
    seg.drive_id = c.header.drive_id;
    seg.started_us = c.header.started_us;
    bool newest = k + 1 == live.size();
    uint64_t next_first = newest ? UINT64_MAX : live[k + 1].header.first_record_seq;
    // A record that failed where the segment's data ends is a torn write: the last one
    // before a crash. It is reported (and cut when we open for writing). Records at or
    // past next_first belong to a later generation of this segment (reclaimed in place,
    // its new header lost): they end this generation's data.
    if (!check_payloads(c.index) && load_index_block(c.index, c.header, next_first)) {
      recovery_.segments_from_index++;
    } else {
      scan_segment(c.index, c.header, next_first);
      // Left unsealed even where a block exists: the records are what was indexed, and a
      // writable open writes the block anew from them (seal_recovered_segments).
      recovery_.segments_scanned++;
    }
    for (auto& frames : seg.frames) frames.shrink_to_fit();
    next_segment_seq_ = std::max(next_segment_seq_, seg.seq + 1);
    next_record_seq_ = std::max(next_record_seq_, seg.next_record_seq);
  }
  for (uint32_t s = 0; s < streams_.size(); ++s) {
    int64_t last = INT64_MIN;
    for (const Segment& seg : segments_)
      if (seg.live() && !seg.frames[s].empty()) last = std::max(last, seg.frames[s].back().dts_us);
    streams_[s].last_dts_us = last;
  }
}

void SegmentStore::scan_segment(uint32_t index, const SegmentHeader& sh, uint64_t end_seq) {
  const uint32_t size = header_.segment_size;
  const uint8_t* base = segment_data(index);
  Segment& seg = segments_[index];
  uint32_t off = kSegmentHeaderSize;
  uint64_t expect = sh.first_record_seq;
  int64_t last_good_pts = INT64_MIN;
  const bool full = check_payloads(index);
  const uint64_t durable = header_.durable_record_seq;

  // A record is whole when its header CRC holds and, where its payload may not be durable
  // (or is a parameter set, read anyway), its record CRC too. Below the watermark and
  // outside the horizon its bytes were on disk before the header was, and nothing has
  // written to its segment since: the header CRC vouches for the fields we index.
  auto whole = [&](uint32_t at, const RecordHeader& rh) {
    if (!record_header_crc_ok(base + at)) return false;
    if (!full && rh.seq < durable && rh.type == RecordType::AccessUnit) return true;
    if (record_crc_ok(base + at, rh.payload_size)) return true;
    // A header-only check (a later open, once the watermark has passed this record) would
    // have taken it: keep the segment in the horizon so later opens decide as this one did.
    seg.suspect = true;
    return false;
  };
  auto valid_at = [&](uint32_t at, uint64_t min_seq, RecordHeader& rh) {
    if (uint64_t(at) + kRecordHeaderSize > size) return false;
    if (!decode_record_header(base + at, rh)) return false;
    if (rh.payload_size > size - at - kRecordHeaderSize) return false;
    if (rh.seq < min_seq || rh.seq >= end_seq || rh.stream >= streams_.size() || uint8_t(rh.type) > 1 ||
        rh.random_access > 2)
      return false;
    return whole(at, rh);
  };

  while (uint64_t(off) + kRecordHeaderSize <= size) {
    RecordHeader rh;
    if (valid_at(off, expect, rh) && rh.seq == expect) {
      if (rh.type == RecordType::ParameterSets) {
        load_config(index, rh.stream, rh.config_id, base + off + kRecordHeaderSize, rh.payload_size);
        seg.parameter_records.push_back({off, rh.payload_size, rh.config_id, rh.stream, rh.pts_us});
        seg.parameter_bytes += rh.payload_size;
      } else {
        index_record(index, off, rh);
        last_good_pts = rh.pts_us;
      }
      recovery_.records_kept++;
      off += record_span(rh.payload_size);
      expect = rh.seq + 1;
      seg.used = off;
      seg.next_record_seq = expect;
      continue;
    }
    // Not the record we expected. An older generation's record (its header whole, its
    // sequence number before this segment's next) marks the end of this segment's data.
    RecordHeader seen;
    bool has_magic = decode_record_header(base + off, seen);
    bool header_whole = has_magic && record_header_crc_ok(base + off);
    if (header_whole && seen.seq < expect) break;
    // A whole record where record `expect` must start, with another sequence number, was
    // written by another generation of this segment (reclaimed in place, its new segment
    // header lost to the crash): this generation's data ends here too.
    if (header_whole && seen.payload_size <= size - off - kRecordHeaderSize && whole(off, seen)) break;
    // Zeros (the end of the data, or a zeroed page), or a damaged record: look for the next
    // good one of this generation.
    uint32_t probe = off + kRecordAlign;
    bool found = false;
    RecordHeader next;
    for (; uint64_t(probe) + kRecordHeaderSize <= size; probe += kRecordAlign) {
      if (load_le<uint32_t>(base + probe) != kRecordMagic) continue;
      // Records of one generation are contiguous and at least kRecordHeaderSize bytes each:
      // one `probe - off` bytes further on carries at most that many more sequence numbers.
      if (valid_at(probe, expect, next) && next.seq - expect <= (probe - off) / kRecordHeaderSize) {
        found = true;
        break;
      }
    }
    if (!found && !has_magic) break;  // nothing follows the zeros: the end of the data
    if (!found) {
      // Nothing good follows: the last write of this segment was torn (power lost mid-record).
      uint32_t torn = std::min<uint64_t>(record_span(seen.payload_size), size - off);
      recovery_.torn_tail_records++;
      recovery_.torn_tail_bytes += torn;
      if (file_.writable()) {
        // Cut it, so no later open mistakes it for damage inside the store.
        uint8_t* w = file_.data() + (base - file_.data()) + off;
        std::memset(w, 0, 4);
        file_.sync_range(uint64_t(w - file_.data()), 4);
      }
      break;
    }
    DamageRange d;
    d.segment = index;
    d.bytes = probe - off;
    d.records = next.seq - expect;
    d.from_us = last_good_pts;
    d.to_us = next.pts_us;
    recovery_.damaged.push_back(d);
    recovery_.damaged_records += d.records ? d.records : 1;
    recovery_.damaged_bytes += d.bytes;
    seg.holes.push_back(off);
    off = probe;
    expect = next.seq;
  }
}

void SegmentStore::index_record(uint32_t segment, uint32_t offset, const RecordHeader& rh) {
  Segment& seg = segments_[segment];
  seg.frames[rh.stream].push_back(
      {rh.dts_us, rh.pts_us, offset, rh.payload_size, rh.config_id, rh.random_access, {0, 0, 0}});
  seg.note_frame(rh.drive_id, rh.stream, rh.pts_us);
}

bool SegmentStore::load_index_block(uint32_t index, const SegmentHeader& sh, uint64_t end_seq) {
  const uint32_t size = header_.segment_size;
  const uint8_t* base = segment_data(index);
  IndexFooter f;
  if (!decode_index_footer(base, size, f)) return false;
  // A whole block of another generation of this segment (reclaimed in place since): not
  // refused, just not this segment's.
  if (f.segment_seq != sh.segment_seq) return false;
  const uint8_t* block = base + index_block_offset(size, f);
  // Check everything before changing anything: a block that disagrees with itself or with
  // the segment header is refused whole, and the records are scanned instead.
  // Only where every record would be trusted from its header alone: all below the durable
  // watermark (a segment holding later records is in the horizon; a header saying
  // otherwise is damage, and the records are then checked in full).
  bool ok = f.first_record_seq == sh.first_record_seq && f.drive_id == sh.drive_id &&
            f.first_record_seq + f.record_count <= end_seq &&
            f.first_record_seq + f.record_count <= header_.durable_record_seq;
  uint64_t expect_offset = kSegmentHeaderSize, parameter_bytes = 0;
  for (uint32_t k = 0; ok && k < f.record_count; ++k) {
    IndexBlockEntry e = decode_index_entry(block + uint64_t(k) * kIndexEntrySize);
    ok = e.offset == expect_offset && e.stream < streams_.size() && uint8_t(e.type) <= 1 && e.random_access <= 2 &&
         uint64_t(e.offset) + record_span(e.payload_size) <= f.records_end && e.payload_size <= size;
    expect_offset = uint64_t(e.offset) + record_span(e.payload_size);
    if (e.type == RecordType::ParameterSets) parameter_bytes += e.payload_size;
  }
  ok = ok && expect_offset == f.records_end && parameter_bytes == f.parameter_bytes;
  if (!ok) {
    recovery_.index_blocks_refused++;
    return false;
  }
  Segment& seg = segments_[index];
  const uint8_t* parameters = block + uint64_t(f.record_count) * kIndexEntrySize;
  for (uint32_t k = 0; k < f.record_count; ++k) {
    IndexBlockEntry e = decode_index_entry(block + uint64_t(k) * kIndexEntrySize);
    if (e.type == RecordType::ParameterSets) {
      load_config(index, e.stream, e.config_id, parameters, e.payload_size);
      seg.parameter_records.push_back({e.offset, e.payload_size, e.config_id, e.stream, e.pts_us});
      seg.parameter_bytes += e.payload_size;
      parameters += e.payload_size;
      continue;
    }
    seg.frames[e.stream].push_back(
        {e.dts_us, e.pts_us, e.offset, e.payload_size, e.config_id, e.random_access, {0, 0, 0}});
    seg.note_frame(sh.drive_id, e.stream, e.pts_us);
  }
  recovery_.records_kept += f.record_count;
  seg.used = f.records_end;
  seg.next_record_seq = f.first_record_seq + f.record_count;
  seg.sealed = true;
  return true;
}

void SegmentStore::load_config(uint32_t segment, uint32_t stream, uint32_t config_id, const uint8_t* payload,
                               uint32_t payload_size) {
  segments_[segment].config_written[stream] = config_id;
  if (config(stream, config_id)) return;
  StreamConfig c;
  c.id = config_id;
  c.kind = streams_.at(stream).kind;
  if (c.kind != StreamKind::Video) {
    if (c.kind == StreamKind::Metadata) {
      if (payload_size < 4) return;  // a CRC-valid record too short for its type: its samples stay unclippable
      c.format = get_be32(payload);
      c.config.assign(payload + 4, payload + payload_size);
    } else {
      c.config.assign(payload, payload + payload_size);
      try {
        c.describe_audio();
      } catch (const Error&) {
        return;  // as an unparseable SPS below: a config the writer checked; its frames will not be clippable
      }
    }
    auto& list = configs_[stream];
    list.push_back(std::move(c));
    std::sort(list.begin(), list.end(), [](const StreamConfig& a, const StreamConfig& b) { return a.id < b.id; });
    return;
  }
  const uint8_t* p = payload;
  const uint8_t* end = p + payload_size;
  while (end - p >= 4) {
    uint32_t n = get_be32(p);
    if (n == 0 || n > uint64_t(end - p - 4)) break;
    std::vector<uint8_t> nal(p + 4, p + 4 + n);
    if ((nal[0] & 0x1f) == 7)
      c.sps.push_back(std::move(nal));
    else if ((nal[0] & 0x1f) == 8)
      c.pps.push_back(std::move(nal));
    p += 4 + n;
  }
  if (c.sps.empty() || c.pps.empty()) return;
  try {
    h264::Sps sps = h264::parse_sps(h264::NalView{c.sps[0].data(), c.sps[0].size()});
    c.describe(sps);
  } catch (const Error&) {
    return;  // a CRC-valid record with an SPS we cannot parse: its frames will not be clippable
  }
  auto& list = configs_[stream];
  list.push_back(std::move(c));
  std::sort(list.begin(), list.end(), [](const StreamConfig& a, const StreamConfig& b) { return a.id < b.id; });
}

}  // namespace ringclip::store
