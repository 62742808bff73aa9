#pragma once
// The segment ring store: one preallocated, mmap'd file of fixed-size segments holding
// records of one or more H.264 streams on one clock. Loop recording reclaims the oldest
// segment that is neither protected nor pinned. docs/FORMAT.md describes the file.
//
// Threading: one thread writes (the JS thread); readers (clip exports, flushes on worker
// threads) take the store's mutex for index access (store/index_access.h) and hold pins
// for the bytes they read.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "h264/access_unit.h"
#include "h264/parameter_sets.h"
#include "h264/slice_header.h"
#include "store/format.h"
#include "store/mapped_file.h"
#include "store/reclaim_horizon.h"
#include "store/segment_preparer.h"
#include "util/bytes.h"
#include "util/file_identity.h"

namespace ringclip::store {

// One access unit in the in-memory index: 32 bytes per frame.
struct IndexEntry {
  int64_t dts_us;
  int64_t pts_us;
  uint32_t offset;  // of the record within its segment
  uint32_t payload_size;
  uint32_t config_id;
  uint8_t random_access;  // h264::RandomAccess
  uint8_t reserved[3];
};
static_assert(sizeof(IndexEntry) == 32, "the index promises at most 32 bytes per frame");

// What decoding a stream needs besides the samples, as of config_id: a video stream's
// parameter sets, an audio stream's AudioSpecificConfig, a metadata stream's sample entry.
struct StreamConfig {
  uint32_t id = 0;
  StreamKind kind = StreamKind::Video;
  std::vector<std::vector<uint8_t>> sps;  // raw NAL units
  std::vector<std::vector<uint8_t>> pps;
  uint32_t width = 0, height = 0, sar_width = 1, sar_height = 1;
  uint8_t profile_idc = 0, constraint_flags = 0, level_idc = 0;
  // Audio: the AudioSpecificConfig. Metadata: the sample entry's body (camm: empty).
  std::vector<uint8_t> config;
  uint32_t format = 0;  // metadata: the sample entry type ('camm')
  uint32_t sample_rate = 0, channels = 0, frame_samples = 0, object_type = 0;  // audio, from the config
  std::string codec() const;                                                   // "avc1.64001f", "mp4a.40.2", "camm"
  void describe(const h264::Sps& parsed);  // size, aspect, profile and level from the parsed SPS
  // Audio: rate, channels and frame length from `config`; throws Error(InvalidData).
  void describe_audio();
  bool same_content(const StreamConfig& other) const {
    return kind == other.kind && sps == other.sps && pps == other.pps && config == other.config &&
           format == other.format;
  }
  // The payload of its record (docs/FORMAT.md, "Records"): video, length-prefixed SPS and
  // PPS; audio, the AudioSpecificConfig; metadata, the 4-byte entry type and the body.
  uint32_t record_payload_size() const;
};

struct DriveSpan {
  uint32_t drive_id;
  uint32_t stream;
  int64_t first_pts_us, last_pts_us;
  uint64_t frames;
};

// A parameter-set record of a segment, kept for its index block (the block carries the
// payload so that open need not read the record).
struct ParameterRecord {
  uint32_t offset, payload_size, config_id;
  uint8_t stream;
  int64_t pts_us;
};

struct Segment {
  uint64_t seq = 0;  // 0: free (never used or emptied)
  uint64_t first_record_seq = 0;
  uint64_t next_record_seq = 0;
  uint32_t used = 0;  // bytes from the segment start, header included
  uint32_t drive_id = 0;
  int64_t started_us = 0;
  int64_t min_pts_us = INT64_MAX, max_pts_us = INT64_MIN;
  std::array<std::vector<IndexEntry>, kMaxStreams> frames;
  std::array<uint32_t, kMaxStreams> config_written{};  // last config id recorded here per stream
  std::vector<DriveSpan> drives;
  std::vector<uint32_t> holes;  // offsets where recovery skipped damaged records (decoding breaks there)
  // Open found a record whose header was whole but whose payload CRC failed (a torn tail,
  // damage, new-generation pages): a later open checking headers only would decide
  // otherwise there, so later headers keep the segment in the horizon until it is reclaimed.
  bool suspect = false;
  // Its index block (docs/FORMAT.md, "Index block") is written: no record is added after.
  bool sealed = false;
  bool released = false;  // its pages were dropped from the cache (durable, old)
  std::vector<ParameterRecord> parameter_records;
  uint32_t parameter_bytes = 0;  // their payloads, which the index block repeats
  uint32_t pins = 0;
  bool live() const { return seq != 0; }
  // Accounts one stored frame in the segment's time range and drive summary.
  void note_frame(uint32_t drive, uint32_t stream, int64_t pts_us);
};

struct OverwriteEvent {
  uint32_t stream;
  int64_t from_us, to_us;  // pts range of the frames lost
  uint64_t frames;
};

struct DamageRange {
  uint32_t segment;
  uint64_t bytes;
  uint64_t records;        // lost record count, from the sequence-number gap (0 if unknown)
  int64_t from_us, to_us;  // between the neighbouring good records (INT64_MIN/MAX when unknown)
};

struct RecoveryReport {
  uint64_t damaged_records = 0, damaged_bytes = 0;
  uint64_t damaged_segment_headers = 0;  // rebuilt from the segment's first record
  std::vector<DamageRange> damaged;
  uint64_t torn_tail_records = 0, torn_tail_bytes = 0;
  uint64_t segments_scanned = 0, records_kept = 0;
  // Segments whose records were indexed from their index block (no record header read),
  // and blocks present for the segment's generation but refused (torn, or disagreeing
  // with the segment header): those segments were scanned record by record instead.
  uint64_t segments_from_index = 0, index_blocks_refused = 0;
  bool used_backup_header = false;  // one header copy failed its checks (a torn header write)
};

struct StreamState {
  std::string name;
  StreamKind kind = StreamKind::Video;
  h264::ParameterSets sets;  // for write(): the stream's current parameter sets
  h264::PocState poc;
  bool seen_random_access = false;
  int64_t last_dts_us = INT64_MIN;
  uint32_t config_id = 0;  // current configuration (0: none yet)
  // The parameter sets config_id was made from, and their version then: unchanged sets
  // keep the configuration without comparing bytes.
  const h264::ParameterSets* config_sets = nullptr;
  uint64_t config_sets_version = 0;
  uint64_t overwritten_frames = 0;
  // The latest decode time among this stream's reclaimed frames: a live follower whose
  // cursor is before it lost frames to the wrap (store/live_fragmenter.h).
  int64_t reclaimed_until_dts_us = INT64_MIN;
  uint64_t dropped_frames = 0;       // not stored: before the first random access point, or no room
  uint64_t rejected_units = 0;       // not stored: did not parse
  bool have_parameter_sets = false;  // write(): an SPS/PPS has been seen since the drive began
};

struct WriteResult {
  bool stored = false;
  bool random_access = false;
  bool events_pending = false;  // overwrite events to drain
};

struct ProtectionInfo {
  Protection protection;
  uint64_t bytes;  // bytes of the segments it currently holds
};

// How the writer gets the next segment ready (docs/FORMAT.md, "Writing into cold storage").
enum class PrepareAhead {
  Auto,     // populate the next segment; drop old blocks first when its pages are not resident
  Discard,  // always drop old blocks first, resident or not (tests of that path)
  Off,      // the writer faults pages in itself
};

class SegmentStore {
 public:
  struct CreateOptions {
    uint64_t capacity = 0;
    uint32_t segment_size = 8u << 20;
    std::vector<std::string> streams;
    std::vector<StreamKind> kinds;  // per stream; missing ones are video
    double protect_cap_fraction = 0.3;
    FlushPolicy flush_policy = FlushPolicy::None;
    uint32_t flush_interval_ms = 0;
    PrepareAhead prepare = PrepareAhead::Auto;
  };
  static std::unique_ptr<SegmentStore> create(const std::string& path, const CreateOptions& options);
  struct OpenOptions {
    bool writable = true;
    // Check the CRC of every record's payload, as format version 1 did (damaged records
    // are skipped and reported). By default payloads are read only where they may not be
    // durable: records at or past the header's durable watermark and segments in its
    // reclaim horizon (docs/FORMAT.md); verify() catches bit rot elsewhere.
    bool verify_full = false;
    PrepareAhead prepare = PrepareAhead::Auto;
  };
  static std::unique_ptr<SegmentStore> open(const std::string& path, const OpenOptions& options);
  static std::unique_ptr<SegmentStore> open(const std::string& path, bool writable) {
    OpenOptions o;
    o.writable = writable;
    return open(path, o);
  }
  ~SegmentStore();

