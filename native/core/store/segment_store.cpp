#include "store/segment_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "audio/aac.h"
#include "h264/annexb.h"
#include "mp4/movie.h"
#include "store/crc32c.h"
#include "store/index_block.h"
#include "store/reclaim_horizon.h"
#include "store/record_copy.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/time_range.h"

namespace ringclip::store {
namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_parameter_set(uint8_t type) { return type == h264::kNalSps || type == h264::kNalPps; }

uint32_t parameter_set_payload_size(const StreamConfig& c) { return c.record_payload_size(); }

}  // namespace

uint32_t StreamConfig::record_payload_size() const {
  if (kind == StreamKind::Audio) return uint32_t(config.size());
  if (kind == StreamKind::Metadata) return 4 + uint32_t(config.size());
  uint32_t n = 0;
  for (auto& s : sps) n += 4 + uint32_t(s.size());
  for (auto& p : pps) n += 4 + uint32_t(p.size());
  return n;
}

void StreamConfig::describe_audio() {
  audio::AudioSpecificConfig asc = audio::parse_audio_specific_config(config.data(), config.size());
  sample_rate = asc.sample_rate;
  channels = asc.channels;
  frame_samples = asc.frame_samples;
  object_type = asc.object_type;
}

std::string StreamConfig::codec() const {
  if (kind == StreamKind::Audio) return "mp4a.40." + std::to_string(object_type);
  if (kind == StreamKind::Metadata) return mp4::fourcc_text(format);
  char buf[32];
  std::snprintf(buf, sizeof buf, "avc1.%02x%02x%02x", profile_idc, constraint_flags, level_idc);
  return buf;
}

void StreamConfig::describe(const h264::Sps& parsed) {
  width = parsed.width;
  height = parsed.height;
  sar_width = parsed.sar_width;
  sar_height = parsed.sar_height;
  profile_idc = parsed.profile_idc;
  constraint_flags = parsed.constraint_flags;
  level_idc = parsed.level_idc;
}

