// Fragmented MP4: an init segment (ftyp + moov with empty sample tables + mvex) and media
// segments (moof + mdat). This is what MSE players and DASH/HLS-fMP4 packagers consume.
#include <algorithm>
#include <string>
#include <vector>

#include "mp4/box_writer.h"
#include "mp4/movie_boxes.h"
#include "mp4/movie_time.h"
#include "mp4/sample_tables.h"
#include "mp4/writer.h"
#include "util/error.h"

namespace ringclip::mp4 {
namespace {

// tfhd: sample data offsets count from this moof's first byte, not from the previous
// traf's data. Required for MSE and what iso5 promises.
constexpr uint32_t kTfhdDefaultBaseIsMoof = 0x020000;
constexpr uint32_t kTfhdSampleDescriptionIndex = 0x000002;

constexpr uint32_t kTrunDataOffset = 0x000001;
constexpr uint32_t kTrunSampleDuration = 0x000100;
constexpr uint32_t kTrunSampleSize = 0x000200;
constexpr uint32_t kTrunSampleFlags = 0x000400;
constexpr uint32_t kTrunCompositionOffset = 0x000800;

// sample_flags: a sync sample depends on nothing (sample_depends_on = 2); any other
// sample depends on others (1) and is marked sample_is_non_sync_sample.
constexpr uint32_t kSyncSampleFlags = 0x02000000;
constexpr uint32_t kNonSyncSampleFlags = 0x01000000 | 0x00010000;

void write_mvex(BoxWriter& w, const Movie& movie, const FragmentedOptions& options) {
  size_t mvex = w.open("mvex");
  if (options.known_duration) {
    uint64_t duration = movie_duration(movie);
    bool wide = duration > UINT32_MAX;
    size_t mehd = w.open_full("mehd", wide ? 1 : 0, 0);
    if (wide) {
      w.u64(duration);
    } else {
      w.u32(uint32_t(duration));
    }
    w.close(mehd);
  }
  for (const Track& t : movie.tracks) {
    size_t trex = w.open_full("trex", 0, 0);
    w.u32(t.track_id);
    w.u32(1);  // default_sample_description_index
    w.u32(0);  // default duration, size, flags: every trun states its own
    w.u32(0);
    w.u32(0);
    w.close(trex);
  }
  w.close(mvex);
}

void check_ranges(const std::vector<FragmentTrack>& tracks, const std::vector<FragmentRange>& ranges) {
  if (ranges.size() != tracks.size())
    throw Error(ErrorCode::InvalidArgument, "append_fragment needs one range per track");
  for (size_t i = 0; i < ranges.size(); ++i) {
    const FragmentRange& r = ranges[i];
    const Track& t = *tracks[i].track;
    if (r.first > r.last || r.last > t.samples.size())
      throw Error(ErrorCode::InvalidArgument, "fragment range outside the samples of track " + t.name);
    if (r.first < r.last && t.samples[r.first].dts + tracks[i].dts_shift < 0)
      throw Error(ErrorCode::InvalidArgument, "negative decode time in track " + t.name);
  }
}

// Box sizes of a fragment (ISO/IEC 14496-12 8.8): a full box header is 12 bytes.
constexpr uint64_t kMoofAndMfhd = 8 + 16;
constexpr uint64_t kTrafHeader = 8 + 16 + 20 + 20;  // traf, tfhd (track_ID), tfdt v1, trun (count, data_offset)
constexpr uint64_t kTfhdDescription = 4;            // tfhd's sample_description_index
uint64_t trun_entry_size(bool composition_offsets) { return composition_offsets ? 16 : 12; }

// A traf per run of samples on one sample description, from `run`: its end, and whether
// any of its samples is presented at another time than it is decoded (trun needs offsets).
size_t run_end(const Track& track, size_t run, size_t last, bool& composition_offsets) {
  size_t end = run + 1;
  while (end < last && track.samples[end].description == track.samples[run].description) ++end;
  composition_offsets = false;
  for (size_t s = run; s < end; ++s)
    composition_offsets = composition_offsets || track.samples[s].pts != track.samples[s].dts;
  return end;
}

bool large_mdat(uint64_t payload) { return payload > uint64_t(UINT32_MAX) - 8; }

// Where a version-1 sidx holds first_offset: after the box header (8), version and flags
// (4), reference_ID (4), timescale (4) and earliest_presentation_time (8).
constexpr size_t kSidxFirstOffset = 28;

struct SegmentReference {
  uint64_t offset;                // of the subsegment, from the first fragment's start
  uint64_t size;                  // bytes
  int64_t earliest_pts, end_pts;  // what its samples present, in the track's timescale
  bool starts_with_sap;
};

// sidx (ISO/IEC 14496-12 8.16.3), version 1: one reference per subsegment, each starting at
// one of the track's fragments. Empty when a subsegment does not fit its 31-bit size.
std::vector<uint8_t> build_segment_index(const Track& track, const std::vector<SegmentReference>& refs) {
  if (refs.empty() || refs.size() > 0xFFFF || refs.front().earliest_pts < 0) return {};
  std::vector<uint8_t> out;
  BoxWriter w(out);
  size_t sidx = w.open_full("sidx", 1, 0);
  w.u32(track.track_id);  // reference_ID
  w.u32(track.timescale);
  w.u64(uint64_t(refs.front().earliest_pts));  // earliest_presentation_time
  w.u64(0);                                    // first_offset: patched once every sidx's size is known
  w.u16(0);                                    // reserved
  w.u16(uint16_t(refs.size()));
  for (size_t i = 0; i < refs.size(); ++i) {
    const SegmentReference& r = refs[i];
    // Durations chain the earliest presentation times: subsegment k starts presenting at
    // the first's time plus the durations before it.
    const int64_t duration = (i + 1 < refs.size() ? refs[i + 1].earliest_pts : r.end_pts) - r.earliest_pts;
    if (r.size > 0x7FFFFFFF || duration < 0 || duration > INT64_C(0xFFFFFFFF)) return {};
    w.u32(uint32_t(r.size));    // reference_type 0 (media), referenced_size
    w.u32(uint32_t(duration));  // subsegment_duration
    // starts_with_SAP, SAP_type 1 (a sync sample: decoding starts there), SAP_delta_time 0.
    w.u32(r.starts_with_sap ? 0x90000000u : 0);
  }
  w.close(sidx);
  return out;
}

}  // namespace

std::vector<uint8_t> build_init_segment(const Movie& movie, const FragmentedOptions& options) {
  validate_movie(movie);
  std::vector<uint8_t> out;
  out.reserve(1024 * (1 + movie.tracks.size()));
  BoxWriter w(out);
  // iso6 (major): ISO BMFF with tfdt/default-base-is-moof fragments; iso5 for readers that
  // predate iso6; dash: usable as a DASH/MSE init segment; avc1: H.264; mp41: old players.
  write_ftyp(w, "iso6", 0, {"iso6", "iso5", "dash", "avc1", "mp41"});
  write_movie_reference(w, movie);
  size_t moov = w.open("moov");
  // Durations in mvhd/tkhd/mdhd describe samples in the moov: none here. mehd has the total.
  write_mvhd(w, movie, 0);
  for (const Track& track : movie.tracks) {
    write_trak(w, movie, track, TrakDurations{}, [](BoxWriter& tables) { write_empty_sample_tables(tables); });
  }
  write_mvex(w, movie, options);
  w.close(moov);
  return out;
}

FragmentSize fragment_size(const std::vector<FragmentTrack>& tracks, const std::vector<FragmentRange>& ranges) {
  check_ranges(tracks, ranges);
  FragmentSize size;
  size.header = kMoofAndMfhd;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const Track& track = *tracks[i].track;
    for (size_t run = ranges[i].first; run < ranges[i].last;) {
      bool offsets = false;
      const size_t end = run_end(track, run, ranges[i].last, offsets);
      size.header += kTrafHeader + (track.samples[run].description ? kTfhdDescription : 0) +
                     (end - run) * trun_entry_size(offsets);
      for (size_t s = run; s < end; ++s) size.payload += track.samples[s].data.size;
      run = end;
    }
  }
  size.header += large_mdat(size.payload) ? 16 : 8;
  return size;
}