  // One complete access unit in Annex B. Throws InvalidData (bad H.264), InvalidArgument
  // (timestamps going backwards, unit larger than a segment), NoSpace (nothing reclaimable).
  // The store is unchanged by any throw.
  WriteResult write(uint32_t stream, const uint8_t* data, size_t size, int64_t pts_us, int64_t dts_us,
                    int64_t capture_us);
  // One access unit as its NAL units (length-prefixed MP4 samples: sample_writer.h). The
  // same checks and guarantees as write(); `nals` is moved from and handed back (its
  // capacity reused by the caller).
  WriteResult write_nal_units(uint32_t stream, std::vector<h264::NalView>& nals, int64_t pts_us, int64_t dts_us,
                              int64_t capture_us);
  // A unit already analyzed; `sets` holds its parameter sets as they were when it was parsed.
  WriteResult append(uint32_t stream, const h264::AccessUnit& unit, const h264::ParameterSets& sets, int64_t pts_us,
                     int64_t dts_us, int64_t capture_us);
  // The same with the configuration taken earlier (config_for): streaming ingest holds
  // units for reordering while later units may already redefine a parameter set.
  WriteResult append(uint32_t stream, const h264::AccessUnit& unit, uint32_t config_id, int64_t pts_us, int64_t dts_us,
                     int64_t capture_us);
  // The stream's configuration for a unit parsed with `sets`: every SPS and PPS the stream
  // holds (what one avcC can carry), a configuration seen before reused by its id. Throws
  // Error(InvalidData) when the unit's own SPS or PPS is missing.
  uint32_t config_for(uint32_t stream, const h264::AccessUnit& unit, const h264::ParameterSets& sets);
  // An access unit as a store holds it: length-prefixed NAL units without SPS/PPS, and the
  // configuration (SPS/PPS) it needs, which this store maps to one of its own. Stored as it
  // is, checksummed while copied: store to store copies (store_copy.h) use it. The same
  // checks as write() on times and order; the length prefixes must tile the payload.
  WriteResult append_stored(uint32_t stream, const StreamConfig& config, const uint8_t* payload, uint32_t size,
                            int64_t pts_us, int64_t dts_us, int64_t capture_us, uint8_t random_access);
  // One AAC frame (raw, no ADTS header) decoded with `config` (an AudioSpecificConfig), or
  // one timed-metadata sample of sample entry `format` (with `entry` as its body), of an
  // audio or metadata stream. Every such sample is a random access point; dts is pts. The
  // same checks and guarantees as write() (times, room, the store unchanged by a throw).
  WriteResult write_audio(uint32_t stream, const uint8_t* frame, size_t size, const uint8_t* config, size_t config_size,
                          int64_t pts_us, int64_t capture_us);
  WriteResult write_metadata(uint32_t stream, const uint8_t* sample, size_t size, uint32_t format, const uint8_t* entry,
                             size_t entry_size, int64_t pts_us, int64_t capture_us);
  std::vector<OverwriteEvent> take_events();
  void count_rejected(uint32_t stream, uint64_t units) { streams_.at(stream).rejected_units += units; }