std::unique_ptr<SegmentStore> SegmentStore::create(const std::string& path, const CreateOptions& o) {
  if (o.segment_size < kMinSegmentSize || o.segment_size > kMaxSegmentSize || o.segment_size % 4096 != 0)
    throw Error(ErrorCode::InvalidArgument, "segmentSize must be a multiple of 4 KiB from 1 MiB to 64 MiB, got " +
                                                std::to_string(o.segment_size) + " bytes");
  if (o.streams.empty() || o.streams.size() > kMaxStreams)
    throw Error(ErrorCode::InvalidArgument, "a store records 1 to 16 streams, got " + std::to_string(o.streams.size()));
  if (o.kinds.size() > o.streams.size()) throw Error(ErrorCode::InvalidArgument, "more stream kinds than streams");
  for (StreamKind k : o.kinds)
    if (uint8_t(k) > kMaxStreamKind)
      throw Error(ErrorCode::InvalidArgument, "stream kind " + std::to_string(int(k)) + " is unknown");
  for (size_t i = 0; i < o.streams.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (o.streams[i] == o.streams[j])
        throw Error(ErrorCode::InvalidArgument, "stream '" + o.streams[i] + "' is listed twice");
  uint64_t min_capacity = kDataOffset + uint64_t(o.segment_size) * kMinSegments;
  if (o.capacity < min_capacity)
    throw Error(ErrorCode::InvalidArgument,
                "capacity " + std::to_string(o.capacity) + " bytes is too small: with segments of " +
                    std::to_string(o.segment_size) + " bytes it must be at least " + std::to_string(min_capacity) +
                    " bytes (64 KiB of header and 2 segments)");
  if (!(o.protect_cap_fraction >= 0 && o.protect_cap_fraction <= 0.9))
    throw Error(ErrorCode::InvalidArgument, "protectCap must be between 0 and 0.9 of the capacity");

  std::unique_ptr<SegmentStore> s(new SegmentStore());
  s->header_.generation = 1;
  s->header_.file_size = o.capacity;
  s->header_.segment_size = o.segment_size;
  s->header_.segment_count = uint32_t((o.capacity - kDataOffset) / o.segment_size);
  s->header_.created_us = now_us();
  s->header_.protect_cap_bytes = uint64_t(double(o.capacity - kDataOffset) * o.protect_cap_fraction);
  s->header_.flush_policy = o.flush_policy;
  s->header_.flush_interval_ms = o.flush_interval_ms;
  s->header_.streams = o.streams;
  s->header_.kinds = o.kinds;
  s->header_.kinds.resize(o.streams.size(), StreamKind::Video);
  s->segments_.resize(s->header_.segment_count);
  s->header_.durable_record_seq = s->durable_seq_;
  s->header_.horizon_all = !build_horizon(std::vector<HorizonSegment>(s->header_.segment_count), UINT32_MAX, UINT32_MAX,
                                          s->durable_seq_, s->header_.horizon);
  uint8_t slot[kHeaderSlotSize];
  encode_header(s->header_, slot);  // validates names before anything touches the disk
  s->file_ = MappedFile::create(path, o.capacity);
  std::memcpy(s->file_.data(), slot, kHeaderSlotSize);
  std::memcpy(s->file_.data() + kHeaderSlotSize, slot, kHeaderSlotSize);
  s->file_.sync_range(0, 2 * kHeaderSlotSize);
  s->header_slot_ = 1;
  s->configs_.resize(o.streams.size());
  for (size_t i = 0; i < o.streams.size(); ++i) {
    StreamState& st = s->streams_.emplace_back();
    st.name = o.streams[i];
    st.kind = s->header_.kinds[i];
  }
  s->prepare_ = o.prepare;
  s->isolated_.assign(s->header_.segment_count, false);
  s->stale_.assign(s->header_.segment_count, false);  // a new file holds no data
  if (o.prepare != PrepareAhead::Off) s->preparer_ = std::make_unique<SegmentPreparer>(s->file_);
  s->start_drive();
  s->opened_ = true;
  return s;
}

std::unique_ptr<SegmentStore> SegmentStore::open(const std::string& path, const OpenOptions& options) {
  const bool writable = options.writable;
  std::unique_ptr<SegmentStore> s(new SegmentStore());
  s->verify_full_ = options.verify_full;
  s->file_ = MappedFile::open(path, writable ? MappedFile::Mode::ReadWrite : MappedFile::Mode::ReadOnly);
  ScatteredReads scattered(s->file_);
  Header a, b;
  uint32_t version_a = 0, version_b = 0;
  SlotProblem pa = decode_header(s->file_.data(), a, &version_a);
  SlotProblem pb = decode_header(s->file_.data() + kHeaderSlotSize, b, &version_b);
  if (pa != SlotProblem::None && pb != SlotProblem::None) {
    if (pa == SlotProblem::Version || pb == SlotProblem::Version)
      throw Error(ErrorCode::Format, "'" + path + "' is a ringclip store of format version " +
                                         std::to_string(pa == SlotProblem::Version ? version_a : version_b) +
                                         "; this ringclip reads versions " +
                                         std::to_string(kOldestReadableFormatVersion) + " to " +
                                         std::to_string(kFormatVersion) +
                                         (std::max(version_a, version_b) > kFormatVersion
                                              ? " (a newer ringclip wrote it: upgrade)"
                                              : " (version 1 stores cannot be converted: record anew)"));
    if (pa == SlotProblem::Zero && pb == SlotProblem::Zero)
      throw Error(ErrorCode::Format, "'" + path + "' is not a ringclip store: its header is all zeros");
    if (pa == SlotProblem::Magic && pb == SlotProblem::Magic)
      throw Error(ErrorCode::Format, "'" + path + "' is not a ringclip store (no RINGCLIP magic)");
    throw Error(ErrorCode::Format, "'" + path + "' has a damaged header: both copies fail their checks");
  }
  bool use_b = pa != SlotProblem::None || (pb == SlotProblem::None && b.generation > a.generation);
  s->header_ = use_b ? std::move(b) : std::move(a);
  s->header_slot_ = use_b ? 1 : 0;
  s->recovery_.used_backup_header = (use_b ? pa : pb) != SlotProblem::None;
  if (s->header_.file_size != s->file_.size())
    throw Error(ErrorCode::Format, "'" + path + "' was " + std::to_string(s->header_.file_size) +
                                       " bytes when created and is now " + std::to_string(s->file_.size()) +
                                       " bytes: it was truncated or extended by something else; refusing to use it");
  s->segments_.resize(s->header_.segment_count);
  s->configs_.resize(s->header_.streams.size());
  for (size_t i = 0; i < s->header_.streams.size(); ++i) {
    StreamState& st = s->streams_.emplace_back();
    st.name = s->header_.streams[i];
    st.kind = i < s->header_.kinds.size() ? s->header_.kinds[i] : StreamKind::Video;
    if (i < s->header_.counters.size()) {
      st.overwritten_frames = s->header_.counters[i].overwritten;
      st.dropped_frames = s->header_.counters[i].dropped;
      st.rejected_units = s->header_.counters[i].rejected;
    }
  }
  s->recover();
  // Sequence numbers below the watermark are trusted as durable: new records never reuse
  // them, even when the records that carried them were lost.
  s->durable_seq_ = std::max<uint64_t>(1, s->header_.durable_record_seq);
  s->next_record_seq_ = std::max(s->next_record_seq_, s->durable_seq_);
  if (writable) {
    s->prepare_ = options.prepare;
    s->isolated_.assign(s->header_.segment_count, false);
    s->stale_.assign(s->header_.segment_count, false);
    if (options.prepare != PrepareAhead::Off) {
      s->preparer_ = std::make_unique<SegmentPreparer>(s->file_);
      // Asked now, before the page cache holds pages of them: free segments with blocks
      // that hold data (SEEK_DATA; never-written ones are unwritten extents).
      for (uint32_t i = 0; i < s->header_.segment_count; ++i)
        s->stale_[i] =
            !s->segments_[i].live() && s->preparer_->holds_data(s->segment_offset(i), s->header_.segment_size);
    }
    s->seal_recovered_segments();
    if (s->durable_seq_ < s->next_record_seq_) {
      // Records past the watermark survived (a kill, or a power cut that spared them):
      // they passed the full CRC check just now. Make them durable before the header
      // written by start_drive() says so (after a kill they may be in the page cache only).
      s->file_.sync_range(kDataOffset, s->file_.size() - kDataOffset);
      s->durable_seq_ = s->next_record_seq_;
    }
    s->start_drive();
  }
  s->opened_ = true;
  return s;
}

SegmentStore::~SegmentStore() {
  try {
    close();
  } catch (...) {
  }
}

void SegmentStore::check_open() const {
  if (closed()) throw Error(ErrorCode::Closed, "the store is closed");
}

void SegmentStore::check_writable() const {
  check_open();
  if (!file_.writable())
    throw Error(ErrorCode::InvalidArgument, "the store '" + file_.path() + "' was opened read-only");
}

std::vector<HorizonSegment> SegmentStore::horizon_table() const {
  std::vector<HorizonSegment> table(segments_.size());
  for (uint32_t i = 0; i < segments_.size(); ++i) {
    const Segment& seg = segments_[i];
    table[i] = {seg.live(),          seg.live() && segment_protected(i), seg.seq,   seg.first_record_seq,
                seg.next_record_seq, seg.suspect || !seg.holes.empty(),  seg.sealed};
  }
  return table;
}

void SegmentStore::write_header(const std::vector<uint32_t>& starting) {
  header_.durable_record_seq = durable_seq_;
  auto table = horizon_table();
  // The reserve's old blocks are being dropped: until the writer starts it (then it is
  // the current segment), every header lists it.
  std::vector<uint32_t> also = starting;
  if (reserve_ != UINT32_MAX) also.push_back(reserve_);
  header_.horizon_all = !build_horizon(table, current_, UINT32_MAX, durable_seq_, header_.horizon, also);
  write_header_slot();
}

void SegmentStore::write_closing_header() {
  header_.durable_record_seq = durable_seq_;
  auto table = horizon_table();
  header_.horizon_all = !build_closed_horizon(table, header_.horizon);
  // A reserve whose blocks were dropped reads as zeros (never used) if that reached the
  // disk, and as its old footage otherwise; only a check in full tells which.
  if (reserve_ != UINT32_MAX && !header_.horizon_all) header_.horizon.push_back(reserve_);
  write_header_slot();
}

void SegmentStore::write_header_slot() {
  drive_header_pending_ = false;
  header_.counters.resize(streams_.size());
  for (size_t i = 0; i < streams_.size(); ++i)
    header_.counters[i] = {streams_[i].overwritten_frames, streams_[i].dropped_frames, streams_[i].rejected_units};
  header_.generation++;
  int slot = 1 - header_slot_;
  uint8_t bytes[kHeaderSlotSize];
  encode_header(header_, bytes);
  std::memcpy(file_.data() + slot * kHeaderSlotSize, bytes, kHeaderSlotSize);
  file_.sync_range(slot * kHeaderSlotSize, kHeaderSlotSize);
  header_slot_ = slot;
  header_writes_++;
}

bool SegmentStore::in_durable_horizon(uint32_t segment) const {
  // header_ is the header last written, and every header write is synchronous: it is the
  // one on disk. (While it is being written the previous one is, and the writer is not
  // writing: header writes happen on the writing thread.)
  return header_.horizon_all ||
         std::find(header_.horizon.begin(), header_.horizon.end(), segment) != header_.horizon.end();
}

SegmentStore::FlushTicket SegmentStore::begin_flush() {
  check_open();
  FlushTicket t{next_record_seq_, take_dirty_ranges()};
  flushes_.push_back({t.watermark, false});
  return t;
}

void SegmentStore::end_flush(uint64_t watermark, bool ok) {
  if (!ok) flush_failed_ = true;
  for (PendingFlush& f : flushes_)
    if (f.watermark == watermark && !f.done) {
      f.done = true;
      break;
    }
  uint64_t reached = durable_seq_;
  size_t n = 0;
  for (; n < flushes_.size() && flushes_[n].done; ++n) reached = std::max(reached, flushes_[n].watermark);
  flushes_.erase(flushes_.begin(), flushes_.begin() + long(n));
  if (closed() || !file_.writable() || flush_failed_ || reached <= durable_seq_) return;
  durable_seq_ = reached;
  write_header();
  release_durable_segments();
}

void SegmentStore::start_drive() {
  drive_id_ = header_.next_drive_id++;
  // Written (synchronously) before the drive's first segment, not here: an open that
  // writes nothing writes no header (a warm open is then a few milliseconds, not a sync).
  drive_header_pending_ = true;
  current_ = UINT32_MAX;  // each drive starts in a fresh segment
  // The drive's first segment too, when it is free: footage is reclaimed when the writer
  // first writes, never by an open alone (a camera switched on and off keeps its footage).
  NextSegmentPlan plan = plan_next_segment(UINT32_MAX);
  if (plan.segment != UINT32_MAX && !segments_[plan.segment].live()) {
    if (plan.discard && !in_durable_horizon(plan.segment)) write_header({plan.segment});
    begin_next_segment(plan);
  }
  for (auto& st : streams_) {
    st.seen_random_access = false;  // decoding a new drive starts at its first random access point
    st.sets = h264::ParameterSets();
    st.poc.reset();
    st.have_parameter_sets = false;
  }
}

uint32_t SegmentStore::stream_id(const std::string& name) const {
  for (uint32_t i = 0; i < streams_.size(); ++i)
    if (streams_[i].name == name) return i;
  std::string list;
  for (auto& s : streams_) list += (list.empty() ? "'" : ", '") + s.name + "'";
  throw Error(ErrorCode::InvalidArgument, "unknown stream '" + name + "': this store records " + list);
}

void SegmentStore::check_frame_times(const StreamState& st, int64_t pts_us, int64_t dts_us, int64_t capture_us) const {
  check_time("pts", pts_us);
  check_time("dts", dts_us);
  check_time("capture time", capture_us);
  if (dts_us <= st.last_dts_us)
    throw Error(ErrorCode::InvalidArgument, "timestamps of stream '" + st.name + "' go backwards: dts " +
                                                std::to_string(dts_us) + " µs is not after the previous " +
                                                std::to_string(st.last_dts_us) + " µs");
}

StreamState& SegmentStore::checked_stream(uint32_t stream, int64_t pts_us, int64_t dts_us, int64_t capture_us,
                                          StreamKind kind) {
  check_writable();
  if (stream >= streams_.size()) throw Error(ErrorCode::InvalidArgument, "no stream number " + std::to_string(stream));
  StreamState& st = streams_[stream];
  if (st.kind != kind) {
    static constexpr const char* kWrite[] = {"write() or writeSample()", "writeAudio()", "writeMetadata()"};
    throw Error(ErrorCode::InvalidArgument, "stream '" + st.name + "' records " + stream_kind_name(st.kind) + ", not " +
                                                stream_kind_name(kind) + ": write it with " + kWrite[uint8_t(st.kind)]);
  }
  check_frame_times(st, pts_us, dts_us, capture_us);
  return st;
}

WriteResult SegmentStore::write(uint32_t stream, const uint8_t* data, size_t size, int64_t pts_us, int64_t dts_us,
                                int64_t capture_us) {
  StreamState& st = checked_stream(stream, pts_us, dts_us, capture_us);
  nal_scratch_.clear();
  h264::for_each_nal(data, size, [&](const h264::NalView& nal) { nal_scratch_.push_back(nal); });
  if (nal_scratch_.empty())
    throw Error(ErrorCode::InvalidData,
                "the access unit (" + std::to_string(size) +
                    " bytes) holds no NAL unit: Annex B input starts with 00 00 01 or 00 00 00 01");
  // The scratch list goes into the unit and comes back: no allocation per write.
  return store_nal_units(st, stream, nal_scratch_, pts_us, dts_us, capture_us);
}

WriteResult SegmentStore::write_nal_units(uint32_t stream, std::vector<h264::NalView>& nals, int64_t pts_us,
                                          int64_t dts_us, int64_t capture_us) {
  StreamState& st = checked_stream(stream, pts_us, dts_us, capture_us);
  if (nals.empty()) throw Error(ErrorCode::InvalidData, "the access unit holds no NAL unit");
  return store_nal_units(st, stream, nals, pts_us, dts_us, capture_us);
}

WriteResult SegmentStore::write_audio(uint32_t stream, const uint8_t* frame, size_t size, const uint8_t* config,
                                      size_t config_size, int64_t pts_us, int64_t capture_us) {
  checked_stream(stream, pts_us, pts_us, capture_us, StreamKind::Audio);
  StreamConfig c;
  c.kind = StreamKind::Audio;
  c.config.assign(config, config + config_size);
  c.describe_audio();  // refuses what is not an AAC AudioSpecificConfig
  return store_timed_sample(stream, std::move(c), frame, size, pts_us, capture_us);
}

WriteResult SegmentStore::write_metadata(uint32_t stream, const uint8_t* sample, size_t size, uint32_t format,
                                         const uint8_t* entry, size_t entry_size, int64_t pts_us, int64_t capture_us) {
  checked_stream(stream, pts_us, pts_us, capture_us, StreamKind::Metadata);
  for (int shift = 24; shift >= 0; shift -= 8) {
    const uint8_t ch = uint8_t(format >> shift);
    if (ch < 0x20 || ch > 0x7E)
      throw Error(ErrorCode::InvalidArgument,
                  "a metadata format is a four-character code of printable ASCII (such as 'camm')");
  }
  if (entry_size > 4096) throw Error(ErrorCode::InvalidArgument, "a metadata sample entry body has at most 4096 bytes");
  StreamConfig c;
  c.kind = StreamKind::Metadata;
  c.format = format;
  c.config.assign(entry, entry + entry_size);
  return store_timed_sample(stream, std::move(c), sample, size, pts_us, capture_us);
}

WriteResult SegmentStore::store_timed_sample(uint32_t stream, StreamConfig&& config, const uint8_t* data, size_t size,
                                             int64_t pts_us, int64_t capture_us) {
  StreamState& st = streams_[stream];
  if (size == 0) throw Error(ErrorCode::InvalidData, "an empty sample for stream '" + st.name + "'");
  if (size > UINT32_MAX) throw Error(ErrorCode::InvalidArgument, "a sample of 4 GiB or more");
  // The last configuration is the one almost every sample has: no comparison beyond it.
  const StreamConfig* last = st.config_id ? this->config(stream, st.config_id) : nullptr;
  const uint32_t config_id = last && last->same_content(config) ? st.config_id : config_matching(stream, config);
  WriteResult r =
      store_access_unit(stream, config_id, PayloadSource{nullptr, data}, uint32_t(size), pts_us, pts_us, capture_us, 1);
  st.config_id = config_id;
  return r;
}

WriteResult SegmentStore::store_nal_units(StreamState& st, uint32_t stream, std::vector<h264::NalView>& nals,
                                          int64_t pts_us, int64_t dts_us, int64_t capture_us) {
  if (!st.have_parameter_sets) {
    // A stream that starts mid-GOP: until its first SPS, nothing can be decoded, so the
    // frames are dropped and counted rather than refused.
    bool carries_sps = false;
    for (const h264::NalView& nal : nals) carries_sps = carries_sps || nal.type() == h264::kNalSps;
    if (!carries_sps) {
      st.dropped_frames++;
      return WriteResult{};
    }
  }
  h264::AccessUnit unit;
  try {
    unit = h264::analyze_access_unit(std::move(nals), st.sets, st.poc);
    st.have_parameter_sets = true;
  } catch (const Error&) {
    st.rejected_units++;
    throw;
  }
  struct GiveBack {  // the list's capacity returns to the caller, also when append throws
    std::vector<h264::NalView>& to;
    h264::AccessUnit& unit;
    ~GiveBack() { to = std::move(unit.nals); }
  } give_back{nals, unit};
  return append(stream, unit, st.sets, pts_us, dts_us, capture_us);
}

uint32_t SegmentStore::config_for(uint32_t stream, const h264::AccessUnit& unit, const h264::ParameterSets& sets) {
  if (!sets.sps_bytes(unit.sps_id) || !sets.pps_bytes(unit.pps_id))
    throw Error(ErrorCode::InvalidData, "the access unit names parameter sets the stream has not carried");
  StreamState& st = streams_.at(stream);
  if (st.config_id != 0 && st.config_sets == &sets && st.config_sets_version == sets.version()) return st.config_id;
  // A configuration is the set of parameter sets in use, not the pair one unit names: an
  // encoder may alternate slices between several PPS (each unit naming another), and one
  // sample entry holds them all. It changes only when a set's bytes change (a PPS id
  // redefined, a new resolution).
  StreamConfig c;
  for (uint32_t id = 0; id < 32; ++id)
    if (const std::vector<uint8_t>* b = sets.sps_bytes(id)) c.sps.push_back(*b);
  for (uint32_t id = 0; id < 256; ++id)
    if (const std::vector<uint8_t>* b = sets.pps_bytes(id)) c.pps.push_back(*b);
  std::vector<StreamConfig>& list = configs_[stream];
  uint32_t id = 0;
  // A stream that alternates between redefinitions (a PPS re-sent with one of a few
  // contents) reuses its configurations instead of growing the list with every picture.
  size_t looked = 0;
  for (auto it = list.rbegin(); it != list.rend() && looked < 64; ++it, ++looked)
    if (it->sps == c.sps && it->pps == c.pps) {
      id = it->id;
      break;
    }
  if (id == 0) {
    uint32_t next = 1;
    for (const StreamConfig& x : list) next = std::max(next, x.id + 1);
    c.id = next;
    c.describe(*sets.sps(unit.sps_id));
    std::lock_guard<std::mutex> lock(mutex_);
    list.push_back(std::move(c));
    id = next;
  }
  st.config_id = id;
  st.config_sets = &sets;
  st.config_sets_version = sets.version();
  return id;
}

const StreamConfig* SegmentStore::config(uint32_t stream, uint32_t id) const {
  if (stream >= configs_.size()) return nullptr;
  for (const StreamConfig& c : configs_[stream])
    if (c.id == id) return &c;
  return nullptr;
}

std::optional<StreamConfig> SegmentStore::config_copy(uint32_t stream, uint32_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const StreamConfig* c = config(stream, id);
  if (!c) return std::nullopt;
  return *c;
}

WriteResult SegmentStore::append(uint32_t stream, const h264::AccessUnit& unit, const h264::ParameterSets& sets,
                                 int64_t pts_us, int64_t dts_us, int64_t capture_us) {
  check_writable();
  StreamState& st = streams_.at(stream);
  check_frame_times(st, pts_us, dts_us, capture_us);
  WriteResult result;
  if (!st.seen_random_access && unit.random_access == h264::RandomAccess::None) {
    st.dropped_frames++;  // undecodable: nothing before it to decode from
    return result;
  }
  return append(stream, unit, config_for(stream, unit, sets), pts_us, dts_us, capture_us);
}

WriteResult SegmentStore::append(uint32_t stream, const h264::AccessUnit& unit, uint32_t config_id, int64_t pts_us,
                                 int64_t dts_us, int64_t capture_us) {
  check_writable();
  StreamState& st = checked_stream(stream, pts_us, dts_us, capture_us);
  check_frame_times(st, pts_us, dts_us, capture_us);
  if (!st.seen_random_access && unit.random_access == h264::RandomAccess::None) {
    st.dropped_frames++;  // undecodable: nothing before it to decode from
    return WriteResult{};
  }
  if (!config(stream, config_id))
    throw Error(ErrorCode::InvalidArgument, "no configuration " + std::to_string(config_id));
  uint32_t payload = 0;
  for (const h264::NalView& nal : unit.nals)
    if (!is_parameter_set(nal.type())) payload += 4 + uint32_t(nal.size);
  return store_access_unit(stream, config_id, PayloadSource{&unit.nals, nullptr}, payload, pts_us, dts_us, capture_us,
                           uint8_t(unit.random_access));
}

WriteResult SegmentStore::append_stored(uint32_t stream, const StreamConfig& source_config, const uint8_t* payload,
                                        uint32_t size, int64_t pts_us, int64_t dts_us, int64_t capture_us,
                                        uint8_t random_access) {
  check_writable();
  StreamState& st = streams_.at(stream);
  check_frame_times(st, pts_us, dts_us, capture_us);
  if (random_access > 2)
    throw Error(ErrorCode::InvalidArgument,
                "random access kind " + std::to_string(random_access) + " is not 0, 1 or 2");
  if (source_config.kind != st.kind)
    throw Error(ErrorCode::InvalidArgument, std::string("a stored ") + stream_kind_name(source_config.kind) +
                                                " sample cannot go into " + stream_kind_name(st.kind) + " stream '" +
                                                st.name + "'");
  if (st.kind != StreamKind::Video) {
    if (size == 0) throw Error(ErrorCode::InvalidData, "a stored sample of '" + st.name + "' is empty");
    uint32_t config_id = config_matching(stream, source_config);
    return store_access_unit(stream, config_id, PayloadSource{nullptr, payload}, size, pts_us, dts_us, capture_us, 1);
  }
  // The payload must be whole length-prefixed NAL units: it is stored as it is.
  for (uint32_t at = 0; at < size;) {
    if (size - at < 4) throw Error(ErrorCode::InvalidData, "a stored access unit ends inside a NAL length prefix");
    uint32_t n = get_be32(payload + at);
    if (n == 0 || n > size - at - 4)
      throw Error(ErrorCode::InvalidData, "a stored access unit's NAL length " + std::to_string(n) + " runs past its " +
                                              std::to_string(size) + " bytes");
    at += 4 + n;
  }
  if (size == 0) throw Error(ErrorCode::InvalidData, "a stored access unit holds no NAL unit");
  if (!st.seen_random_access && random_access == 0) {
    st.dropped_frames++;  // undecodable: nothing before it to decode from
    return WriteResult{};
  }
  uint32_t config_id = config_matching(stream, source_config);
  return store_access_unit(stream, config_id, PayloadSource{nullptr, payload}, size, pts_us, dts_us, capture_us,
                           random_access);
}

uint32_t SegmentStore::config_matching(uint32_t stream, const StreamConfig& source) {
  if (source.kind == StreamKind::Video && (source.sps.empty() || source.pps.empty()))
    throw Error(ErrorCode::InvalidData, "a stored access unit comes without its SPS and PPS");
  std::vector<StreamConfig>& list = configs_[stream];
  for (auto it = list.rbegin(); it != list.rend(); ++it)
    if (it->same_content(source)) return it->id;
  StreamConfig c = source;
  c.id = list.empty() ? 1 : list.back().id + 1;
  std::lock_guard<std::mutex> lock(mutex_);
  list.push_back(std::move(c));
  return list.back().id;
}

WriteResult SegmentStore::store_access_unit(uint32_t stream, uint32_t config_id, const PayloadSource& source,
                                            uint32_t payload, int64_t pts_us, int64_t dts_us, int64_t capture_us,
                                            uint8_t random_access) {
  StreamState& st = streams_[stream];
  WriteResult result;
  const StreamConfig& config = *this->config(stream, config_id);
  uint32_t span = record_span(payload);
  uint32_t config_span = record_span(parameter_set_payload_size(config));
  const uint32_t config_payload = parameter_set_payload_size(config);
  // A segment holds its header, the records, and its index block (two entries and the
  // parameter-set payload for a segment holding this one unit).
  uint64_t room = uint64_t(header_.segment_size) - kSegmentHeaderSize - index_block_span(2, config_payload);
  if (uint64_t(span) + config_span > room) {
    st.dropped_frames++;
    throw Error(ErrorCode::InvalidArgument, "an access unit of " + std::to_string(payload) +
                                                " bytes does not fit a segment of " +
                                                std::to_string(header_.segment_size) +
                                                " bytes; create the store with a larger segmentSize (up to 64 MiB)");
  }
  bool need_config = current_ == UINT32_MAX || segments_[current_].config_written[stream] != config_id;
  uint32_t needed = span + (need_config ? config_span : 0);
  if (current_ == UINT32_MAX || !fits_current(needed, need_config ? 2 : 1, need_config ? config_payload : 0)) {
    try {
      start_segment(capture_us);
    } catch (const Error&) {
      st.dropped_frames++;
      throw;
    }
    need_config = true;
  }
  if (need_config) write_config_record(stream, config, pts_us, capture_us);

  Segment& seg = segments_[current_];
  RecordHeader rh;
  rh.dts_us = dts_us;
  rh.pts_us = pts_us;
  rh.capture_us = capture_us;
  rh.payload_size = payload;
  rh.config_id = config_id;
  rh.stream = uint8_t(stream);
  rh.type = RecordType::AccessUnit;
  rh.random_access = random_access;
  uint32_t offset = seg.used;
  RecordCursor cursor = begin_record(rh);
  if (source.nals) {
    for (const h264::NalView& nal : *source.nals)
      if (!is_parameter_set(nal.type())) put_nal(cursor, nal.data, nal.size);
  } else {
    cursor.crc = copy_with_crc32c(cursor.out, source.stored, payload, cursor.crc);
    cursor.out += payload;
  }
  finish_record(cursor, rh);
  {
    std::lock_guard<std::mutex> lock(mutex_);  // indexed once sealed: readers never see a half-written record
    seg.frames[stream].push_back({dts_us, pts_us, offset, payload, config_id, random_access, {0, 0, 0}});
    seg.note_frame(drive_id_, stream, pts_us);
  }
  st.last_dts_us = dts_us;
  st.seen_random_access = true;
  result.stored = true;
  result.random_access = random_access != 0;
  result.events_pending = !events_.empty();
  return result;
}

void SegmentStore::write_config_record(uint32_t stream, const StreamConfig& config, int64_t pts_us,
                                       int64_t capture_us) {
  RecordHeader rh;
  rh.dts_us = pts_us;
  rh.pts_us = pts_us;
  rh.capture_us = capture_us;
  rh.payload_size = parameter_set_payload_size(config);
  rh.config_id = config.id;
  rh.stream = uint8_t(stream);
  rh.type = RecordType::ParameterSets;
  RecordCursor cursor = begin_record(rh);
  if (config.kind == StreamKind::Video) {
    for (auto& s : config.sps) put_nal(cursor, s.data(), s.size());
    for (auto& p : config.pps) put_nal(cursor, p.data(), p.size());
  } else {
    if (config.kind == StreamKind::Metadata) {
      uint8_t type[4];
      put_be32(type, config.format);
      cursor.crc = copy_with_crc32c(cursor.out, type, 4, cursor.crc);
      cursor.out += 4;
    }
    cursor.crc = copy_with_crc32c(cursor.out, config.config.data(), config.config.size(), cursor.crc);
    cursor.out += config.config.size();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Segment& seg = segments_[current_];
    seg.config_written[stream] = config.id;
    seg.parameter_records.push_back({seg.used, rh.payload_size, config.id, uint8_t(stream), pts_us});
    seg.parameter_bytes += rh.payload_size;
  }
  finish_record(cursor, rh);
}

void SegmentStore::seal_recovered_segments() {
  std::vector<uint32_t> unsealed, outside;
  for (uint32_t i = 0; i < segments_.size(); ++i) {
    const Segment& seg = segments_[i];
    if (!seg.live() || seg.sealed || seg.suspect || !seg.holes.empty() || seg.next_record_seq == seg.first_record_seq)
      continue;
    unsealed.push_back(i);
    if (!in_durable_horizon(i)) outside.push_back(i);
  }
  if (unsealed.empty()) return;
  // The writer rule holds for index blocks too: the header on disk lists a segment before
  // anything is written into it.
  if (!outside.empty()) write_header(outside);
  for (uint32_t i : unsealed) seal_segment(i);
  // Durable before a header whose horizon no longer lists them is written (start_drive).
  sync(take_dirty_ranges());
}

bool SegmentStore::fits_current(uint32_t bytes, uint32_t records, uint32_t parameter_bytes) const {
  const Segment& seg = segments_[current_];
  if (seg.sealed) return false;
  uint64_t count = seg.next_record_seq - seg.first_record_seq + records;
  return uint64_t(seg.used) + bytes + index_block_span(uint32_t(count), seg.parameter_bytes + parameter_bytes) <=
         header_.segment_size;
}

void SegmentStore::seal_segment(uint32_t index) {
  Segment& seg = segments_[index];
  const uint64_t count = seg.next_record_seq - seg.first_record_seq;
  if (!seg.live() || seg.sealed || count == 0 || seg.suspect || !seg.holes.empty()) return;
  std::vector<IndexBlockEntry> entries;
  entries.reserve(count);
  for (uint32_t s = 0; s < streams_.size(); ++s)
    for (const IndexEntry& e : seg.frames[s])
      entries.push_back({e.dts_us, e.pts_us, e.offset, e.payload_size, e.config_id, uint8_t(s), RecordType::AccessUnit,
                         e.random_access});
  for (const ParameterRecord& p : seg.parameter_records)
    entries.push_back(
        {p.pts_us, p.pts_us, p.offset, p.payload_size, p.config_id, p.stream, RecordType::ParameterSets, 0});
  // Records follow each other in sequence order: the offset orders them.
  std::sort(entries.begin(), entries.end(),
            [](const IndexBlockEntry& a, const IndexBlockEntry& b) { return a.offset < b.offset; });
  // A segment the index does not fully describe (a format-2 segment written to its end, a
  // recovered one that lost records) stays unsealed: open keeps scanning it.
  if (entries.size() != count) return;
  uint32_t span = index_block_span(uint32_t(count), seg.parameter_bytes);
  if (uint64_t(seg.used) + span > header_.segment_size) return;
  uint8_t* base = file_.data() + segment_offset(index);
  std::vector<uint8_t> parameters;
  parameters.reserve(seg.parameter_bytes);
  for (const IndexBlockEntry& e : entries)
    if (e.type == RecordType::ParameterSets)
      parameters.insert(parameters.end(), base + e.offset + kRecordHeaderSize,
                        base + e.offset + kRecordHeaderSize + e.payload_size);
  IndexFooter f;
  f.segment_seq = seg.seq;
  f.first_record_seq = seg.first_record_seq;
  f.records_end = seg.used;
  f.parameter_bytes = uint32_t(parameters.size());
  f.drive_id = seg.drive_id;
  encode_index_block(base, header_.segment_size, f, entries, parameters.data());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seg.sealed = true;
  }
  mark_dirty(uint64_t(base - file_.data()) + header_.segment_size - span, span);
}

