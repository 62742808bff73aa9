#pragma once
// The on-disk format of a store file (docs/FORMAT.md explains every field and invariant).
// All integers are little-endian. Layout:
//   [0, 4096)        header slot A
//   [4096, 8192)     header slot B      (written alternately; the valid one with the higher
//                                        generation wins, so a torn header write is survived)
//   [8192, 65536)    reserved, zero
//   [65536, ...)     segment_count segments of segment_size bytes each
// A segment: a 64-byte segment header, then records, each 8-byte aligned.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ringclip::store {

// 2: record header CRC, durable watermark, reclaim horizon. 3: index blocks at the end of
// sealed segments. 4: stream kinds (audio and metadata streams beside H.264 video). Older
// files are read as they are (version 2 segments have no index blocks, so open scans them;
// versions 2 and 3 hold video streams only) and take the current version at their first
// writable open: the layouts of segment headers, records and index blocks did not change.
constexpr uint32_t kFormatVersion = 4;
constexpr uint32_t kOldestReadableFormatVersion = 2;
// Index blocks are read from files of this version on (their layout is unchanged since).
constexpr uint32_t kOldestIndexBlockVersion = 3;
constexpr char kHeaderMagic[8] = {'R', 'I', 'N', 'G', 'C', 'L', 'I', 'P'};
constexpr uint64_t kHeaderSlotSize = 4096;
constexpr uint64_t kDataOffset = 65536;
constexpr uint32_t kMaxStreams = 16;
constexpr uint32_t kMaxStreamName = 31;
constexpr uint32_t kMaxProtections = 64;
constexpr uint32_t kMinSegmentSize = 1u << 20;
constexpr uint32_t kMaxSegmentSize = 64u << 20;
constexpr uint32_t kMinSegments = 2;

constexpr uint32_t kSegmentMagic = 0x47534352;  // "RCSG"
constexpr uint32_t kSegmentHeaderSize = 64;
constexpr uint32_t kRecordMagic = 0x52524352;  // "RCRR"
constexpr uint32_t kRecordHeaderSize = 64;
// The reclaim horizon kept in the header holds at most this many segment indices; a
// horizon that would not fit is stored as "every segment" (kHorizonAll).
constexpr uint32_t kMaxHorizon = 240;
constexpr uint32_t kHorizonAll = UINT32_MAX;
constexpr uint32_t kRecordAlign = 8;

enum class FlushPolicy : uint32_t { None = 0, Interval = 1, RandomAccess = 2 };

// What a stream records (header byte per stream; the values are on disk).
enum class StreamKind : uint8_t {
  Video = 0,     // H.264 access units; configuration: SPS and PPS
  Audio = 1,     // AAC frames; configuration: the AudioSpecificConfig
  Metadata = 2,  // timed metadata samples; configuration: the sample entry type and body
};
constexpr uint8_t kMaxStreamKind = 2;
const char* stream_kind_name(StreamKind kind);  // "video", "audio", "metadata"

struct Protection {
  uint64_t id = 0;
  int64_t from_us = 0;  // what the caller asked for
  int64_t to_us = 0;
  int64_t covered_from_us = 0;  // back to each stream's random access point at or before from_us
};

// Per-stream counters of frames the store did not keep; saved with every header write
// (drive start, protections, close), so they survive a clean reopen.
struct StreamCounters {
  uint64_t overwritten = 0;
  uint64_t dropped = 0;
  uint64_t rejected = 0;
};

struct Header {
  uint64_t generation = 0;
  uint64_t file_size = 0;
  uint32_t segment_size = 0;
  uint32_t segment_count = 0;
  int64_t created_us = 0;
  uint64_t protect_cap_bytes = 0;
  uint32_t next_drive_id = 1;
  FlushPolicy flush_policy = FlushPolicy::None;
  uint32_t flush_interval_ms = 0;
  std::vector<std::string> streams;
  std::vector<StreamKind> kinds;  // one per stream (files before version 4: all video)
  std::vector<Protection> protections;
  std::vector<StreamCounters> counters;  // one per stream (missing entries read as zero)
  // Every record with a smaller sequence number was durable (msync'd) before this header
  // was written: open trusts its payload without reading it (outside the horizon).
  uint64_t durable_record_seq = 1;
  // The reclaim horizon: segments that may hold bytes written after the watermark was
  // taken (docs/FORMAT.md, "Reclaim horizon"). Open CRC-checks every record in them.
  // horizon_all: too many to list; open checks every segment.
  std::vector<uint32_t> horizon;
  bool horizon_all = false;
};

// Serialises into one 4096-byte slot (with its CRC). Throws InvalidArgument when the
// header does not fit (too many streams or protections, names too long).
void encode_header(const Header& h, uint8_t* slot);
// Why a slot was refused, for the error message when neither slot is usable.
enum class SlotProblem { None, Zero, Magic, Version, Crc, Fields };
SlotProblem decode_header(const uint8_t* slot, Header& out, uint32_t* version_seen);

struct SegmentHeader {
  uint64_t segment_seq = 0;       // 1, 2, 3... in the order segments were started; 0 = never used
  uint64_t first_record_seq = 0;  // the sequence number the first record must carry
  uint32_t segment_index = 0;     // where it sits in the file (guards against misplaced copies)
  uint32_t drive_id = 0;          // the drive that started this segment
  int64_t started_us = 0;         // wall clock when the writer started it
};
void encode_segment_header(const SegmentHeader& h, uint8_t* at);
bool decode_segment_header(const uint8_t* at, SegmentHeader& out);

enum class RecordType : uint8_t { AccessUnit = 0, ParameterSets = 1 };

struct RecordHeader {
  uint64_t seq = 0;
  int64_t dts_us = 0;
  int64_t pts_us = 0;
  int64_t capture_us = 0;
  uint32_t payload_size = 0;
  uint32_t drive_id = 0;
  uint32_t config_id = 0;
  uint8_t stream = 0;
  RecordType type = RecordType::AccessUnit;
  uint8_t random_access = 0;  // h264::RandomAccess
  uint8_t flags = 0;
};

inline uint32_t record_span(uint32_t payload_size) {
  return (kRecordHeaderSize + payload_size + (kRecordAlign - 1)) & ~(kRecordAlign - 1);
}
// Writes header fields and the header CRC (bytes 56..60, over header bytes 8..56); the
// record CRC (bytes 4..8, over header bytes 8..64 and the payload) is added by seal_record.
void encode_record_header(const RecordHeader& h, uint8_t* at);
void seal_record(uint8_t* at);                // computes and stores the record CRC once the payload is in place
void seal_record(uint8_t* at, uint32_t crc);  // stores a record CRC computed while the record was written
// Parses a header without checking any CRC (recovery decides what to do with each failure).
bool decode_record_header(const uint8_t* at, RecordHeader& out);
// The header CRC alone: the header's fields can be trusted without reading the payload.
bool record_header_crc_ok(const uint8_t* at);
bool record_crc_ok(const uint8_t* at, uint32_t payload_size);

}  // namespace ringclip::store