  // Protections: kept in the file header; survive close, crash and reopen.
  uint64_t protect(int64_t from_us, int64_t to_us);
  void release_protection(uint64_t id);
  std::vector<ProtectionInfo> protections() const;
  uint64_t protect_cap_bytes() const { return header_.protect_cap_bytes; }

  // Pins: the writer never reclaims a pinned segment.
  void pin(uint32_t segment);
  void unpin(uint32_t segment);
  // The pin protocol of readers that hold a row of the index, not a clip (lib/'s frame
  // iterators, live followers): pins `segment` only while it still holds generation `seq`.
  // False, pinning nothing, when the store is closed, the segment does not exist, or loop
  // recording reclaimed it since the row was read. Takes the store's mutex itself.
  bool pin_if_live(uint32_t segment, uint64_t seq);

  // Durability. dirty_ranges() (JS thread) lists what to msync; sync() (any thread) does it.
  struct Range {
    uint64_t offset, length;
  };
  std::vector<Range> take_dirty_ranges();
  void sync(const std::vector<Range>& ranges) const;
  // A flush's sync off the writing thread: holds the mapping (close() waits for it), and
  // does nothing once the store is closed (close() synced everything itself).
  void sync_unless_closed(const std::vector<Range>& ranges) const;
  // A flush in three steps: begin_flush() (writing thread) takes the dirty ranges and the
  // watermark they make durable; sync() runs anywhere; end_flush() (writing thread) records
  // the outcome. Flushes may complete out of order: the durable watermark advances (and the
  // header is rewritten, synchronously) only once every earlier flush has completed too.
  // After a failed flush the watermark no longer advances until close() syncs everything.
  struct FlushTicket {
    uint64_t watermark;
    std::vector<Range> ranges;
  };
  FlushTicket begin_flush();
  void end_flush(uint64_t watermark, bool ok);
  uint64_t durable_record_seq() const { return durable_seq_; }
  // Header slot writes since open (all synchronous). Diagnostic: the power-loss harness
  // watches it to know when the header on disk changed inside write().
  uint64_t header_writes() const { return header_writes_; }