SegmentStore::RecordCursor SegmentStore::begin_record(RecordHeader& rh) {
  rh.seq = next_record_seq_;
  rh.drive_id = drive_id_;
  uint8_t* at = file_.data() + segment_offset(current_) + segments_[current_].used;
  encode_record_header(rh, at);
  // The record CRC covers header bytes 8.. and the payload (format.h): start it here.
  return RecordCursor{at + kRecordHeaderSize, crc32c(at + 8, kRecordHeaderSize - 8)};
}

void SegmentStore::put_nal(RecordCursor& cursor, const uint8_t* data, size_t size) {
  put_be32(cursor.out, uint32_t(size));
  cursor.crc = crc32c_extend(cursor.crc, cursor.out, 4);
  cursor.crc = copy_with_crc32c(cursor.out + 4, data, size, cursor.crc);
  cursor.out += 4 + size;
}

uint32_t SegmentStore::finish_record(const RecordCursor& cursor, const RecordHeader& rh) {
  Segment& seg = segments_[current_];
  uint8_t* at = file_.data() + segment_offset(current_) + seg.used;
  uint32_t span = record_span(rh.payload_size);
  std::memset(cursor.out, 0, span - kRecordHeaderSize - rh.payload_size);  // alignment padding
  finish_copies();  // the payload's non-temporal stores land before the CRC that seals them
  seal_record(at, cursor.crc);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seg.used += span;
    seg.next_record_seq = ++next_record_seq_;
  }
  mark_dirty(uint64_t(at - file_.data()), span);
  return span;
}

