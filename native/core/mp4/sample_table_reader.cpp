// stbl tables → samples. Each table is walked once alongside the samples; counts are
// checked against the bytes that hold them before anything is reserved.
#include <string>

#include "mp4/reader_state.h"

namespace ringclip::mp4 {
namespace {

std::string in_track(const TrackState& state) { return " in track " + std::to_string(state.track.track_id); }

void require(ByteSpan table, const char* name, const TrackState& state) {
  if (!table.data) throw_invalid(std::string("missing ") + name + in_track(state));
}

// stsz: creates the samples with their sizes.
void read_sizes(ReadContext& context, TrackState& state) {
  ByteReader r(state.tables.stsz, fourcc("stsz"));
  r.skip(4);
  uint32_t uniform_size = r.u32();
  uint32_t count = r.u32();
  if (uniform_size == 0) {
    r.need_entries(count, 4);
  } else if (uint64_t(uniform_size) * count > context.file.size) {
    throw_invalid("truncated: stsz describes more sample bytes than the file holds" + in_track(state));
  }
  context.take_samples(count);
  auto& samples = state.track.samples;
  samples.resize(count);
  for (Sample& s : samples) s.data.size = uniform_size ? uniform_size : r.u32();
}

void read_times(TrackState& state) {
  auto& samples = state.track.samples;
  ByteReader stts(state.tables.stts, fourcc("stts"));
  stts.skip(4);
  uint32_t runs = stts.u32();
  stts.need_entries(runs, 8);
  uint64_t dts = 0;
  uint32_t run_left = 0, duration = 0;
  for (Sample& s : samples) {
    while (run_left == 0) {
      if (runs-- == 0) throw_invalid("stts covers fewer samples than stsz" + in_track(state));
      run_left = stts.u32();
      duration = stts.u32();
    }
    --run_left;
    s.dts = int64_t(dts);  // wraps only for absurd inputs; never undefined
    s.pts = s.dts;
    s.duration = duration;
    dts += duration;
  }
  state.next_dts = dts;

  if (!state.tables.ctts.data) return;
  ByteReader ctts(state.tables.ctts, fourcc("ctts"));
  ctts.skip(4);
  runs = ctts.u32();
  ctts.need_entries(runs, 8);
  run_left = 0;
  int32_t offset = 0;
  for (Sample& s : samples) {
    while (run_left == 0) {
      if (runs-- == 0) throw_invalid("ctts covers fewer samples than stsz" + in_track(state));
      run_left = ctts.u32();
      // Signed in version 1; version 0 writers that meant negative offsets wrote them the
      // same way, so both are read as two's complement (as ffmpeg does).
      offset = int32_t(ctts.u32());
    }
    --run_left;
    s.pts = int64_t(uint64_t(s.dts) + uint64_t(int64_t(offset)));  // wraps, never UB
  }
}

void read_sync(TrackState& state) {
  auto& samples = state.track.samples;
  if (!state.tables.stss.data) {  // absent: every sample is a sync sample
    for (Sample& s : samples) s.sync = true;
    return;
  }
  ByteReader r(state.tables.stss, fourcc("stss"));
  r.skip(4);
  uint32_t count = r.u32();
  r.need_entries(count, 4);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t number = r.u32();
    if (number == 0 || number > samples.size())
      throw_invalid("stss names sample " + std::to_string(number) + " of " + std::to_string(samples.size()) +
                    in_track(state));
    samples[number - 1].sync = true;
  }
}

// stsc + stco/co64: where each sample's bytes are.
void read_locations(ReadContext& context, TrackState& state) {
  auto& samples = state.track.samples;
  const bool co64 = state.tables.co64;
  ByteReader offsets(state.tables.chunk_offsets, co64 ? fourcc("co64") : fourcc("stco"));
  offsets.skip(4);
  uint32_t chunk_count = offsets.u32();
  offsets.need_entries(chunk_count, co64 ? 8 : 4);

  ByteReader stsc(state.tables.stsc, fourcc("stsc"));
  stsc.skip(4);
  uint32_t entries = stsc.u32();
  stsc.need_entries(entries, 12);

  size_t sample = 0;
  uint32_t entry = 0;
  uint32_t samples_per_chunk = 0, description = 0;
  const uint32_t descriptions = uint32_t(1 + state.track.later_descriptions.size());
  auto read_description = [&] {
    uint32_t index = stsc.u32();
    if (index == 0 || index > descriptions)
      throw_invalid("stsc names sample description " + std::to_string(index) + " of " + std::to_string(descriptions) +
                    in_track(state));
    description = index - 1;
  };
  uint32_t next_first_chunk = 0;  // first_chunk of the entry after the current one
  if (entries > 0) {
    if (stsc.u32() != 1) throw_invalid("stsc does not start at chunk 1" + in_track(state));
    samples_per_chunk = stsc.u32();
    read_description();
    entry = 1;
    next_first_chunk = entry < entries ? stsc.u32() : 0;
    if (entry < entries && next_first_chunk <= 1) throw_invalid("stsc chunks are not increasing" + in_track(state));
  }
  for (uint32_t chunk = 1; chunk <= chunk_count && sample < samples.size(); ++chunk) {
    if (entry < entries && chunk == next_first_chunk) {
      samples_per_chunk = stsc.u32();
      read_description();
      ++entry;
      uint32_t following = entry < entries ? stsc.u32() : 0;
      if (entry < entries && following <= next_first_chunk)
        throw_invalid("stsc chunks are not increasing" + in_track(state));
      next_first_chunk = following;
    }
    uint64_t position = co64 ? offsets.u64() : offsets.u32();
    for (uint32_t k = 0; k < samples_per_chunk && sample < samples.size(); ++k, ++sample) {
      Sample& s = samples[sample];
      s.data = context.sample_bytes(position, s.data.size, state.track.track_id);
      s.description = description;
      position += s.data.size;
    }
  }
  if (sample < samples.size())
    throw_invalid("chunks hold " + std::to_string(sample) + " of " + std::to_string(samples.size()) + " samples" +
                  in_track(state));
}

}  // namespace

void read_sample_tables(ReadContext& context, TrackState& state) {
  require(state.tables.stsz, "stsz", state);
  require(state.tables.stts, "stts", state);
  require(state.tables.stsc, "stsc", state);
  require(state.tables.chunk_offsets, "stco", state);
  read_sizes(context, state);
  read_times(state);
  read_sync(state);
  read_locations(context, state);
}

}  // namespace ringclip::mp4