  void close();
  bool closed() const { return !file_.data(); }
  // Throws Error(Closed, "the store is closed"): every operation on a closed store says so.
  void check_open() const;
  bool writable() const { return file_.writable(); }

  // Queries. Readers off the writing thread reach the index through store/index_access.h
  // (the core's readers only), which holds the store's mutex.
  const Header& header() const { return header_; }
  const std::vector<StreamState>& streams() const { return streams_; }
  std::vector<uint32_t> live_segments_in_order() const;            // oldest first (writing thread, or under the mutex)
  const StreamConfig* config(uint32_t stream, uint32_t id) const;  // writing thread, or under the mutex
  // A copy of a configuration, taken under the store's mutex (any thread); nullopt when unknown.
  std::optional<StreamConfig> config_copy(uint32_t stream, uint32_t id) const;
  const RecoveryReport& recovery() const { return recovery_; }
  PreparerStats preparer_stats() const { return preparer_ ? preparer_->stats() : PreparerStats{}; }
  uint32_t drive_id() const { return drive_id_; }
  uint64_t used_bytes() const;
  uint64_t protected_bytes() const;
  // Where a segment starts in the file.
  uint64_t segment_offset(uint32_t segment) const { return kDataOffset + uint64_t(segment) * header_.segment_size; }
  const uint8_t* segment_data(uint32_t segment) const { return file_.data() + segment_offset(segment); }
  // A whole segment's bytes in the mapping, for views that live as long as the store is
  // open. Throws Closed once closed, InvalidArgument for a segment the store does not have.
  ByteSpan segment_bytes(uint32_t segment) const;
  const uint8_t* payload(uint32_t segment, const IndexEntry& e) const {
    return segment_data(segment) + e.offset + kRecordHeaderSize;
  }
  uint32_t stream_id(const std::string& name) const;  // throws InvalidArgument listing the streams
  const std::string& path() const { return file_.path(); }
  FileIdentity file_identity() const { return ringclip::file_identity(file_.fd()); }

  // A full CRC pass over every indexed record.
  struct VerifyReport {
    uint64_t records = 0, bytes = 0, bad_records = 0;
    std::vector<std::string> problems;
  };
  VerifyReport verify() const;