void Segment::note_frame(uint32_t drive, uint32_t stream, int64_t pts_us) {
  min_pts_us = std::min(min_pts_us, pts_us);
  max_pts_us = std::max(max_pts_us, pts_us);
  for (DriveSpan& d : drives) {
    if (d.drive_id != drive || d.stream != stream) continue;
    d.first_pts_us = std::min(d.first_pts_us, pts_us);
    d.last_pts_us = std::max(d.last_pts_us, pts_us);
    d.frames++;
    return;
  }
  drives.push_back({drive, stream, pts_us, pts_us, 1});
}

bool SegmentStore::segment_protected(uint32_t index) const {
  const Segment& s = segments_[index];
  if (s.min_pts_us > s.max_pts_us) return false;
  for (const Protection& p : header_.protections)
    if (s.max_pts_us >= p.covered_from_us && s.min_pts_us <= p.to_us) return true;
  return false;
}

uint32_t SegmentStore::choose_segment_to_reclaim(uint32_t exclude) const {
  for (uint32_t i = 0; i < segments_.size(); ++i)
    if (!segments_[i].live() && segments_[i].pins == 0 && i != current_ && i != exclude) return i;
  uint32_t best = UINT32_MAX;
  for (uint32_t i = 0; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    if (i == current_ || i == exclude || s.pins > 0 || segment_protected(i)) continue;
    if (best == UINT32_MAX || s.seq < segments_[best].seq) best = i;
  }
  return best;
}

