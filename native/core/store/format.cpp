#include "store/format.h"

#include <cstring>

#include "store/crc32c.h"
#include "util/bytes.h"
#include "util/error.h"

namespace ringclip::store {
namespace {

// Header slot field offsets.
constexpr size_t kHMagic = 0, kHVersion = 8, kHCrc = 12, kHGeneration = 16, kHFileSize = 24, kHDataOffset = 32,
                 kHSegmentSize = 40, kHSegmentCount = 44, kHCreated = 48, kHProtectCap = 56, kHStreamCount = 64,
                 kHNextDrive = 68, kHProtectionCount = 72, kHFlushPolicy = 76, kHFlushInterval = 80, kHStreams = 128,
                 kHStreamEntry = 32, kHProtections = kHStreams + kMaxStreams * kHStreamEntry, kHProtectionEntry = 32;
constexpr size_t kHCounters = kHProtections + kMaxProtections * kHProtectionEntry, kHCounterEntry = 24;
constexpr size_t kHDurable = kHCounters + kMaxStreams * kHCounterEntry, kHHorizonCount = kHDurable + 8,
                 kHHorizon = kHHorizonCount + 4;
// Version 4: one kind byte per stream, after the horizon.
constexpr size_t kHKinds = 4048;
static_assert(kHHorizon + kMaxHorizon * 4 <= kHKinds && kHKinds + kMaxStreams <= kHeaderSlotSize);

// Record header field offsets (v2: 64 bytes).
constexpr size_t kRHeaderCrc = 56, kRHeaderCrcFrom = 8;

}  // namespace

const char* stream_kind_name(StreamKind kind) {
  switch (kind) {
    case StreamKind::Video:
      return "video";
    case StreamKind::Audio:
      return "audio";
    case StreamKind::Metadata:
      return "metadata";
  }
  return "unknown";
}

void encode_header(const Header& h, uint8_t* slot) {
  if (h.streams.empty() || h.streams.size() > kMaxStreams)
    throw Error(ErrorCode::InvalidArgument, "a store has 1 to 16 streams");
  if (h.protections.size() > kMaxProtections)
    throw Error(ErrorCode::ProtectionLimit, "at most 64 protections can be held at once");
  std::memset(slot, 0, kHeaderSlotSize);
  std::memcpy(slot + kHMagic, kHeaderMagic, 8);
  store_le<uint32_t>(slot + kHVersion, kFormatVersion);
  store_le<uint64_t>(slot + kHGeneration, h.generation);
  store_le<uint64_t>(slot + kHFileSize, h.file_size);
  store_le<uint64_t>(slot + kHDataOffset, kDataOffset);
  store_le<uint32_t>(slot + kHSegmentSize, h.segment_size);
  store_le<uint32_t>(slot + kHSegmentCount, h.segment_count);
  store_le<int64_t>(slot + kHCreated, h.created_us);
  store_le<uint64_t>(slot + kHProtectCap, h.protect_cap_bytes);
  store_le<uint32_t>(slot + kHStreamCount, uint32_t(h.streams.size()));
  store_le<uint32_t>(slot + kHNextDrive, h.next_drive_id);
  store_le<uint32_t>(slot + kHProtectionCount, uint32_t(h.protections.size()));
  store_le<uint32_t>(slot + kHFlushPolicy, uint32_t(h.flush_policy));
  store_le<uint32_t>(slot + kHFlushInterval, h.flush_interval_ms);
  for (size_t i = 0; i < h.streams.size(); ++i) {
    const std::string& name = h.streams[i];
    if (name.empty() || name.size() > kMaxStreamName)
      throw Error(ErrorCode::InvalidArgument, "a stream name has 1 to 31 bytes: '" + name + "'");
    std::memcpy(slot + kHStreams + i * kHStreamEntry, name.data(), name.size());
  }
  for (size_t i = 0; i < h.streams.size(); ++i)
    slot[kHKinds + i] = uint8_t(i < h.kinds.size() ? h.kinds[i] : StreamKind::Video);
  for (size_t i = 0; i < h.protections.size(); ++i) {
    uint8_t* p = slot + kHProtections + i * kHProtectionEntry;
    store_le<uint64_t>(p, h.protections[i].id);
    store_le<int64_t>(p + 8, h.protections[i].from_us);
    store_le<int64_t>(p + 16, h.protections[i].to_us);
    store_le<int64_t>(p + 24, h.protections[i].covered_from_us);
  }
  for (size_t i = 0; i < h.counters.size() && i < kMaxStreams; ++i) {
    uint8_t* p = slot + kHCounters + i * kHCounterEntry;
    store_le<uint64_t>(p, h.counters[i].overwritten);
    store_le<uint64_t>(p + 8, h.counters[i].dropped);
    store_le<uint64_t>(p + 16, h.counters[i].rejected);
  }
  store_le<uint64_t>(slot + kHDurable, h.durable_record_seq);
  if (h.horizon_all || h.horizon.size() > kMaxHorizon) {
    store_le<uint32_t>(slot + kHHorizonCount, kHorizonAll);
  } else {
    store_le<uint32_t>(slot + kHHorizonCount, uint32_t(h.horizon.size()));
    for (size_t i = 0; i < h.horizon.size(); ++i) store_le<uint32_t>(slot + kHHorizon + 4 * i, h.horizon[i]);
  }
  store_le<uint32_t>(slot + kHCrc, crc32c(slot + 16, kHeaderSlotSize - 16));
}

SlotProblem decode_header(const uint8_t* slot, Header& out, uint32_t* version_seen) {
  bool all_zero = true;
  for (size_t i = 0; i < 128 && all_zero; ++i) all_zero = slot[i] == 0;
  if (all_zero) return SlotProblem::Zero;
  if (std::memcmp(slot, kHeaderMagic, 8) != 0) return SlotProblem::Magic;
  uint32_t version = load_le<uint32_t>(slot + kHVersion);
  if (version_seen) *version_seen = version;
  if (version < kOldestReadableFormatVersion || version > kFormatVersion) return SlotProblem::Version;
  if (load_le<uint32_t>(slot + kHCrc) != crc32c(slot + 16, kHeaderSlotSize - 16)) return SlotProblem::Crc;
  Header h;
  h.generation = load_le<uint64_t>(slot + kHGeneration);
  h.file_size = load_le<uint64_t>(slot + kHFileSize);
  h.segment_size = load_le<uint32_t>(slot + kHSegmentSize);
  h.segment_count = load_le<uint32_t>(slot + kHSegmentCount);
  h.created_us = load_le<int64_t>(slot + kHCreated);
  h.protect_cap_bytes = load_le<uint64_t>(slot + kHProtectCap);
  h.next_drive_id = load_le<uint32_t>(slot + kHNextDrive);
  h.flush_policy = FlushPolicy(load_le<uint32_t>(slot + kHFlushPolicy));
  h.flush_interval_ms = load_le<uint32_t>(slot + kHFlushInterval);
  uint32_t stream_count = load_le<uint32_t>(slot + kHStreamCount);
  uint32_t protection_count = load_le<uint32_t>(slot + kHProtectionCount);
  uint64_t data_offset = load_le<uint64_t>(slot + kHDataOffset);
  if (data_offset != kDataOffset || stream_count == 0 || stream_count > kMaxStreams ||
      protection_count > kMaxProtections || h.segment_size < kMinSegmentSize || h.segment_size > kMaxSegmentSize ||
      h.segment_count < kMinSegments || h.file_size < kDataOffset + uint64_t(h.segment_size) * h.segment_count ||
      h.file_size - (kDataOffset + uint64_t(h.segment_size) * h.segment_count) >= h.segment_size ||
      uint32_t(h.flush_policy) > 2)
    return SlotProblem::Fields;
  for (uint32_t i = 0; i < stream_count; ++i) {
    const char* name = reinterpret_cast<const char*>(slot + kHStreams + i * kHStreamEntry);
    h.streams.emplace_back(name, strnlen(name, kMaxStreamName));
    if (h.streams.back().empty()) return SlotProblem::Fields;
  }
  for (uint32_t i = 0; i < stream_count; ++i) {
    // Versions 2 and 3 held H.264 streams only (and zeros there).
    const uint8_t kind = version >= 4 ? slot[kHKinds + i] : 0;
    if (kind > kMaxStreamKind) return SlotProblem::Fields;
    h.kinds.push_back(StreamKind(kind));
  }
  for (uint32_t i = 0; i < protection_count; ++i) {
    const uint8_t* p = slot + kHProtections + i * kHProtectionEntry;
    h.protections.push_back(
        {load_le<uint64_t>(p), load_le<int64_t>(p + 8), load_le<int64_t>(p + 16), load_le<int64_t>(p + 24)});
  }
  for (uint32_t i = 0; i < stream_count; ++i) {
    const uint8_t* p = slot + kHCounters + i * kHCounterEntry;
    h.counters.push_back({load_le<uint64_t>(p), load_le<uint64_t>(p + 8), load_le<uint64_t>(p + 16)});
  }
  h.durable_record_seq = load_le<uint64_t>(slot + kHDurable);
  uint32_t horizon_count = load_le<uint32_t>(slot + kHHorizonCount);
  if (horizon_count == kHorizonAll) {
    h.horizon_all = true;
  } else {
    if (horizon_count > kMaxHorizon) return SlotProblem::Fields;
    for (uint32_t i = 0; i < horizon_count; ++i) {
      uint32_t index = load_le<uint32_t>(slot + kHHorizon + 4 * i);
      if (index >= h.segment_count) return SlotProblem::Fields;
      h.horizon.push_back(index);
    }
  }
  out = std::move(h);
  return SlotProblem::None;
}

void encode_segment_header(const SegmentHeader& h, uint8_t* at) {
  uint8_t b[kSegmentHeaderSize] = {};
  store_le<uint32_t>(b, kSegmentMagic);
  store_le<uint64_t>(b + 8, h.segment_seq);
  store_le<uint64_t>(b + 16, h.first_record_seq);
  store_le<uint32_t>(b + 24, h.segment_index);
  store_le<uint32_t>(b + 28, kFormatVersion);
  store_le<uint32_t>(b + 32, h.drive_id);
  store_le<int64_t>(b + 40, h.started_us);
  store_le<uint32_t>(b + 4, crc32c(b + 8, kSegmentHeaderSize - 8));
  std::memcpy(at, b, kSegmentHeaderSize);
}

bool decode_segment_header(const uint8_t* at, SegmentHeader& out) {
  if (load_le<uint32_t>(at) != kSegmentMagic) return false;
  if (load_le<uint32_t>(at + 4) != crc32c(at + 8, kSegmentHeaderSize - 8)) return false;
  uint32_t version = load_le<uint32_t>(at + 28);
  if (version < kOldestReadableFormatVersion || version > kFormatVersion) return false;
  out.segment_seq = load_le<uint64_t>(at + 8);
  out.first_record_seq = load_le<uint64_t>(at + 16);
  out.segment_index = load_le<uint32_t>(at + 24);
  out.drive_id = load_le<uint32_t>(at + 32);
  out.started_us = load_le<int64_t>(at + 40);
  return out.segment_seq != 0;
}

void encode_record_header(const RecordHeader& h, uint8_t* at) {
  store_le<uint32_t>(at, kRecordMagic);
  store_le<uint32_t>(at + 4, 0);
  store_le<uint64_t>(at + 8, h.seq);
  store_le<int64_t>(at + 16, h.dts_us);
  store_le<int64_t>(at + 24, h.pts_us);
  store_le<int64_t>(at + 32, h.capture_us);
  store_le<uint32_t>(at + 40, h.payload_size);
  store_le<uint32_t>(at + 44, h.drive_id);
  store_le<uint32_t>(at + 48, h.config_id);
  at[52] = h.stream;
  at[53] = uint8_t(h.type);
  at[54] = h.random_access;
  at[55] = h.flags;
  store_le<uint32_t>(at + kRHeaderCrc, crc32c(at + kRHeaderCrcFrom, kRHeaderCrc - kRHeaderCrcFrom));
  store_le<uint32_t>(at + 60, 0);  // reserved
}

void seal_record(uint8_t* at) {
  uint32_t payload = load_le<uint32_t>(at + 40);
  store_le<uint32_t>(at + 4, crc32c(at + 8, kRecordHeaderSize - 8 + payload));
}

void seal_record(uint8_t* at, uint32_t crc) { store_le<uint32_t>(at + 4, crc); }

bool record_header_crc_ok(const uint8_t* at) {
  return load_le<uint32_t>(at + kRHeaderCrc) == crc32c(at + kRHeaderCrcFrom, kRHeaderCrc - kRHeaderCrcFrom);
}

bool decode_record_header(const uint8_t* at, RecordHeader& out) {
  if (load_le<uint32_t>(at) != kRecordMagic) return false;
  out.seq = load_le<uint64_t>(at + 8);
  out.dts_us = load_le<int64_t>(at + 16);
  out.pts_us = load_le<int64_t>(at + 24);
  out.capture_us = load_le<int64_t>(at + 32);
  out.payload_size = load_le<uint32_t>(at + 40);
  out.drive_id = load_le<uint32_t>(at + 44);
  out.config_id = load_le<uint32_t>(at + 48);
  out.stream = at[52];
  out.type = RecordType(at[53]);
  out.random_access = at[54];
  out.flags = at[55];
  return true;
}

bool record_crc_ok(const uint8_t* at, uint32_t payload_size) {
  return load_le<uint32_t>(at + 4) == crc32c(at + 8, kRecordHeaderSize - 8 + payload_size);
}

}  // namespace ringclip::store