void append_fragment(VirtualFile& out, const Movie& movie, const std::vector<FragmentRange>& ranges,
                     uint32_t sequence_number) {
  std::vector<FragmentTrack> tracks;
  tracks.reserve(movie.tracks.size());
  for (const Track& t : movie.tracks) tracks.push_back({&t, 0});
  append_fragment(out, tracks, ranges, sequence_number);
}

void append_fragment(VirtualFile& out, const std::vector<FragmentTrack>& tracks,
                     const std::vector<FragmentRange>& ranges, uint32_t sequence_number) {
  check_ranges(tracks, ranges);
  size_t sample_count = 0;
  for (const FragmentRange& r : ranges) sample_count += r.last - r.first;
  std::vector<uint8_t> header;
  header.reserve(64 + ranges.size() * 96 + sample_count * 16 + 16);
  BoxWriter w(header);
  size_t moof = w.open("moof");
  size_t mfhd = w.open_full("mfhd", 0, 0);
  w.u32(sequence_number);
  w.close(mfhd);

  struct DataOffsetSlot {
    size_t position;
    uint64_t payload_offset;
  };
  std::vector<DataOffsetSlot> slots;  // one per traf
  size_t traf_count = 0;
  for (const FragmentRange& r : ranges) traf_count += r.first < r.last ? 1 : 0;
  if (traf_count > 64) throw Error(ErrorCode::InvalidArgument, "more than 64 tracks in a fragment");
  uint64_t payload = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const FragmentRange& r = ranges[i];
    const Track& track = *tracks[i].track;
    // One traf per run of samples on one sample description: tfhd names the description
    // for all of its samples (a stream whose parameter sets changed inside the range).
    for (size_t run = r.first; run < r.last;) {
      bool any_offset = false;
      const size_t end = run_end(track, run, r.last, any_offset);
      const uint32_t description = track.samples[run].description;

      size_t traf = w.open("traf");
      size_t tfhd = w.open_full("tfhd", 0, kTfhdDefaultBaseIsMoof | (description ? kTfhdSampleDescriptionIndex : 0));
      w.u32(track.track_id);
      if (description) w.u32(description + 1);
      w.close(tfhd);
      size_t tfdt = w.open_full("tfdt", 1, 0);
      w.u64(uint64_t(track.samples[run].dts + tracks[i].dts_shift));
      w.close(tfdt);

      uint32_t flags = kTrunDataOffset | kTrunSampleDuration | kTrunSampleSize | kTrunSampleFlags;
      if (any_offset) flags |= kTrunCompositionOffset;
      size_t trun = w.open_full("trun", any_offset ? 1 : 0, flags);
      w.u32(uint32_t(end - run));
      slots.push_back({w.position(), payload});
      w.u32(0);  // data_offset, patched once the moof size is known
      const size_t entry = trun_entry_size(any_offset);
      uint8_t* p = w.extend((end - run) * entry);
      for (size_t s = run; s < end; ++s, p += entry) {
        const Sample& sample = track.samples[s];
        BoxWriter::put_u32(p, sample.duration);
        BoxWriter::put_u32(p + 4, uint32_t(sample.data.size));
        BoxWriter::put_u32(p + 8, sample.sync ? kSyncSampleFlags : kNonSyncSampleFlags);
        if (any_offset) BoxWriter::put_u32(p + 12, uint32_t(int32_t(sample.pts - sample.dts)));
        payload += sample.data.size;
      }
      w.close(trun);
      w.close(traf);
      run = end;
    }
  }
  w.close(moof);

  const uint64_t mdat_header_size = large_mdat(payload) ? 16 : 8;
  for (size_t i = 0; i < slots.size(); ++i) {
    uint64_t data_offset = header.size() + mdat_header_size + slots[i].payload_offset;
    if (data_offset > INT32_MAX) throw Error(ErrorCode::InvalidArgument, "fragment larger than 2 GiB");
    w.patch_u32(slots[i].position, uint32_t(data_offset));
  }
  if (mdat_header_size == 16) {
    w.u32(1);
    w.fourcc("mdat");
    w.u64(mdat_header_size + payload);
  } else {
    w.u32(uint32_t(mdat_header_size + payload));
    w.fourcc("mdat");
  }
  out.append_generated(std::move(header));
  for (size_t i = 0; i < ranges.size(); ++i) {
    const Track& track = *tracks[i].track;
    for (size_t s = ranges[i].first; s < ranges[i].last; ++s) out.append_span(track.samples[s].data);
  }
}