void SegmentStore::start_segment(int64_t capture_us) {
  if (current_ != UINT32_MAX) {
    seal_segment(current_);
    if (preparer_ && isolated_[current_]) {
      isolated_[current_] = false;
      preparer_->restore(segment_offset(current_), header_.segment_size);
    }
  }
  uint32_t index;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool reserve_usable = reserve_ != UINT32_MAX && !segments_[reserve_].live() && segments_[reserve_].pins == 0;
    index = reserve_usable ? reserve_ : choose_segment_to_reclaim();
  }
  reserve_ = UINT32_MAX;
  // Its old blocks may still be being dropped: writing before that ends would lose records.
  if (preparer_ && index != UINT32_MAX) preparer_->wait_discarded(index);
  if (index == UINT32_MAX) {
    uint32_t pinned = 0, held = 0;
    for (uint32_t i = 0; i < segments_.size(); ++i) {
      if (segments_[i].pins)
        pinned++;
      else if (segment_protected(i))
        held++;
    }
    throw Error(ErrorCode::NoSpace,
                "no segment can be reclaimed: of " + std::to_string(segments_.size()) + " segments, " +
                    std::to_string(held) + " are protected and " + std::to_string(pinned) +
                    " are pinned by readers; release a protection or a clip (the frame was not stored)");
  }
  // Bytes written into a segment the durable header does not list could overwrite records
  // that open would trust without reading: list it first (docs/FORMAT.md, "Reclaim horizon").
  // The segment whose old blocks will be dropped next is listed by the same header write.
  const NextSegmentPlan plan = plan_next_segment(index);
  std::vector<uint32_t> unlisted;
  if (!in_durable_horizon(index)) unlisted.push_back(index);
  if (plan.discard && !in_durable_horizon(plan.segment)) unlisted.push_back(plan.segment);
  if (!unlisted.empty() || drive_header_pending_) write_header(unlisted);
  const bool index_was_live = segments_[index].live();
  if (index_was_live) reclaim(index);
  // Old footage the preparer did not get to (the first segment a drive writes, or a plan
  // overtaken by a pin): when it is not resident its blocks are dropped now, so the
  // writer's page faults read nothing back. The writer waits for the drop alone.
  if (preparer_ && index_was_live) {
    const uint64_t offset = segment_offset(index);
    if (prepare_ == PrepareAhead::Discard || !preparer_->resident(offset, header_.segment_size)) {
      invalidate_segment_header(index);
      isolated_[index] = true;
      preparer_->prepare(index, offset, header_.segment_size, true, true);
      preparer_->wait_discarded(index);
    }
  }
  // The index of each segment is sized from the one before it (segments of one store hold
  // about the same number of frames), so it neither doubles its way up, copying and leaving
  // freed blocks behind in the heap, nor keeps more than a little spare capacity.
  std::array<size_t, kMaxStreams> expected{};
  if (current_ != UINT32_MAX) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t s = 0; s < streams_.size(); ++s) {
      auto& frames = segments_[current_].frames[s];
      expected[s] = frames.size() + frames.size() / 16;
      // The finished segment's index no longer grows: a sizing that missed by more than an
      // eighth gives its spare capacity back, keeping the index near 32 bytes per frame.
      if (frames.capacity() - frames.size() > frames.size() / 8) frames.shrink_to_fit();
    }
  }
  SegmentHeader sh;
  sh.segment_seq = next_segment_seq_++;
  sh.first_record_seq = next_record_seq_;
  sh.segment_index = index;
  sh.drive_id = drive_id_;
  sh.started_us = capture_us;
  uint8_t* at = file_.data() + segment_offset(index);
  encode_segment_header(sh, at);
  // Readers in other processes check the segment's generation after they copy (docs/
  // RELIABILITY.md): the new header must be visible before any record byte of the new
  // generation, and the records are copied with non-temporal stores, which x86 does not
  // order after earlier stores without a fence. A store fence, not only the full fence:
  // compilers make that a locked instruction, which AMD does not order before later
  // non-temporal stores (3 of 4 runs of the cross-process readers on an EPYC under load
  // read a frame of the next generation while the old header still showed).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  finish_copies();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Segment& seg = segments_[index];
    seg = Segment();
    seg.seq = sh.segment_seq;
    seg.first_record_seq = sh.first_record_seq;
    seg.next_record_seq = sh.first_record_seq;
    seg.used = kSegmentHeaderSize;
    seg.drive_id = drive_id_;
    seg.started_us = capture_us;
    for (size_t s = 0; s < streams_.size(); ++s) seg.frames[s].reserve(expected[s]);
    current_ = index;
  }
  mark_dirty(uint64_t(at - file_.data()), kSegmentHeaderSize);
  begin_next_segment(plan);
}