 private:
  // The core's readers of the index (clips, info, frame lists, copies, live followers)
  // reach mutex_, mapping_lock_ and segments_ through it; native/addon never does.
  friend class IndexAccess;
  SegmentStore() = default;
  // write()'s and write_nal_units()'s checks (writable, stream number, times), once each.
  StreamState& checked_stream(uint32_t stream, int64_t pts_us, int64_t dts_us, int64_t capture_us,
                              StreamKind kind = StreamKind::Video);
  // write_audio()'s and write_metadata()'s shared rest: the configuration, then the record.
  WriteResult store_timed_sample(uint32_t stream, StreamConfig&& config, const uint8_t* data, size_t size,
                                 int64_t pts_us, int64_t capture_us);
  // The shared rest of both: analysis and append.
  WriteResult store_nal_units(StreamState& st, uint32_t stream, std::vector<h264::NalView>& nals, int64_t pts_us,
                              int64_t dts_us, int64_t capture_us);
  struct Candidate {
    uint32_t index;
    SegmentHeader header;
  };
  void recover();                               // open: rebuild the index (store_recovery.cpp)
  bool check_payloads(uint32_t segment) const;  // open: CRC-check this segment's payloads in full
  void salvage_segment(uint32_t index, std::vector<Candidate>& live);
  // Records of this segment's generation have seq in [sh.first_record_seq, end_seq): the
  // next segment (by segment_seq) started at end_seq, so a record at or past it was written
  // by a later generation of this segment whose header did not reach the disk.
  void scan_segment(uint32_t index, const SegmentHeader& sh, uint64_t end_seq);
  void index_record(uint32_t segment, uint32_t offset, const RecordHeader& rh);
  void load_config(uint32_t segment, uint32_t stream, uint32_t config_id, const uint8_t* payload, uint32_t size);
  // Indexes a segment from its index block; false (nothing changed) when the block is
  // missing, torn, of another generation, or inconsistent: the caller scans instead.
  bool load_index_block(uint32_t index, const SegmentHeader& sh, uint64_t end_seq);
  // Writes the segment's index block (writing thread; the segment is in the durable horizon).
  void seal_segment(uint32_t index);
  // Room for `bytes` more record bytes, `records` more records and `parameter_bytes` more
  // parameter-set payload in the current segment, keeping room for its index block.
  bool fits_current(uint32_t bytes, uint32_t records, uint32_t parameter_bytes) const;
  // Next generation into the other slot, synced. The horizon written covers `starting`
  // (segments the writer is about to write into) besides what build_horizon() lists.
  void write_header(const std::vector<uint32_t>& starting = {});
  std::vector<HorizonSegment> horizon_table() const;  // the segment table build_horizon() reads
  // The last header of a clean close: everything is synced, so the horizon holds only the
  // segments recovery found damaged (docs/FORMAT.md, "Reclaim horizon").
  void write_closing_header();
  void write_header_slot();
  // A writable open seals the segments recovery had to scan (a crash's tail, format-2
  // segments with room), so later opens read their index blocks instead.
  void seal_recovered_segments();
  void verify_index_block(uint32_t index, VerifyReport& report) const;
  bool in_durable_horizon(uint32_t segment) const;
  void start_drive();
  uint32_t choose_segment_to_reclaim(uint32_t exclude = UINT32_MAX) const;  // UINT32_MAX when none
  void start_segment(int64_t now_us);
  void reclaim(uint32_t segment);
  void reclaim_locked(uint32_t segment);     // caller holds mutex_
  bool reclaim_if_unheld(uint32_t segment);  // false when pinned or protected
  // The segment the writer will start after `starting`, made ready on the preparer's
  // thread once `starting` is under way. Old footage that is not resident is reclaimed
  // then (one segment early), so that its blocks can be dropped instead of read back; the
  // plan is made first so that one header write lists both segments (writer rule).
  struct NextSegmentPlan {
    uint32_t segment = UINT32_MAX;
    bool discard = false;
    bool isolate = false;  // next to cold footage: faults must not read around (SegmentPreparer)
  };
  bool cold(uint32_t segment) const;  // live footage mostly not in the page cache
  NextSegmentPlan plan_next_segment(uint32_t starting) const;
  void begin_next_segment(const NextSegmentPlan& plan);
  // After the watermark advanced: durable, older segments leave the page cache.
  void release_durable_segments();
  // Zeroes a reclaimed segment's header before its blocks are dropped.
  void invalidate_segment_header(uint32_t segment);
  bool segment_protected(uint32_t segment) const;
  void ensure_room(uint32_t bytes, int64_t now_us);
  void write_config_record(uint32_t stream, const StreamConfig& config, int64_t pts_us, int64_t capture_us);
  // Record framing in the current segment: begin_record fills the header's sequence number
  // and drive and returns where the payload goes, with the CRC of the header so far;
  // put_nal appends one length-prefixed NAL unit, checksumming it as it copies; finish_record
  // pads, seals and accounts the record.
  struct RecordCursor {
    uint8_t* out;
    uint32_t crc;
  };
  RecordCursor begin_record(RecordHeader& rh);
  static void put_nal(RecordCursor& cursor, const uint8_t* data, size_t size);
  uint32_t finish_record(const RecordCursor& cursor, const RecordHeader& rh);
  uint32_t config_matching(uint32_t stream, const StreamConfig& source);
  // Times in range (util/time_range.h) and dts after the stream's last: every way in checks it.
  void check_frame_times(const StreamState& st, int64_t pts_us, int64_t dts_us, int64_t capture_us) const;
  // Where a record's payload comes from: NAL units to length-prefix (write()), or bytes
  // already stored that way (append_stored()).
  struct PayloadSource {
    const std::vector<h264::NalView>* nals;
    const uint8_t* stored;
  };
  WriteResult store_access_unit(uint32_t stream, uint32_t config_id, const PayloadSource& source, uint32_t payload,
                                int64_t pts_us, int64_t dts_us, int64_t capture_us, uint8_t random_access);
  int64_t covered_from(int64_t from_us) const;
  void mark_dirty(uint64_t offset, uint64_t length);
  void check_writable() const;

