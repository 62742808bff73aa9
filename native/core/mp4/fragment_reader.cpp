// moof → samples. Implements the data-offset rules of ISO/IEC 14496-12 8.8.7/8.8.8:
// explicit base-data-offset, default-base-is-moof, or (legacy) the end of the previous
// traf's data; truns without data_offset continue where the previous trun ended.
#include <string>

#include "mp4/reader_state.h"

namespace ringclip::mp4 {
namespace {

constexpr uint32_t kTfhdBaseDataOffset = 0x000001;
constexpr uint32_t kTfhdSampleDescriptionIndex = 0x000002;
constexpr uint32_t kTfhdDefaultDuration = 0x000008;
constexpr uint32_t kTfhdDefaultSize = 0x000010;
constexpr uint32_t kTfhdDefaultFlags = 0x000020;
constexpr uint32_t kTfhdDefaultBaseIsMoof = 0x020000;

constexpr uint32_t kTrunDataOffset = 0x000001;
constexpr uint32_t kTrunFirstSampleFlags = 0x000004;
constexpr uint32_t kTrunDuration = 0x000100;
constexpr uint32_t kTrunSize = 0x000200;
constexpr uint32_t kTrunFlags = 0x000400;
constexpr uint32_t kTrunCompositionOffset = 0x000800;

constexpr uint32_t kSampleIsNonSync = 0x00010000;

struct TrafDefaults {
  uint32_t duration, size, flags;
  uint32_t description;  // 0-based sample entry of the traf's samples
};

TrackState* find_track(std::vector<TrackState>& tracks, uint32_t track_id) {
  for (TrackState& t : tracks) {
    if (t.track.track_id == track_id) return &t;
  }
  return nullptr;
}

// Reads one trun; `position` is where its data starts unless it carries a data_offset,
// and is left where its data ends.
void read_trun(ReadContext& context, const Box& box, TrackState& state, const TrafDefaults& defaults, uint64_t base,
               uint64_t& position, uint64_t& dts) {
  ByteReader r(box.payload, box.type);
  r.u8();  // version: 0 and 1 differ only in the sign of offsets, read alike below
  uint32_t flags = r.u24();
  uint32_t count = r.u32();
  if (flags & kTrunDataOffset) {
    int64_t offset = int32_t(r.u32());
    if (offset < 0 && uint64_t(-offset) > base) throw_invalid("trun data_offset points before the file");
    position = base + uint64_t(offset);
  }
  bool has_first_flags = flags & kTrunFirstSampleFlags;
  uint32_t first_flags = has_first_flags ? r.u32() : 0;
  size_t per_sample = 4 * (((flags & kTrunDuration) != 0) + ((flags & kTrunSize) != 0) + ((flags & kTrunFlags) != 0) +
                           ((flags & kTrunCompositionOffset) != 0));
  r.need_entries(count, per_sample);
  context.take_samples(count);

  auto& samples = state.track.samples;
  samples.reserve(samples.size() + count);
  for (uint32_t i = 0; i < count; ++i) {
    Sample s;
    s.description = defaults.description;
    s.duration = (flags & kTrunDuration) ? r.u32() : defaults.duration;
    uint32_t size = (flags & kTrunSize) ? r.u32() : defaults.size;
    uint32_t sample_flags = (flags & kTrunFlags) ? r.u32() : defaults.flags;
    if (i == 0 && has_first_flags) sample_flags = first_flags;
    int64_t cto = 0;
    if (flags & kTrunCompositionOffset) {
      uint32_t raw = r.u32();
      // Version 1 is signed by definition. Version 0 values above 2^31 only come from
      // writers that meant negative offsets, so both are read as two's complement.
      cto = int32_t(raw);
    }
    s.dts = int64_t(dts);
    s.pts = int64_t(uint64_t(s.dts) + uint64_t(cto));
    s.sync = (sample_flags & kSampleIsNonSync) == 0;
    s.data = context.sample_bytes(position, size, state.track.track_id);
    position += size;
    dts += s.duration;
    samples.push_back(s);
  }
}

void read_traf(ReadContext& context, const Box& traf, uint64_t moof_offset, bool first_traf,
               uint64_t& previous_traf_end, std::vector<TrackState>& tracks) {
  Box box;
  BoxIterator it(context.file, traf.payload, traf.type);
  if (!it.next(box) || box.type != fourcc("tfhd")) throw_invalid("traf does not start with tfhd");
  ByteReader tfhd(box.payload, box.type);
  tfhd.u8();
  uint32_t flags = tfhd.u24();
  uint32_t track_id = tfhd.u32();
  TrackState* state = find_track(tracks, track_id);
  if (!state) throw_invalid("traf for track " + std::to_string(track_id) + " which the moov does not have");
  if (!state->supported) return;  // a track we skip (another codec)

  uint64_t base;
  if (flags & kTfhdBaseDataOffset) {
    base = tfhd.u64();
  } else if ((flags & kTfhdDefaultBaseIsMoof) || first_traf) {
    base = moof_offset;
  } else {
    base = previous_traf_end;
  }
  uint32_t description_index = state->trex.sample_description_index;
  if (flags & kTfhdSampleDescriptionIndex) description_index = tfhd.u32();
  const size_t descriptions = 1 + state->track.later_descriptions.size();
  if (description_index == 0 || description_index > descriptions)
    throw_invalid("a traf of track " + std::to_string(track_id) + " names sample description " +
                  std::to_string(description_index) + " of " + std::to_string(descriptions));
  TrafDefaults defaults{state->trex.duration, state->trex.size, state->trex.flags, description_index - 1};
  if (flags & kTfhdDefaultDuration) defaults.duration = tfhd.u32();
  if (flags & kTfhdDefaultSize) defaults.size = tfhd.u32();
  if (flags & kTfhdDefaultFlags) defaults.flags = tfhd.u32();

  uint64_t dts = state->next_dts;
  uint64_t position = base;
  while (it.next(box)) {
    if (box.type == fourcc("tfdt")) {
      ByteReader tfdt(box.payload, box.type);
      uint8_t version = tfdt.u8();
      tfdt.u24();
      dts = version == 1 ? tfdt.u64() : tfdt.u32();
    } else if (box.type == fourcc("trun")) {
      read_trun(context, box, *state, defaults, base, position, dts);
    }
  }
  state->next_dts = dts;
  previous_traf_end = position;
}

}  // namespace

void read_fragment(ReadContext& context, const Box& moof, std::vector<TrackState>& tracks) {
  bool first_traf = true;
  uint64_t previous_traf_end = moof.offset;
  Box box;
  BoxIterator it(context.file, moof.payload, moof.type);
  while (it.next(box)) {
    if (box.type != fourcc("traf")) continue;
    read_traf(context, box, moof.offset, first_traf, previous_traf_end, tracks);
    first_traf = false;
  }
}

}  // namespace ringclip::mp4