// Rings smaller than this keep every segment's footage until the writer needs the segment:
// one segment reclaimed early is a large part of them.
constexpr uint32_t kMinSegmentsToReclaimAhead = 8;
// Segments behind the writer kept in the page cache after they are durable: clips of the
// last minutes (events) read them.
constexpr uint32_t kCachedRecentSegments = 4;

SegmentStore::NextSegmentPlan SegmentStore::plan_next_segment(uint32_t starting) const {
  NextSegmentPlan plan;
  if (!preparer_) return plan;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    plan.segment = choose_segment_to_reclaim(starting);
  }
  if (plan.segment == UINT32_MAX) return plan;
  if (!segments_[plan.segment].live()) {
    // A free segment: never used (unwritten blocks, nothing to read) or emptied. Its
    // neighbours decide how its pages come in: read-around is fine next to unwritten or
    // cached segments, and reads old footage back next to cold ones.
    // A segment found free at open can still hold old bytes (a writer killed before its
    // drop ran): its blocks are dropped too, which loses nothing.
    const uint32_t n = header_.segment_count;
    plan.isolate = (plan.segment > 0 && cold(plan.segment - 1)) || (plan.segment + 1 < n && cold(plan.segment + 1));
    plan.discard = stale_[plan.segment];
    return plan;
  }
  // Old footage whose pages are resident costs no read: the writer overwrites it in place.
  if (header_.segment_count < kMinSegmentsToReclaimAhead ||
      !(prepare_ == PrepareAhead::Discard || cold(plan.segment))) {
    plan.segment = UINT32_MAX;
    return plan;
  }
  plan.discard = true;
  plan.isolate = true;
  return plan;
}