// Tracks rarely have aligned keyframes (two cameras, two encoders), so a fragment holds
// one GOP of one track (audio and metadata: one second): every traf starts at a sync sample, and fragments are ordered
// by the time of their first sample on the movie timeline so both tracks advance together.
VirtualFile build_fragmented(const Movie& movie, const FragmentedOptions& options) {
  std::vector<uint8_t> init = build_init_segment(movie, options);

  struct Gop {
    uint32_t track;
    size_t first, last;
    double start_seconds;
  };
  std::vector<Gop> gops;
  size_t sample_count = 0;
  for (const Track& t : movie.tracks) sample_count += t.samples.size();
  gops.reserve(sample_count / 8 + movie.tracks.size());
  for (uint32_t ti = 0; ti < movie.tracks.size(); ++ti) {
    const Track& track = movie.tracks[ti];
    const double start = track_start_seconds(track, movie.timescale);
    double previous_start = -1e300;
    size_t first = 0;
    // Audio and metadata samples are all sync samples: a fragment per second of them, not
    // one per sample (47 AAC frames and 110 camm packets a second).
    const bool video = track.kind == TrackKind::Video;
    for (size_t s = 1; s <= track.samples.size(); ++s) {
      if (s < track.samples.size() && !track.samples[s].sync) continue;
      if (s < track.samples.size() && !video &&
          track.samples[s].dts - track.samples[first].dts < int64_t(track.timescale))
        continue;
      // A leading non-sync run (a clip that does not start on a keyframe) still needs a home.
      // Never before the track's previous GOP, so a track's fragments stay in sample order.
      double gop_start = std::max(previous_start, start + double(track.samples[first].dts) / track.timescale);
      previous_start = gop_start;
      gops.push_back({ti, first, s, gop_start});
      first = s;
    }
  }
  std::stable_sort(gops.begin(), gops.end(),
                   [](const Gop& a, const Gop& b) { return a.start_seconds < b.start_seconds; });

  VirtualFile fragments;
  fragments.reserve(2 * gops.size() + sample_count);
  std::vector<FragmentRange> ranges(movie.tracks.size());
  std::vector<uint64_t> offsets;  // of each fragment, from the first one's start
  offsets.reserve(gops.size() + 1);
  uint32_t sequence_number = 0;
  for (const Gop& gop : gops) {
    std::fill(ranges.begin(), ranges.end(), FragmentRange{});
    ranges[gop.track] = FragmentRange{gop.first, gop.last};
    offsets.push_back(fragments.size());
    append_fragment(fragments, movie, ranges, ++sequence_number);
  }
  offsets.push_back(fragments.size());

  VirtualFile file;
  file.append_generated(std::move(init));
  // A fragment holding several trafs of one track (its sample entry changes inside a GOP)
  // gets no index: ffmpeg gives every traf of the fragment the subsegment's start time.
  bool entry_changes = false;
  for (const Track& t : movie.tracks)
    for (size_t k = 1; k < t.samples.size() && !entry_changes; ++k)
      entry_changes = t.samples[k].description != t.samples[k - 1].description && !t.samples[k].sync;
  if (options.segment_index && !entry_changes) {
    // One sidx per track (what ffmpeg writes for several tracks, and reads back into one
    // fragment index): each subsegment runs from one of the track's fragments to its next
    // (the other tracks' fragments in between belong to it).
    std::vector<std::vector<uint8_t>> indexes;
    std::vector<uint64_t> first_fragment;
    for (size_t ti = 0; ti < movie.tracks.size(); ++ti) {
      const Track& track = movie.tracks[ti];
      std::vector<SegmentReference> references;
      for (size_t g = 0; g < gops.size(); ++g) {
        if (gops[g].track != ti) continue;
        if (!references.empty()) references.back().size = offsets[g] - references.back().offset;
        // Presentation times, not decode times: readers take a subsegment's earliest
        // presentation time (the previous ones' durations summed) as its first sample's pts.
        int64_t earliest = INT64_MAX, end = INT64_MIN;
        for (size_t k = gops[g].first; k < gops[g].last; ++k) {
          earliest = std::min(earliest, track.samples[k].pts);
          end = std::max(end, track.samples[k].pts + int64_t(track.samples[k].duration));
        }
        references.push_back({offsets[g], 0, earliest, end, track.samples[gops[g].first].sync});
      }
      if (references.empty()) continue;
      references.back().size = offsets.back() - references.back().offset;
      std::vector<uint8_t> sidx = build_segment_index(track, references);
      if (sidx.empty()) {  // a subsegment too large for the box: no index rather than a wrong one
        indexes.clear();
        break;
      }
      indexes.push_back(std::move(sidx));
      first_fragment.push_back(references.front().offset);
    }
    // first_offset counts from the end of its own sidx: past the indexes after it, to the
    // track's first fragment.
    uint64_t after = 0;
    for (size_t i = indexes.size(); i-- > 0;) {
      const uint64_t first_offset = after + first_fragment[i];
      put_be32(indexes[i].data() + kSidxFirstOffset, uint32_t(first_offset >> 32));
      put_be32(indexes[i].data() + kSidxFirstOffset + 4, uint32_t(first_offset));
      after += indexes[i].size();
    }
    for (auto& sidx : indexes) file.append_generated(std::move(sidx));
  }
  file.append_file(std::move(fragments));
  return file;
}

}  // namespace ringclip::mp4