  MappedFile file_;
  Header header_;
  int header_slot_ = 0;  // the slot holding header_ (the next write goes to the other)
  std::vector<StreamState> streams_;
  std::vector<Segment> segments_;
  std::vector<std::vector<StreamConfig>> configs_;  // per stream, by id order
  uint32_t current_ = UINT32_MAX;                   // segment being written
  uint64_t next_segment_seq_ = 1;
  uint64_t next_record_seq_ = 1;
  uint32_t drive_id_ = 0;
  std::vector<OverwriteEvent> events_;
  std::vector<Range> dirty_;
  std::vector<h264::NalView> nal_scratch_;
  RecoveryReport recovery_;
  bool verify_full_ = false;  // open option: check every payload
  uint64_t durable_seq_ = 1;  // records below it are durable (carried in every header write)
  struct PendingFlush {
    uint64_t watermark;
    bool done;
  };
  std::vector<PendingFlush> flushes_;  // in begin order (writing thread only)
  bool flush_failed_ = false;
  uint64_t header_writes_ = 0;
  bool opened_ = false;
  bool drive_header_pending_ = false;  // start_drive() ran; its header is written before the first segment
  PrepareAhead prepare_ = PrepareAhead::Auto;
  std::unique_ptr<SegmentPreparer> preparer_;  // writable stores only
  uint32_t reserve_ = UINT32_MAX;              // free segment being prepared for the writer
  std::vector<bool> isolated_;                 // prepared isolated (no read-around) until sealed
  std::vector<bool> stale_;  // free at open, yet its blocks hold old bytes  // construction completed: close() may
                             // write (a failed open writes nothing)
  mutable std::mutex mutex_;
  mutable std::shared_mutex mapping_lock_;
};

}  // namespace ringclip::store