bool SegmentStore::cold(uint32_t segment) const {
  return segments_[segment].live() && !preparer_->resident(segment_offset(segment), header_.segment_size);
}

void SegmentStore::begin_next_segment(const NextSegmentPlan& plan) {
  if (!preparer_ || plan.segment == UINT32_MAX || plan.segment == current_) return;
  if (plan.discard) {
    // Dropping its blocks writes to it: the header on disk lists it (writer rule).
    if (!in_durable_horizon(plan.segment)) return;
    // A reader may have pinned it (or a protection covered it) since the plan: it stays.
    if (segments_[plan.segment].live()) {
      if (!reclaim_if_unheld(plan.segment)) return;
      invalidate_segment_header(plan.segment);
    }
  }
  reserve_ = plan.segment;
  isolated_[plan.segment] = plan.isolate;
  stale_[plan.segment] = false;
  preparer_->prepare(plan.segment, segment_offset(plan.segment), header_.segment_size, plan.discard, plan.isolate);
}

void SegmentStore::invalidate_segment_header(uint32_t index) {
  // Readers in other processes check a segment's generation around their copies (docs/
  // RELIABILITY.md): the header changes, visibly, before any of its pages can change. The
  // drop that follows (fallocate on the preparer's thread) would otherwise change the
  // pages in whatever order the kernel takes them.
  std::memset(file_.data() + segment_offset(index), 0, kSegmentHeaderSize);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  finish_copies();  // as in start_segment: later non-temporal stores too
}

void SegmentStore::release_durable_segments() {
  if (!preparer_) return;
  std::vector<uint32_t> order = live_segments_in_order();
  if (order.size() <= kCachedRecentSegments) return;
  order.resize(order.size() - kCachedRecentSegments);
  for (uint32_t i : order) {
    Segment& seg = segments_[i];
    if (seg.released || !seg.sealed || seg.pins > 0 || i == current_ || seg.next_record_seq > durable_seq_) continue;
    seg.released = true;
    preparer_->release(segment_offset(i), header_.segment_size);
  }
}

void SegmentStore::reclaim(uint32_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  reclaim_locked(index);
}

bool SegmentStore::reclaim_if_unheld(uint32_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (segments_[index].pins > 0 || segment_protected(index)) return false;
  reclaim_locked(index);
  return true;
}

void SegmentStore::reclaim_locked(uint32_t index) {
  Segment& seg = segments_[index];
  for (uint32_t s = 0; s < streams_.size(); ++s) {
    const auto& frames = seg.frames[s];
    if (frames.empty()) continue;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (const IndexEntry& e : frames) {
      lo = std::min(lo, e.pts_us);
      hi = std::max(hi, e.pts_us);
    }
    events_.push_back({s, lo, hi, frames.size()});
    streams_[s].overwritten_frames += frames.size();
    streams_[s].reclaimed_until_dts_us = std::max(streams_[s].reclaimed_until_dts_us, frames.back().dts_us);
  }
  seg = Segment();
}

std::vector<OverwriteEvent> SegmentStore::take_events() {
  std::vector<OverwriteEvent> out;
  out.swap(events_);
  return out;
}

int64_t SegmentStore::covered_from(int64_t from_us) const {
  int64_t covered = from_us;
  for (uint32_t s = 0; s < streams_.size(); ++s) {
    // The random access point at or before from_us: decoding the protected range starts there.
    int64_t best = INT64_MIN;
    for (const Segment& seg : segments_) {
      if (!seg.live()) continue;
      for (const IndexEntry& e : seg.frames[s])
        if (e.random_access && e.pts_us <= from_us && e.pts_us > best) best = e.pts_us;
    }
    if (best != INT64_MIN) covered = std::min(covered, best);
  }
  return covered;
}

uint64_t SegmentStore::protect(int64_t from_us, int64_t to_us) {
  check_writable();
  check_time("protect(): 'from'", from_us);
  check_time("protect(): 'to'", to_us);
  if (to_us < from_us) throw Error(ErrorCode::InvalidArgument, "protect(): 'to' is before 'from'");
  Protection p;
  p.id = header_.generation + 1;  // generations only grow, so ids are never reused
  p.from_us = from_us;
  p.to_us = to_us;
  p.covered_from_us = covered_from(from_us);

  // Bytes held: the segments covered now, plus for a range reaching into the future the
  // bytes it will take at the rate recorded so far.
  auto covered_by = [&](const Segment& s, const Protection& q) {
    return s.live() && s.min_pts_us <= s.max_pts_us && s.max_pts_us >= q.covered_from_us && s.min_pts_us <= q.to_us;
  };
  uint64_t held = 0, newest = 0;
  int64_t oldest_pts = INT64_MAX, newest_pts = INT64_MIN;
  uint64_t used = 0;
  for (const Segment& s : segments_) {
    if (!s.live()) continue;
    used += s.used;
    if (s.min_pts_us <= s.max_pts_us) {
      oldest_pts = std::min(oldest_pts, s.min_pts_us);
      newest_pts = std::max(newest_pts, s.max_pts_us);
    }
    bool by_new = covered_by(s, p);
    bool by_old = false;
    for (const Protection& q : header_.protections) by_old = by_old || covered_by(s, q);
    if (by_new || by_old) held += header_.segment_size;
    (void)newest;
  }
  if (to_us > newest_pts && newest_pts > oldest_pts) {
    double rate = double(used) / double(newest_pts - oldest_pts);  // bytes per µs
    int64_t future_from = std::max(newest_pts, p.covered_from_us);
    // The future share can exceed any cap (frames 1 µs apart, 'to' in 2255): clamped before
    // it is converted, so the cast is defined.
    const double future = rate * double(to_us - future_from);
    held += (future < double(header_.protect_cap_bytes) ? uint64_t(future) : header_.protect_cap_bytes) +
            header_.segment_size;  // + the segment being filled
  }
  if (held > header_.protect_cap_bytes)
    throw Error(
        ErrorCode::ProtectionLimit,
        "protecting this range would hold about " + std::to_string(held >> 20) +
            " MiB of footage (with the ranges already protected), over the cap of " +
            std::to_string(header_.protect_cap_bytes >> 20) +
            " MiB; release a protection, protect a shorter range, or create the store with a larger protectCap");
  if (header_.protections.size() >= kMaxProtections)
    throw Error(ErrorCode::ProtectionLimit, "at most 64 protections can be held at once; release one first");
  header_.protections.push_back(p);
  write_header();
  return p.id;
}

void SegmentStore::release_protection(uint64_t id) {
  check_open();
  auto it = std::find_if(header_.protections.begin(), header_.protections.end(),
                         [&](const Protection& p) { return p.id == id; });
  if (it == header_.protections.end()) return;  // releasing twice is harmless
  header_.protections.erase(it);
  if (file_.writable()) write_header();
}

std::vector<ProtectionInfo> SegmentStore::protections() const {
  std::vector<ProtectionInfo> out;
  for (const Protection& p : header_.protections) {
    uint64_t bytes = 0;
    for (const Segment& s : segments_)
      if (s.live() && s.min_pts_us <= s.max_pts_us && s.max_pts_us >= p.covered_from_us && s.min_pts_us <= p.to_us)
        bytes += header_.segment_size;
    out.push_back({p, bytes});
  }
  return out;
}

void SegmentStore::pin(uint32_t segment) {
  std::lock_guard<std::mutex> lock(mutex_);
  segments_.at(segment).pins++;
}

bool SegmentStore::pin_if_live(uint32_t segment, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed() || segment >= segments_.size() || segments_[segment].seq != seq) return false;
  segments_[segment].pins++;
  return true;
}

void SegmentStore::unpin(uint32_t segment) {
  std::lock_guard<std::mutex> lock(mutex_);
  Segment& s = segments_.at(segment);
  if (s.pins > 0) s.pins--;
}

void SegmentStore::mark_dirty(uint64_t offset, uint64_t length) {
  if (!dirty_.empty() && dirty_.back().offset + dirty_.back().length == offset) {
    dirty_.back().length += length;
    return;
  }
  dirty_.push_back({offset, length});
}

std::vector<SegmentStore::Range> SegmentStore::take_dirty_ranges() {
  std::vector<Range> out;
  out.swap(dirty_);
  return out;
}

void SegmentStore::sync(const std::vector<Range>& ranges) const {
  for (const Range& r : ranges) file_.sync_range(r.offset, r.length);
}

void SegmentStore::sync_unless_closed(const std::vector<Range>& ranges) const {
  std::shared_lock<std::shared_mutex> mapping(mapping_lock_);
  if (!closed()) sync(ranges);
}

ByteSpan SegmentStore::segment_bytes(uint32_t segment) const {
  check_open();
  if (segment >= header_.segment_count)
    throw Error(ErrorCode::InvalidArgument, "segment " + std::to_string(segment) + " does not exist: the store has " +
                                                std::to_string(header_.segment_count) + " segments");
  return ByteSpan{segment_data(segment), header_.segment_size};
}

std::vector<uint32_t> SegmentStore::live_segments_in_order() const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < segments_.size(); ++i)
    if (segments_[i].live()) out.push_back(i);
  std::sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) {
    const Segment& x = segments_[a];
    const Segment& y = segments_[b];
    return x.seq != y.seq ? x.seq < y.seq : x.first_record_seq < y.first_record_seq;
  });
  return out;
}

uint64_t SegmentStore::used_bytes() const {
  uint64_t n = 0;
  for (const Segment& s : segments_)
    if (s.live()) n += s.used;
  return n;
}

uint64_t SegmentStore::protected_bytes() const {
  uint64_t n = 0;
  for (uint32_t i = 0; i < segments_.size(); ++i)
    if (segments_[i].live() && segment_protected(i)) n += header_.segment_size;
  return n;
}

SegmentStore::VerifyReport SegmentStore::verify() const {
  check_open();
  VerifyReport r;
  for (uint32_t i = 0; i < segments_.size(); ++i) {
    const Segment& seg = segments_[i];
    if (!seg.live()) continue;
    const uint8_t* base = segment_data(i);
    for (uint32_t s = 0; s < streams_.size(); ++s) {
      for (const IndexEntry& e : seg.frames[s]) {
        r.records++;
        r.bytes += e.payload_size;
        if (!record_crc_ok(base + e.offset, e.payload_size)) {
          r.bad_records++;
          r.problems.push_back("segment " + std::to_string(i) + " offset " + std::to_string(e.offset) + ": stream '" +
                               streams_[s].name + "' frame at " + std::to_string(e.pts_us) + " µs fails its CRC");
        }
      }
    }
    if (seg.sealed) verify_index_block(i, r);
    for (uint32_t hole : seg.holes)
      r.problems.push_back("segment " + std::to_string(i) + " offset " + std::to_string(hole) +
                           ": damaged records were skipped when the store was opened");
  }
  if (recovery_.damaged_segment_headers)
    r.problems.push_back(std::to_string(recovery_.damaged_segment_headers) +
                         " segment header(s) were damaged when the store was opened; their records were kept");
  return r;
}

// The index block must say what the records say: open trusts it instead of reading them.
void SegmentStore::verify_index_block(uint32_t index, VerifyReport& r) const {
  const uint8_t* base = segment_data(index);
  const Segment& seg = segments_[index];
  IndexFooter f;
  auto problem = [&](const std::string& what) {
    r.problems.push_back("segment " + std::to_string(index) + ": its index block " + what);
  };
  if (!decode_index_footer(base, header_.segment_size, f) || f.segment_seq != seg.seq) {
    problem("is damaged (its CRC fails); reopening the store scans the segment's records instead");
    return;
  }
  const uint8_t* block = base + index_block_offset(header_.segment_size, f);
  for (uint32_t k = 0; k < f.record_count; ++k) {
    IndexBlockEntry e = decode_index_entry(block + uint64_t(k) * kIndexEntrySize);
    RecordHeader rh;
    bool same = uint64_t(e.offset) + kRecordHeaderSize <= header_.segment_size &&
                decode_record_header(base + e.offset, rh) && rh.seq == f.first_record_seq + k &&
                rh.payload_size == e.payload_size && rh.stream == e.stream && rh.type == e.type &&
                rh.config_id == e.config_id &&
                (e.type != RecordType::AccessUnit ||
                 (rh.dts_us == e.dts_us && rh.pts_us == e.pts_us && rh.random_access == e.random_access));
    if (!same) {
      problem("disagrees with record " + std::to_string(f.first_record_seq + k) + " at offset " +
              std::to_string(e.offset) + "; open with verify: 'full' to index the segment from its records");
      r.bad_records++;
      return;
    }
  }
}

void SegmentStore::close() {
  std::unique_lock<std::shared_mutex> mapping(mapping_lock_);
  if (closed()) return;
  if (preparer_) {
    // The reserve's old blocks are dropped before the last header is written: a store
    // closed cleanly then shows it as a free segment, not as footage to scan at open.
    if (reserve_ != UINT32_MAX) preparer_->wait_discarded(reserve_);
    preparer_->stop();
  }
  if (file_.writable() && opened_) {
    if (current_ != UINT32_MAX) seal_segment(current_);
    sync(take_dirty_ranges());
    // After a failed flush its ranges were never synced: sync everything instead.
    if (flush_failed_) file_.sync_range(kDataOffset, file_.size() - kDataOffset);
    durable_seq_ = next_record_seq_;
    // An open that wrote nothing (no header since, the counters as loaded) leaves the
    // header it found: it is still true, and a close of a store that was only looked at
    // then costs no sync.
    bool counters_moved = false;
    for (size_t i = 0; i < streams_.size(); ++i) {
      StreamCounters c = i < header_.counters.size() ? header_.counters[i] : StreamCounters{};
      counters_moved = counters_moved || c.overwritten != streams_[i].overwritten_frames ||
                       c.dropped != streams_[i].dropped_frames || c.rejected != streams_[i].rejected_units;
    }
    if (header_writes_ > 0 || !drive_header_pending_ || counters_moved || durable_seq_ != header_.durable_record_seq)
      write_closing_header();  // saves the counters and the durable watermark
  }
  std::lock_guard<std::mutex> lock(mutex_);
  file_.close();
}

}  // namespace ringclip::store
